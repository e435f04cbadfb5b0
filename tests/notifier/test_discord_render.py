"""Discord messages as the API takes them and as users read them: embeds, buttons, nonces,
digests, edits, and Discord's limits whatever a chain sends."""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.discord_render import (
    DISCORD_WEBHOOK_KIND,
    DiscordSend,
    chain_colour,
    escape_markdown,
    plan_discord_sends,
    render_payload,
)
from notifier.event_text import nothing_to_edit
from storage.deliveries import AbiParam, DueDelivery, DueDestination, DueEvent, JsonValue

TOKEN = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
TX = "0x" + "bb" * 32
EXPLORER = "https://explorer.example/"
EXPLORERS: dict[str, str | None] = {"anvil": EXPLORER}
TRANSFER = (
    AbiParam("from", "address", indexed=True),
    AbiParam("to", "address", indexed=True),
    AbiParam("value", "uint256"),
)
TRANSFER_ARGS: dict[str, JsonValue] = {
    "value": "1234500000000000000000",
    "to": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    "from": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
}


def delivery(
    *,
    kind: str = "event",
    language: str = "en",
    destination_id: int = 7,
    destination_kind: str = "discord",
    log_index: int = 0,
    subscription_id: int = 11,
    args: dict[str, JsonValue] | None = None,
    inputs: tuple[AbiParam, ...] = TRANSFER,
    event_name: str | None = "Transfer",
    chain: str = "anvil",
) -> DueDelivery:
    event = DueEvent(
        chain=chain,
        block_number=1234567,
        block_hash="0x" + "aa" * 32,
        transaction_hash=TX,
        log_index=log_index,
        contract=TOKEN,
        event_name=event_name,
        args=TRANSFER_ARGS if args is None else args,
        topics=(),
        data="0x",
    )
    destination = DueDestination(destination_id, destination_kind, str(900 + destination_id), None)
    delivery_id = f"0b7f3c1e-1111-4222-8333-{destination_id:04d}{log_index:08d}"
    return DueDelivery(
        delivery_id, kind, 0, subscription_id, destination, event, inputs, language, "BBT", 18
    )


