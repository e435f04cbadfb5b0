"""The webhook body of a Cosmos event: the engine's shape, with `msg_index` and `event_index`
for `log_index`, nulls where a Cosmos match has no transaction or contract, attributes as the
chain wrote them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from notifier.render import render_webhook_body
from storage.deliveries import DueDelivery, JsonValue
from tests.notifier.cosmos_data import (
    ALICE,
    BLOCK_HASH,
    BOB,
    CHAIN_ID,
    CONTRACT,
    HEIGHT,
    IBC_DENOM,
    MINTSCAN,
    TX,
    cosmos_delivery,
)


def body_of(d: DueDelivery, explorer_url: str | None = MINTSCAN) -> Any:
    return orjson.loads(render_webhook_body(d, CHAIN_ID, explorer_url))


def expected_body(**changes: Any) -> dict[str, Any]:
    """The body of `cosmos_delivery()` as a receiver reads it, with `changes` applied."""
    return {
        "type": "event",
        "subscription_id": 11,
        "chain": "cosmoshub",
        "chain_id": "cosmoshub-4",
        "block_number": HEIGHT,
        "block_hash": BLOCK_HASH,
        "transaction_hash": TX,
        "msg_index": 0,
        "event_index": 4,
        "contract": None,
        "event": "transfer",
        "args": {},
        "explorer_url": f"{MINTSCAN}/tx/{TX}",
        "provisional": False,
    } | changes


def test_a_transaction_event_keeps_every_value_of_a_repeated_key_and_its_nulls() -> None:
    args: dict[str, JsonValue] = {
        "recipient": [BOB, ALICE],
        "sender": ALICE,
        "amount": ["1500000uatom", f"5uatom,7{IBC_DENOM}"],
        "memo": None,
    }
    rendered = render_webhook_body(cosmos_delivery(args=args), CHAIN_ID, MINTSCAN)
    assert orjson.loads(rendered) == expected_body(args=args)
    assert list(orjson.loads(rendered)) == list(expected_body()), "the documented key order"


def test_a_block_level_event_has_no_transaction_and_links_its_block() -> None:
    d = cosmos_delivery(
        event_name="mint",
        args={"bonded_ratio": "0.62", "amount": "8120000"},
        transaction_hash="",
        log_index=2,
        msg_index=None,
    )
    assert body_of(d) == expected_body(
        transaction_hash=None,
        msg_index=None,
        event_index=2,
        event="mint",
        args={"bonded_ratio": "0.62", "amount": "8120000"},
        explorer_url=f"{MINTSCAN}/block/{HEIGHT}",
    )


def test_a_wasm_event_names_its_contract() -> None:
    args: dict[str, JsonValue] = {
        "_contract_address": CONTRACT,
        "action": "swap",
        "offer_amount": "1000",
    }
    d = replace(
        cosmos_delivery(event_name="wasm", args=args, contract=CONTRACT, msg_index=1),
        provisional=True,
    )
    assert body_of(d) == expected_body(
        msg_index=1,
        contract=CONTRACT,
        event="wasm",
        args={"_contract_address": CONTRACT, "action": "swap", "offer_amount": "1000"},
        provisional=True,
    )


def test_a_message_match_has_its_message_index_and_no_event_index() -> None:
    args: dict[str, JsonValue] = {
        "signer": ALICE,
        "proposal_id": "912",
        "voter": ALICE,
        "option": "VOTE_OPTION_YES",
    }
    d = cosmos_delivery(event_name="/cosmos.gov.v1.MsgVote", args=args, log_index=-3, msg_index=2)
    assert body_of(d) == expected_body(
        msg_index=2,
        event_index=None,
        event="/cosmos.gov.v1.MsgVote",
        args=args,
    )


def test_a_message_match_stored_without_its_index_gets_it_from_the_log_index() -> None:
    d = cosmos_delivery(event_name="/cosmos.bank.v1beta1.MsgSend", log_index=-2, msg_index=None)
    assert (body_of(d)["msg_index"], body_of(d)["event_index"]) == (1, None)


def test_a_failed_transaction_has_neither_message_nor_event_index() -> None:
    args: dict[str, JsonValue] = {
        "code": "5",
        "codespace": "sdk",
        "log": "spendable balance 10uatom is smaller than 1500000uatom: insufficient funds",
        "signer": ALICE,
        "messages": ["/cosmos.bank.v1beta1.MsgSend"],
        "memo": "",
    }
    d = cosmos_delivery(event_name="tx.failed", args=args, log_index=-1, msg_index=None)
    assert body_of(d) == expected_body(
        msg_index=None,
        event_index=None,
        event="tx.failed",
        args=args,
    )


def test_corrections_keep_their_type_and_no_explorer_means_a_null_link() -> None:
    rendered = body_of(cosmos_delivery(kind="event.reverted"), explorer_url=None)
    assert (rendered["type"], rendered["explorer_url"]) == ("event.reverted", None)
    assert "log_index" not in rendered and "topics" not in rendered


def test_the_explorer_link_has_one_slash_whatever_the_setting_ends_with() -> None:
    rendered = body_of(cosmos_delivery(transaction_hash=""), explorer_url=MINTSCAN + "/")
    assert rendered["explorer_url"] == f"{MINTSCAN}/block/{HEIGHT}"
