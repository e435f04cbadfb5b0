"""Discord messages of Cosmos events as the API takes them and users read them: the event as
title, attributes as fields in display amounts, explorer links, and Discord's limits."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings

from notifier.discord_render import chain_colour, plan_discord_sends, render_payload
from storage.deliveries import DueDelivery, JsonValue
from tests.notifier.cosmos_data import (
    ALICE,
    BOB,
    CONTRACT,
    HEIGHT,
    IBC_DENOM,
    MINTSCAN,
    TX,
    VALIDATOR,
    any_provisional_cosmos_delivery,
    cosmos_delivery,
)
from tests.notifier.test_discord_render import (
    assert_within_discord_limits,
    buttons_of,
    embed_of,
    fields_of,
    visible,
)


def test_a_transfer_is_an_embed_with_atom_amounts_and_mintscan_links() -> None:
    args: dict[str, JsonValue] = {
        "recipient": BOB,
        "sender": ALICE,
        "amount": f"1500000uatom,7{IBC_DENOM}",
        "memo": None,
    }
    payload = render_payload(cosmos_delivery(args=args, destination_kind="discord"), MINTSCAN)
    embed = embed_of(payload)
    assert embed["title"] == "transfer"
    assert embed["url"] == f"{MINTSCAN}/tx/{TX}"
    assert embed["footer"] == {"text": "cosmoshub"}
    assert embed["color"] == chain_colour("cosmoshub")
    assert visible(str(embed["description"])) == "Block: 19,000,001\nTransaction: C0FFEE…ABAB"
    assert fields_of(embed) == [
        ("recipient", "cosmos1v3j…rdcs"),
        ("sender", "cosmos1qyp…v7xu"),
        ("amount", "1.5 ATOM, 7 ibc/2739…5EB2"),
        ("memo", "(no value)"),
    ]
    fields = embed["fields"]
    assert isinstance(fields, list) and isinstance(fields[0], dict)
    assert fields[0]["value"] == f"[cosmos1v3j…rdcs]({MINTSCAN}/address/{BOB})"
    assert buttons_of(payload) == [
        {"type": 2, "style": 2, "label": "Mute this subscription", "custom_id": "mute:11"},
        {"type": 2, "style": 5, "label": "Open in explorer", "url": f"{MINTSCAN}/tx/{TX}"},
    ]
    assert_within_discord_limits(payload)


def test_a_block_level_event_links_its_block_and_says_it_has_no_transaction() -> None:
    d = cosmos_delivery(
        event_name="mint", args={"amount": "8120000uatom"}, transaction_hash="", msg_index=None
    )
    payload = render_payload(replace(d, destination=replace(d.destination, kind="discord")), None)
    embed = embed_of(payload)
    assert "url" not in embed
    assert visible(str(embed["description"])) == (
        "Block: 19,000,001\nTransaction: none, the block itself emitted this event"
    )
    linked = embed_of(render_payload(d, MINTSCAN))
    assert linked["url"] == f"{MINTSCAN}/block/{HEIGHT}"
    assert fields_of(linked) == [("amount", "8.12 ATOM")]


def test_a_wasm_event_and_a_message_match_say_who_emitted_them() -> None:
    wasm = cosmos_delivery(
        event_name="wasm", args={"_contract_address": CONTRACT}, contract=CONTRACT
    )
    description = str(embed_of(render_payload(wasm, MINTSCAN))["description"])
    assert description.startswith(f"Contract: [cosmos1ery…najh]({MINTSCAN}/address/{CONTRACT})")
    vote = cosmos_delivery(event_name="/cosmos.gov.v1.MsgVote", args={"voter": VALIDATOR})
    embed = embed_of(render_payload(vote, MINTSCAN))
    assert embed["title"] == "MsgVote"
    assert str(embed["description"]).startswith("Message: `/cosmos.gov.v1.MsgVote`\n")
    fields = embed["fields"]
    assert isinstance(fields, list) and isinstance(fields[0], dict)
    assert fields[0]["value"] == f"`{VALIDATOR}`"


def test_a_failed_transaction_is_titled_in_the_owners_language() -> None:
    d = cosmos_delivery(event_name="tx.failed", args={"code": "5"}, log_index=-1, msg_index=None)
    assert embed_of(render_payload(d, MINTSCAN))["title"] == "Failed transaction"
    assert embed_of(render_payload(replace(d, language="es"), MINTSCAN))["title"] == (
        "Transacción fallida"
    )


def test_attribute_values_can_neither_format_nor_link_nor_mention() -> None:
    args: dict[str, JsonValue] = {
        "note": "**@everyone** [free](https://evil.example) <@123> `x`",
        "__key__": ["_a_", "|b|"],
    }
    embed = embed_of(render_payload(cosmos_delivery(event_name="wasm-**x**", args=args), None))
    assert visible(str(embed["title"])) == "wasm-**x**"
    assert fields_of(embed) == [
        ("note", "**@everyone** [free](https://evil.example) <@123> `x`"),
        ("__key__", "_a_; |b|"),
    ]
    raw = str(embed["fields"])
    assert "](" not in raw and "<@" not in raw and "https://" not in raw


def test_a_long_attribute_list_keeps_to_25_fields_within_discords_limits() -> None:
    args: dict[str, JsonValue] = {f"attribute_{i}": str(i) for i in range(40)}
    args["recipient"] = [BOB] * 300
    payload = render_payload(cosmos_delivery(args=args), MINTSCAN)
    assert_within_discord_limits(payload)
    fields = fields_of(embed_of(payload))
    assert len(fields) == 25
    assert fields[23] == ("attribute_23", "23")
    assert fields[24][0] == "…"
    assert fields[24][1].startswith("attribute_24 24, attribute_25 25")


@settings(max_examples=60)
@given(any_provisional_cosmos_delivery(max_attributes=40))
def test_any_cosmos_event_fits_discords_limits(d: DueDelivery) -> None:
    assert_within_discord_limits(render_payload(d, MINTSCAN + "/" + "x" * 300))


def test_corrections_edit_the_message_and_bursts_become_digests() -> None:
    explorers: dict[str, str | None] = {"cosmoshub": MINTSCAN}
    reverted = cosmos_delivery(kind="event.reverted", provisional=True, original_ref="555")
    [edit] = plan_discord_sends([reverted], explorers)
    assert (edit.edit_ref, edit.new_if_gone) == ("555", True)
    assert visible(str(embed_of(edit.edit_payload)["description"])).startswith(
        "⚠️ Reverted by a chain reorganization\n"
    )
    burst = [cosmos_delivery(log_index=i, destination_id=9) for i in range(4)]
    [digest] = plan_discord_sends(burst, explorers)
    embed = embed_of(digest.payload)
    assert embed["title"] == "4 new events"
    lines = visible(str(embed["description"])).splitlines()
    assert lines[0] == (
        "• transfer · block 19,000,001: recipient cosmos1v3j…rdcs, sender cosmos1qyp…v7xu,"
        " amount 1.5 ATOM, msg_index 0"
    )
    assert f"({MINTSCAN}/tx/{TX})" in str(embed["description"])
    assert_within_discord_limits(digest.payload)
