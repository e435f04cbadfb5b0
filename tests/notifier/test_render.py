"""The webhook body: documented keys, addresses checksummed by ABI type, raw form if undecoded."""

from __future__ import annotations

from typing import Any

import orjson

from notifier.render import render_webhook_body
from storage.deliveries import AbiParam, DueDelivery, DueDestination, DueEvent, JsonValue

TOKEN = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
ALICE = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
BOB = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
TX = "0x" + "ab" * 32
TRANSFER_INPUTS = (
    AbiParam("from", "address", indexed=True),
    AbiParam("to", "address", indexed=True),
    AbiParam("value", "uint256"),
)


def due(
    *,
    event_name: str | None = "Transfer",
    args: dict[str, JsonValue] | None = None,
    inputs: tuple[AbiParam, ...] = TRANSFER_INPUTS,
    kind: str = "event",
) -> DueDelivery:
    event = DueEvent(
        chain="anvil",
        block_number=42,
        block_hash="0x" + "cd" * 32,
        transaction_hash=TX,
        log_index=3,
        contract=TOKEN,
        event_name=event_name,
        args={"value": "1000000000000000000000", "to": BOB, "from": ALICE}
        if args is None
        else args,
        topics=("0x" + "dd" * 32, "0x" + "00" * 12 + ALICE[2:]),
        data="0x" + "00" * 31 + "01",
    )
    destination = DueDestination(7, "webhook", "https://example.com/hook", "whsec_c2VjcmV0")
    return DueDelivery("a1b2", kind, 0, 11, destination, event, inputs)


def body_of(d: DueDelivery, explorer_url: str | None = "https://explorer.example/") -> Any:
    return orjson.loads(render_webhook_body(d, 31337, explorer_url))


def test_decoded_event_body_has_the_documented_keys_in_order() -> None:
    body = body_of(due())
    assert body == {
        "type": "event",
        "subscription_id": 11,
        "chain": "anvil",
        "chain_id": 31337,
        "block_number": 42,
        "block_hash": "0x" + "cd" * 32,
        "transaction_hash": TX,
        "log_index": 3,
        "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "event": "Transfer",
        "args": {
            "from": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "value": "1000000000000000000000",
        },
        "explorer_url": "https://explorer.example/tx/" + TX,
        "provisional": False,
    }
    assert list(body) == [
        "type",
        "subscription_id",
        "chain",
        "chain_id",
        "block_number",
        "block_hash",
        "transaction_hash",
        "log_index",
        "contract",
        "event",
        "args",
        "explorer_url",
        "provisional",
    ]
    assert list(body["args"]) == ["from", "to", "value"]


def test_address_arrays_and_tuples_are_checksummed_by_abi_type() -> None:
    inputs = (
        AbiParam("holders", "address[]"),
        AbiParam(
            "order",
            "tuple",
            components=(AbiParam("maker", "address"), AbiParam("salt", "bytes32")),
        ),
        AbiParam("legs", "tuple[2]", components=(AbiParam("to", "address"),)),
        AbiParam("tag", "bytes20"),
    )
    args: dict[str, JsonValue] = {
        "holders": [ALICE, BOB],
        "order": {"salt": "0x" + "11" * 32, "maker": BOB},
        "legs": [[ALICE], {"to": BOB}],
        "tag": ALICE,
    }
    rendered = body_of(due(event_name="Trade", args=args, inputs=inputs))
    assert rendered["args"] == {
        "holders": [
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        ],
        "order": {"maker": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "salt": "0x" + "11" * 32},
        "legs": [
            ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
            {"to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},
        ],
        "tag": ALICE,
    }


def test_args_without_a_known_abi_pass_through_unchanged() -> None:
    rendered = body_of(due(inputs=()))
    assert rendered["args"] == {"value": "1000000000000000000000", "to": BOB, "from": ALICE}


def test_undecoded_event_has_null_name_and_carries_topics_and_data() -> None:
    rendered = body_of(due(event_name=None, args={}, inputs=()))
    assert rendered["event"] is None
    assert rendered["args"] == {}
    assert rendered["topics"] == ["0x" + "dd" * 32, "0x" + "00" * 12 + ALICE[2:]]
    assert rendered["data"] == "0x" + "00" * 31 + "01"


def test_decoded_event_does_not_carry_topics_and_data() -> None:
    rendered = body_of(due())
    assert "topics" not in rendered
    assert "data" not in rendered


def test_correction_of_a_reverted_event_has_its_own_type() -> None:
    rendered = body_of(due(kind="event.reverted"))
    assert rendered["type"] == "event.reverted"


def test_explorer_link_is_null_when_the_chain_has_no_explorer() -> None:
    rendered = body_of(due(), explorer_url=None)
    assert rendered["explorer_url"] is None


def test_explorer_link_without_trailing_slash() -> None:
    rendered = body_of(due(), explorer_url="https://etherscan.io")
    assert rendered["explorer_url"] == "https://etherscan.io/tx/" + TX
