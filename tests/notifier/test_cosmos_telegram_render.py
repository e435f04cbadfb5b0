"""Telegram messages of Cosmos events as users read them: titles, attributes with display
amounts and explorer-linked addresses, block-level events, corrections, digests and limits."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings

from notifier.telegram_render import MAX_MESSAGE_CHARS, plan_sends, render_message
from storage.deliveries import DueDelivery, JsonValue
from tests.fakes.telegram_api import visible_text
from tests.notifier.cosmos_data import (
    ALICE,
    BOB,
    CONTRACT,
    HEIGHT,
    IBC_DENOM,
    MINTSCAN,
    OSMO_ACCOUNT,
    TX,
    VALIDATOR,
    any_provisional_cosmos_delivery,
    cosmos_delivery,
)


def text_of(html: str) -> str:
    return visible_text(html, "HTML")


def test_a_transfer_reads_in_atom_with_short_addresses_linked_to_mintscan() -> None:
    args: dict[str, JsonValue] = {
        "recipient": BOB,
        "sender": ALICE,
        "amount": f"1500000uatom,7{IBC_DENOM}",
    }
    message = render_message(cosmos_delivery(args=args), MINTSCAN)
    assert text_of(message.html) == (
        "transfer · cosmoshub\n"
        "\n"
        "recipient: cosmos1v3j…rdcs\n"
        "sender: cosmos1qyp…v7xu\n"
        "amount: 1.5 ATOM, 7 ibc/2739…5EB2\n"
        "\n"
        "Block: 19,000,001\n"
        "Transaction: C0FFEE…ABAB"
    )
    assert f'<a href="{MINTSCAN}/address/{BOB}">cosmos1v3j…rdcs</a>' in message.html
    assert f'<a href="{MINTSCAN}/tx/{TX}">C0FFEE…ABAB</a>' in message.html
    assert f'<a href="{MINTSCAN}/block/{HEIGHT}">19,000,001</a>' in message.html
    assert [(b.text, b.callback_data, b.url) for b in message.buttons] == [
        ("Mute this subscription", "mute:11", None),
        ("Open in explorer", None, f"{MINTSCAN}/tx/{TX}"),
    ]


def test_amounts_are_exact_in_display_units_and_unknown_denoms_stay_in_base_units() -> None:
    args: dict[str, JsonValue] = {
        "amount": "1234567890123456789012345uatom",
        "rewards": "12.345uatom",
        "fee": "5000uosmo",
        "coins": "5uatom,7" + IBC_DENOM,
    }
    text = text_of(render_message(cosmos_delivery(args=args), MINTSCAN).html)
    assert "amount: 1,234,567,890,123,456,789.012345 ATOM\n" in text
    assert "rewards: 0.000012345 ATOM\n" in text
    assert "fee: 5,000 uosmo\n" in text
    assert "coins: 0.000005 ATOM, 7 ibc/2739…5EB2\n" in text


def test_only_amount_keys_or_the_chains_denoms_make_a_value_read_as_coins() -> None:
    args: dict[str, JsonValue] = {
        "packet_hash": "5F3A9B2C7D",
        "token": "250000uatom",
        "ibc_denom": "5uatom",
        "code_id": "3080",
    }
    text = text_of(render_message(cosmos_delivery(args=args), MINTSCAN).html)
    assert "packet_hash: 5F3A9B2C7D\n" in text
    assert "token: 0.25 ATOM\n" in text
    assert "ibc_denom: 0.000005 ATOM\n" in text
    assert "code_id: 3080\n" in text


def test_a_repeated_key_shows_every_value_and_a_null_says_there_is_none() -> None:
    args: dict[str, JsonValue] = {
        "recipient": [BOB, ALICE],
        "amount": ["1500000uatom", "2uatom,3uatom"],
        "memo": None,
        "tags": ["a", None],
    }
    message = render_message(cosmos_delivery(args=args), MINTSCAN)
    text = text_of(message.html)
    assert "recipient: cosmos1v3j…rdcs; cosmos1qyp…v7xu\n" in text
    assert "amount: 1.5 ATOM; 0.000002 ATOM, 0.000003 ATOM\n" in text
    assert "memo: (no value)\n" in text
    assert "tags: a; (no value)\n" in text
    assert message.html.count(f'href="{MINTSCAN}/address/') == 2


def test_addresses_the_explorer_has_no_page_for_are_shown_whole() -> None:
    args: dict[str, JsonValue] = {"validator": VALIDATOR, "receiver": OSMO_ACCOUNT}
    html = render_message(cosmos_delivery(args=args), MINTSCAN).html
    assert f"validator: <code>{VALIDATOR}</code>" in html
    assert f"receiver: <code>{OSMO_ACCOUNT}</code>" in html


def test_without_an_explorer_addresses_and_hashes_are_whole_and_only_mute_is_offered() -> None:
    message = render_message(cosmos_delivery(), None)
    assert "<a " not in message.html
    assert f"recipient: <code>{BOB}</code>" in message.html
    assert f"Transaction: <code>{TX}</code>" in message.html
    assert [b.callback_data for b in message.buttons] == ["mute:11"]


def test_a_block_level_event_says_it_has_no_transaction_and_links_its_block() -> None:
    d = cosmos_delivery(
        event_name="mint", args={"amount": "8120000"}, transaction_hash="", msg_index=None
    )
    message = render_message(d, MINTSCAN)
    assert text_of(message.html).endswith(
        "Block: 19,000,001\nTransaction: none, the block itself emitted this event"
    )
    assert "/tx/" not in message.html
    assert message.buttons[-1].url == f"{MINTSCAN}/block/{HEIGHT}"


def test_a_wasm_event_names_its_contract_linked_to_the_explorer() -> None:
    args: dict[str, JsonValue] = {"_contract_address": CONTRACT, "action": "swap"}
    message = render_message(
        cosmos_delivery(event_name="wasm", args=args, contract=CONTRACT), MINTSCAN
    )
    lines = text_of(message.html).splitlines()
    assert lines[:5] == [
        "wasm · cosmoshub",
        "Contract: cosmos1ery…najh",
        "",
        "_contract_address: cosmos1ery…najh",
        "action: swap",
    ]
    assert f'Contract: <a href="{MINTSCAN}/address/{CONTRACT}">' in message.html


def test_a_message_match_is_titled_by_its_short_type_and_shows_the_whole_type() -> None:
    args: dict[str, JsonValue] = {"signer": ALICE, "proposal_id": "912", "option": "YES"}
    d = cosmos_delivery(event_name="/cosmos.gov.v1.MsgVote", args=args, log_index=-1)
    message = render_message(d, MINTSCAN)
    assert text_of(message.html).splitlines()[:6] == [
        "MsgVote · cosmoshub",
        "Message: /cosmos.gov.v1.MsgVote",
        "",
        "signer: cosmos1qyp…v7xu",
        "proposal_id: 912",
        "option: YES",
    ]
    assert "<code>/cosmos.gov.v1.MsgVote</code>" in message.html


def test_a_failed_transaction_is_titled_so_in_the_owners_language() -> None:
    args: dict[str, JsonValue] = {"code": "5", "log": "insufficient funds", "signer": ALICE}
    d = cosmos_delivery(event_name="tx.failed", args=args, log_index=-1, msg_index=None)
    assert text_of(render_message(d, MINTSCAN).html).startswith("Failed transaction · cosmoshub")
    russian = text_of(render_message(replace(d, language="ru"), MINTSCAN).html)
    assert russian.startswith("Неудачная транзакция · cosmoshub\n")
    assert "Транзакция: C0FFEE…ABAB" in russian


def test_everything_from_the_chain_is_escaped() -> None:
    args: dict[str, JsonValue] = {"<i>key": "<script>alert(1)</script> & more", "x": ["<b>"]}
    message = render_message(cosmos_delivery(event_name="wasm-<b>evil</b>", args=args), None)
    assert "<script>" not in message.html and "<b>evil" not in message.html
    assert "&lt;i&gt;key: &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in message.html
    text = text_of(message.html)
    assert text.startswith("wasm-<b>evil</b> · cosmoshub\n")
    assert "x: <b>\n" in text


def test_long_values_are_shortened_and_a_long_attribute_list_fits_one_message() -> None:
    args: dict[str, JsonValue] = {f"attribute_{i}": "v" * 1000 for i in range(300)}
    args["recipient"] = [BOB] * 200
    message = render_message(cosmos_delivery(args=args, provisional=True), MINTSCAN)
    text = text_of(message.html)
    assert len(text) <= MAX_MESSAGE_CHARS
    lines = text.splitlines()
    assert lines[2] == "attribute_0: " + "v" * 299 + "…"
    shown = sum(line.startswith("attribute_") for line in lines)
    assert 5 < shown < 300
    assert f"…and {301 - shown} more, left out to fit the message" in lines
    assert lines[-1].startswith("⏳ Provisional")
    assert "Transaction: C0FFEE…ABAB" in lines


def test_a_repeated_key_with_many_values_is_cut_after_whole_addresses() -> None:
    args: dict[str, JsonValue] = {"recipient": [BOB] * 100}
    text = text_of(render_message(cosmos_delivery(args=args), MINTSCAN).html)
    [line] = [line for line in text.splitlines() if line.startswith("recipient: ")]
    assert line.endswith("cosmos1v3j…rdcs; …")
    assert len(line) <= len("recipient: ") + 300


@settings(max_examples=60)
@given(any_provisional_cosmos_delivery(max_attributes=60))
def test_any_cosmos_event_fits_one_telegram_message(d: DueDelivery) -> None:
    assert len(text_of(render_message(d, MINTSCAN).html)) <= MAX_MESSAGE_CHARS


def test_a_provisional_event_is_edited_when_confirmed_and_corrected_when_reverted() -> None:
    provisional = text_of(render_message(cosmos_delivery(provisional=True), MINTSCAN).html)
    assert provisional.endswith("reverts it.") and "⏳" in provisional
    confirmed = cosmos_delivery(kind="event.confirmed", provisional=True, original_ref="55")
    reverted = cosmos_delivery(
        kind="event.reverted", provisional=True, original_ref="56", destination_id=8
    )
    edit_confirmed, edit_reverted = plan_sends([confirmed, reverted], {"cosmoshub": MINTSCAN})
    assert (edit_confirmed.edit_ref, edit_confirmed.new_if_gone) == ("55", False)
    assert text_of(edit_confirmed.message.html).endswith("\n\n✅ Confirmed")
    assert (edit_reverted.edit_ref, edit_reverted.new_if_gone) == ("56", True)
    assert text_of(edit_reverted.message.html).startswith("⚠️ Reverted by a chain reorganization\n")
    assert "transfer · cosmoshub" in text_of(edit_reverted.message.html)


def test_four_cosmos_events_for_a_chat_become_a_digest_with_display_amounts() -> None:
    events = [cosmos_delivery(log_index=i) for i in range(3)]
    events.append(
        cosmos_delivery(
            event_name="mint", args={"amount": "8uatom"}, transaction_hash="", log_index=9
        )
    )
    [digest] = plan_sends(events, {"cosmoshub": MINTSCAN})
    lines = text_of(digest.message.html).splitlines()
    assert lines[0] == "4 new events"
    assert lines[2] == (
        "• transfer · block 19,000,001: recipient cosmos1v3j…rdcs, sender cosmos1qyp…v7xu,"
        " amount 1.5 ATOM, msg_index 0"
    )
    assert lines[5] == "• mint · block 19,000,001: amount 0.000008 ATOM"
    assert f'<a href="{MINTSCAN}/block/{HEIGHT}">block 19,000,001</a>' in digest.message.html
    assert [b.callback_data for b in digest.message.buttons] == ["mute:11"]