def visible(markdown: str) -> str:
    """What Discord shows for our markdown: link texts, escapes resolved, no bold or italics."""
    text = re.sub(r"\[((?:\\.|[^\]\\])*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"(?<!\\)\*\*?", "", text)
    return re.sub(r"\\(.)", r"\1", text)


def embed_of(payload: dict[str, JsonValue]) -> dict[str, JsonValue]:
    embeds = payload["embeds"]
    assert isinstance(embeds, list) and len(embeds) == 1 and isinstance(embeds[0], dict)
    return embeds[0]


def fields_of(embed: dict[str, JsonValue]) -> list[tuple[str, str]]:
    fields = embed["fields"]
    assert isinstance(fields, list)
    return [
        (visible(str(f["name"])), visible(str(f["value"]))) for f in fields if isinstance(f, dict)
    ]


def buttons_of(payload: dict[str, JsonValue]) -> list[dict[str, JsonValue]]:
    rows = payload["components"]
    assert isinstance(rows, list)
    buttons: list[dict[str, JsonValue]] = []
    for row in rows:
        assert isinstance(row, dict) and row["type"] == 1
        assert isinstance(row["components"], list)
        buttons += [b for b in row["components"] if isinstance(b, dict)]
    return buttons


def assert_within_discord_limits(payload: dict[str, JsonValue]) -> None:
    """Discord's limits for a message's embeds (developer docs, "Embed Limits")."""
    embeds = payload["embeds"]
    assert isinstance(embeds, list) and 1 <= len(embeds) <= 10
    total = 0
    for embed in embeds:
        assert isinstance(embed, dict)
        title, description = str(embed.get("title", "")), str(embed.get("description", ""))
        footer = embed.get("footer", {})
        assert isinstance(footer, dict)
        fields = embed.get("fields", [])
        assert isinstance(fields, list) and len(fields) <= 25
        assert len(title) <= 256 and len(description) <= 4096
        total += len(title) + len(description) + len(str(footer.get("text", "")))
        for field in fields:
            assert isinstance(field, dict)
            name, value = str(field["name"]), str(field["value"])
            assert 1 <= len(name) <= 256 and 1 <= len(value) <= 1024
            total += len(name) + len(value)
    assert total <= 6000
    assert payload["allowed_mentions"] == {"parse": []}
    nonce = payload.get("nonce")
    assert nonce is None or (isinstance(nonce, str) and len(nonce) <= 25)


def test_a_transfer_is_an_embed_with_its_token_amount_explorer_links_and_buttons() -> None:
    payload = render_payload(delivery(), EXPLORER)
    embed = embed_of(payload)
    assert embed["title"] == "Transfer"
    assert embed["url"] == f"https://explorer.example/tx/{TX}"
    assert embed["footer"] == {"text": "anvil"}
    assert embed["color"] == chain_colour("anvil")
    assert visible(str(embed["description"])) == (
        "Contract: 0x5FbD…0aa3\nBlock: 1,234,567\nTransaction: 0xbbbb…bbbb"
    )
    description = str(embed["description"])
    assert "(https://explorer.example/address/0x5FbDB2315678afecb367f032d93F642f64180aa3)" in (
        description
    )
    assert "[1,234,567](https://explorer.example/block/1234567)" in description
    assert f"[0xbbbb…bbbb](https://explorer.example/tx/{TX})" in description
    assert fields_of(embed) == [
        ("from", "0xf39F…2266"),
        ("to", "0x7099…79C8"),
        ("value", "1,234.5 BBT"),
    ]
    assert buttons_of(payload) == [
        {"type": 2, "style": 2, "label": "Mute this subscription", "custom_id": "mute:11"},
        {"type": 2, "style": 5, "label": "Open in explorer", "url": f"{EXPLORER}tx/{TX}"},
    ]
    assert payload["content"] == "" and payload["enforce_nonce"] is True
    assert_within_discord_limits(payload)


def test_without_an_explorer_addresses_and_hashes_are_whole_and_only_mute_is_offered() -> None:
    payload = render_payload(delivery(), None)
    embed = embed_of(payload)
    assert "url" not in embed
    assert "](" not in str(embed["description"])
    assert "`0x5FbDB2315678afecb367f032d93F642f64180aa3`" in str(embed["description"])
    assert f"`{TX}`" in str(embed["description"])
    assert [b.get("custom_id") for b in buttons_of(payload)] == ["mute:11"]


def test_without_token_details_integers_get_thousands_separators() -> None:
    plain = replace(delivery(), token_symbol=None, token_decimals=None)
    assert ("value", "1,234,500,000,000,000,000,000") in fields_of(
        embed_of(render_payload(plain, EXPLORER))
    )


def test_text_from_the_chain_can_neither_format_nor_link_nor_mention() -> None:
    hostile = {
        "note": "<b>**@everyone**</b> [free](https://evil.example) <@123> `x` > quote\n# big"
    }
    d = delivery(event_name="__Evil__ <#1>", args=hostile, inputs=(AbiParam("note", "string"),))
    embed = embed_of(render_payload(d, EXPLORER))
    assert visible(str(embed["title"])) == "__Evil__ <#1>"
    note = "<b>**@everyone**</b> [free](https://evil.example) <@123> `x` > quote # big"
    assert fields_of(embed) == [("note", note)]
    raw = str(embed["fields"])
    assert "](" not in raw and "<@" not in raw and "https://" not in raw


@given(st.text(max_size=200))
def test_escaped_text_shows_exactly_what_the_chain_sent_on_one_line(text: str) -> None:
    escaped = escape_markdown(text)
    assert visible(escaped) == " ".join(text.splitlines())
    unescaped_specials = re.sub(r"\\.", "", escaped)
    assert not set(unescaped_specials) & set("*_~`|>#-[]()<@:\\")


@settings(max_examples=60)
@given(
    st.dictionaries(st.text(max_size=300), st.text(max_size=3000), max_size=40),
    st.text(max_size=400),
    st.sampled_from(["en", "ru", "es", "zh_Hans"]),
    st.sampled_from(["event", "event.reverted", "event.confirmed"]),
)
def test_any_event_fits_discords_limits(
    args: dict[str, str], name: str, language: str, kind: str
) -> None:
    inputs = tuple(AbiParam(key, "string") for key in args)
    d = replace(
        delivery(args=dict(args), inputs=inputs, event_name=name or None, kind=kind),
        language=language,
        provisional=True,
    )
    payload = render_payload(d, EXPLORER + "x" * 300)
    assert_within_discord_limits(payload)


def test_more_than_25_arguments_share_the_last_field() -> None:
    args: dict[str, JsonValue] = {f"a{i}": str(i) for i in range(30)}
    inputs = tuple(AbiParam(name, "uint8") for name in args)
    fields = fields_of(embed_of(render_payload(delivery(args=args, inputs=inputs), None)))
    assert len(fields) == 25
    assert fields[23] == ("a23", "23")
    assert fields[24] == ("…", "a24 24, a25 25, a26 26, a27 27, a28 28, a29 29")


def test_each_chain_keeps_its_colour_and_a_correction_is_red() -> None:
    assert chain_colour("ethereum") == chain_colour("ethereum") == 0x1ABC9C
    assert chain_colour("anvil") != chain_colour("ethereum")
    colours = {
        name: embed_of(render_payload(delivery(chain=name), None))["color"]
        for name in ("anvil", "ethereum")
    }
    assert colours == {"anvil": chain_colour("anvil"), "ethereum": chain_colour("ethereum")}
    reverted = embed_of(render_payload(delivery(kind="event.reverted"), None))
    assert reverted["color"] == 0xED4245


def test_the_nonce_is_short_and_the_same_for_the_same_delivery_only() -> None:
    first = render_payload(delivery(log_index=1), EXPLORER)["nonce"]
    again = render_payload(delivery(log_index=1, language="ru"), None)["nonce"]
    other = render_payload(delivery(log_index=2), EXPLORER)["nonce"]
    assert isinstance(first, str) and len(first) == 25 and int(first, 16) >= 0
    assert first == again and first != other


def test_a_channel_webhook_gets_no_nonce_and_no_mute_button() -> None:
    payload = render_payload(delivery(destination_kind=DISCORD_WEBHOOK_KIND), EXPLORER)
    assert "nonce" not in payload and "enforce_nonce" not in payload
    assert [b["style"] for b in buttons_of(payload)] == [5]


def test_messages_are_in_the_owners_language() -> None:
    embed = embed_of(render_payload(delivery(language="ru", kind="event.reverted"), EXPLORER))
    description = visible(str(embed["description"]))
    assert description.startswith("⚠️ Отменено реорганизацией блокчейна\n")
    assert "Контракт: " in description and "Транзакция: " in description


def test_a_provisional_notification_says_so() -> None:
    embed = embed_of(render_payload(replace(delivery(), provisional=True), EXPLORER))
    assert visible(str(embed["description"])).endswith(
        "\n\n⏳ Provisional: the block does not have its confirmations yet. This message will"
        " say when it does, or if a chain reorganization reverts it."
    )


def test_three_deliveries_go_singly_and_four_become_a_digest() -> None:
    three = [delivery(log_index=i) for i in range(3)]
    four = [delivery(destination_id=8, log_index=i) for i in range(4)]
    sends = plan_discord_sends(three + four, EXPLORERS)
    assert [len(send.deliveries) for send in sends] == [1, 1, 1, 4]
    digest = embed_of(sends[-1].payload)
    assert digest["title"] == "4 new events"
    lines = visible(str(digest["description"])).splitlines()
    assert lines[0] == (
        "• Transfer · block 1,234,567: from 0xf39F…2266, to 0x7099…79C8, value 1,234.5 BBT"
    )
    assert f"(https://explorer.example/tx/{TX})" in str(digest["description"])
    assert [b.get("custom_id") for b in buttons_of(sends[-1].payload)] == ["mute:11"]
    assert len({send.payload["nonce"] for send in sends}) == 4


def test_a_long_burst_is_split_into_digests_that_fit_and_carry_every_delivery() -> None:
    memo = (AbiParam("memo", "string"),)
    burst = [delivery(log_index=i, args={"memo": "*" * 900}, inputs=memo) for i in range(40)]
    sends = plan_discord_sends(burst, EXPLORERS)
    assert len(sends) > 1
    assert [d.id for send in sends for d in send.deliveries] == [d.id for d in burst]
    for send in sends:
        assert_within_discord_limits(send.payload)
        embed = embed_of(send.payload)
        assert embed["title"] == f"{len(send.deliveries)} new events"
        lines = str(embed["description"]).splitlines()
        assert len(lines) == len(send.deliveries)
        assert all(line.startswith("• **Transfer** · [block 1,234,567]") for line in lines)


def test_a_digest_of_several_subscriptions_has_no_mute_button() -> None:
    mixed = [delivery(log_index=i, subscription_id=11 + i % 2) for i in range(4)]
    [send] = plan_discord_sends(mixed, EXPLORERS)
    assert send.payload["components"] == []


def confirmed_or_reverted(kind: str, original_ref: str | None) -> DueDelivery:
    return replace(delivery(kind=kind), provisional=True, original_ref=original_ref)


def test_a_confirmation_edits_the_provisional_message_and_is_dropped_when_there_is_none() -> None:
    confirmation = confirmed_or_reverted("event.confirmed", "555")
    in_digest = confirmed_or_reverted("event.confirmed", None)
    sends = plan_discord_sends([confirmation, in_digest], EXPLORERS)
    assert nothing_to_edit([confirmation, in_digest]) == [in_digest]
    [send] = sends
    assert (send.edit_ref, send.new_if_gone, send.deliveries) == ("555", False, (confirmation,))
    assert "nonce" not in send.edit_payload and "enforce_nonce" not in send.edit_payload
    description = visible(str(embed_of(send.edit_payload)["description"]))
    assert description.endswith("\n\n✅ Confirmed") and "Provisional" not in description


def test_a_correction_edits_the_message_or_posts_a_new_one_when_it_is_gone() -> None:
    correction = confirmed_or_reverted("event.reverted", "555")
    [send] = plan_discord_sends([correction], EXPLORERS)
    assert isinstance(send, DiscordSend)
    assert (send.edit_ref, send.new_if_gone) == ("555", True)
    assert isinstance(send.payload["nonce"], str)
    embed = embed_of(send.edit_payload)
    assert visible(str(embed["description"])).startswith(
        "⚠️ Reverted by a chain reorganization\nThis event is no longer on the chain"
    )
