"""Telegram messages as users read them: HTML, amounts, corrections, digests and their limits."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from notifier.telegram_render import (
    MAX_MESSAGE_CHARS,
    TokenInfo,
    format_token_amount,
    plan_sends,
    render_message,
)
from storage.deliveries import AbiParam, DueDelivery, DueDestination, DueEvent, JsonValue
from tests.fakes.telegram_api import visible_text

TOKEN = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
TX = "0x" + "bb" * 32
EXPLORER = "https://explorer.example/"
TRANSFER = (
    AbiParam("from", "address", indexed=True),
    AbiParam("to", "address", indexed=True),
    AbiParam("value", "uint256"),
)


def delivery(
    *,
    kind: str = "event",
    language: str = "en",
    destination_id: int = 7,
    log_index: int = 0,
    subscription_id: int = 11,
    args: dict[str, JsonValue] | None = None,
    event_name: str | None = "Transfer",
) -> DueDelivery:
    event = DueEvent(
        chain="anvil",
        block_number=1234567,
        block_hash="0x" + "aa" * 32,
        transaction_hash=TX,
        log_index=log_index,
        contract=TOKEN,
        event_name=event_name,
        args=args
        or {
            "value": "1234500000000000000000",
            "to": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
            "from": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
        },
        topics=(),
        data="0x",
    )
    destination = DueDestination(destination_id, "telegram", str(1000 + destination_id), None)
    return DueDelivery(
        f"d{destination_id}-{log_index}",
        kind,
        0,
        subscription_id,
        destination,
        event,
        TRANSFER,
        language,
    )


def test_a_transfer_reads_with_its_token_amount_short_linked_addresses_and_buttons() -> None:
    token = replace(delivery(), token_symbol="TKN", token_decimals=18)
    message = render_message(token, EXPLORER)
    assert visible_text(message.html, "HTML") == (
        "Transfer · anvil\n"
        "Contract: 0x5FbD…0aa3\n"
        "\n"
        "from: 0xf39F…2266\n"
        "to: 0x7099…79C8\n"
        "value: 1,234.5 TKN\n"
        "\n"
        "Block: 1,234,567\n"
        "Transaction: 0xbbbb…bbbb"
    )
    assert message.html.startswith("<b>Transfer</b> · anvil\n")
    assert (
        '<a href="https://explorer.example/address/0x5FbDB2315678afecb367f032d93F642f64180aa3">'
        in message.html
    )
    assert f'<a href="https://explorer.example/tx/{TX}">0xbbbb…bbbb</a>' in message.html
    assert '<a href="https://explorer.example/block/1234567">1,234,567</a>' in message.html
    assert [(b.text, b.callback_data, b.url) for b in message.buttons] == [
        ("Mute this subscription", "mute:11", None),
        ("Open in explorer", None, f"https://explorer.example/tx/{TX}"),
    ]


def test_without_token_details_integers_get_thousands_separators() -> None:
    text = visible_text(render_message(delivery(), EXPLORER).html, "HTML")
    assert "value: 1,234,500,000,000,000,000,000" in text


def test_without_an_explorer_addresses_and_hashes_are_whole_and_there_is_no_link_button() -> None:
    message = render_message(delivery(), None)
    assert "<a " not in message.html
    assert "<code>0x5FbDB2315678afecb367f032d93F642f64180aa3</code>" in message.html
    assert f"<code>{TX}</code>" in message.html
    assert [b.callback_data for b in message.buttons] == ["mute:11"]


def test_everything_from_the_chain_is_escaped() -> None:
    hostile = delivery(event_name="<b>Evil&", args={"note": "<script>x</script>"})
    message = render_message(hostile, EXPLORER)
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<b>&lt;b&gt;Evil&amp;</b>" in message.html
    assert "note: <script>x</script>" in visible_text(message.html, "HTML")


def test_a_correction_says_the_event_was_reverted_by_a_reorganization() -> None:
    text = visible_text(render_message(delivery(kind="event.reverted"), EXPLORER).html, "HTML")
    assert text.startswith("⚠️ Reverted by a chain reorganization\nThis event is no longer")
    assert "Transfer · anvil" in text


def test_messages_are_in_the_owners_language() -> None:
    message = render_message(delivery(language="ru", kind="event.reverted"), EXPLORER)
    text = visible_text(message.html, "HTML")
    assert "Отменено реорганизацией блокчейна" in text
    assert "Контракт: " in text and "Транзакция: " in text
    assert [b.text for b in message.buttons] == ["Отключить эту подписку", "Открыть в обозревателе"]


def test_three_deliveries_for_a_chat_go_singly_and_four_become_a_digest() -> None:
    three = [delivery(log_index=i) for i in range(3)]
    four = [delivery(destination_id=8, log_index=i) for i in range(4)]
    sends = plan_sends(three + four, {"anvil": EXPLORER})
    assert [len(send.deliveries) for send in sends] == [1, 1, 1, 4]
    digest = visible_text(sends[-1].message.html, "HTML").splitlines()
    assert digest[0] == "4 new events"
    assert digest[2] == (
        "• Transfer · block 1,234,567: from 0xf39F…2266, to 0x7099…79C8,"
        " value 1,234,500,000,000,000,000,000"
    )
    assert [b.callback_data for b in sends[-1].message.buttons] == ["mute:11"]


def test_a_long_burst_is_split_into_digests_that_fit_and_carry_every_delivery() -> None:
    burst = [delivery(log_index=i, args={"memo": "x" * 500}) for i in range(100)]
    sends = plan_sends(burst, {"anvil": EXPLORER})
    assert len(sends) > 1
    assert all(len(send.message.html) <= MAX_MESSAGE_CHARS for send in sends)
    assert [d.id for send in sends for d in send.deliveries] == [d.id for d in burst]
    for send in sends:
        lines = visible_text(send.message.html, "HTML").splitlines()
        assert lines[0] == f"{len(send.deliveries)} new events"
        assert sum(line.startswith("• ") for line in lines) == len(send.deliveries)


def test_digest_titles_use_the_languages_plural_forms() -> None:
    sends = plan_sends([delivery(language="ru", log_index=i) for i in range(5)], {})
    assert visible_text(sends[0].message.html, "HTML").startswith("5 новых событий\n")


@given(st.integers(min_value=-(10**40), max_value=10**40), st.integers(min_value=0, max_value=30))
def test_token_amounts_keep_every_digit(value: int, decimals: int) -> None:
    text = format_token_amount(value, TokenInfo("TKN", decimals)).removesuffix(" TKN")
    whole, _, fraction = text.replace(",", "").partition(".")
    assert int(whole + fraction.ljust(decimals, "0")) == value
