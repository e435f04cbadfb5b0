"""Assembling CosmosBlocks from recorded `/block` and `/block_results` answers of real chains.

Only the croeseid answers come with their `/block`. For the others `block_for` builds one from
the fixture itself: the header takes the results' height (hashes and time are made up), and
each transaction is a `Tx` built with cosmpy whose messages carry the type URLs that the
transaction's own `message`/`action` events name, with empty bodies; a transaction without
such events (a failed one) gets a `Tx` without messages, which decodes as `decoded=False`.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cosmpy.protos.cosmos.tx.v1beta1.tx_pb2 import Tx, TxBody
from google.protobuf.any_pb2 import Any as ProtoAny

from watcher.cosmos_blocks import assemble_block, attributes_are_base64
from watcher.cosmos_types import CosmosBlock, CosmosEvent
from watcher.rpc_errors import RpcTransient

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cosmos"
KEY_NAME = re.compile(r"[A-Za-z0-9_.\-]*")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())["result"]


# Loaded once for the module (osmosis alone is 660 KB); tests copy before they change one.
MSGSEND = (
    load("cometbft-0.34/block_croeseid_377673_msgsend.json"),
    load("cometbft-0.34/block_results_croeseid_377673_msgsend.json"),
)
TWO_MSGSEND = (
    load("cometbft-0.34/block_croeseid_343358_1tx_2msgsend.json"),
    load("cometbft-0.34/block_results_croeseid_343358_1tx_2msgsend.json"),
)
OSMOSIS = load("cometbft-0.34/block_results_osmosis_10499831.json")
INJECTIVE = load("cometbft-0.34/block_results_injective_4555980.json")
DYDX = load("cometbft-0.38/block_results_dydx_12791634.json")
SEI = load("cometbft-0.38/block_results_sei_54810790_failed_txs.json")
KVSTORE_BLOCK = load("cometbft-0.38/block_kvstore_v0.38_h10.json")
KVSTORE_034 = load("cometbft-0.34/tx_search_kvstore_v0.34.21.json")
KVSTORE_038 = load("cometbft-0.38/tx_search_kvstore_v0.38.0-alpha.1.json")
SIMD = load("cometbft-0.37/tx_search_simd_ibc_create_client.json")


def unbase64(text: str | None) -> str | None:
    return None if text is None else base64.b64decode(text).decode()


def plain_event(event: Any) -> Any:
    """A 0.34 event with its attributes decoded, as CometBFT 0.37+ sends them."""
    attributes = [
        {**pair, "key": unbase64(pair["key"]), "value": unbase64(pair["value"])}
        for pair in event.get("attributes") or []
    ]
    return {**event, "attributes": attributes}


def actions(result: Any, encoded: bool) -> list[str]:
    """The type URLs that a transaction's `message` events name in their `action` attribute."""
    events = [plain_event(e) if encoded else e for e in result.get("events") or []]
    return [
        pair["value"]
        for event in events
        if event["type"] == "message"
        for pair in event["attributes"]
        if pair["key"] == "action"
    ]


def synthetic_tx(type_urls: list[str]) -> str:
    body = TxBody(messages=[ProtoAny(type_url=url, value=b"") for url in type_urls])
    return base64.b64encode(Tx(body=body).SerializeToString()).decode()


def block_for(results: Any, *, encoded: bool = True, txs: list[str] | None = None) -> Any:
    """A `/block` result for `/block_results` that came without one (see the module's doc)."""
    if txs is None:
        txs = [synthetic_tx(actions(r, encoded)) for r in results.get("txs_results") or []]
    return {
        "block_id": {"hash": "ab" * 32},
        "block": {
            "header": {
                "height": results["height"],
                "time": "2024-05-01T12:00:00.5Z",
                "last_block_id": {"hash": "cd" * 32},
            },
            "data": {"txs": txs},
        },
    }


def to_038(results: Any) -> Any:
    """A 0.34 answer in the shape CometBFT 0.38 with SDK 0.50 gives: plain attributes, and the
    begin/end block events in `finalize_block_events`, each with the SDK's `mode` appended."""
    converted = {
        key: value
        for key, value in results.items()
        if key not in ("begin_block_events", "end_block_events")
    }
    converted["txs_results"] = [
        {**result, "events": [plain_event(e) for e in result.get("events") or []]}
        for result in results.get("txs_results") or []
    ]
    converted["finalize_block_events"] = [
        {**event, "attributes": [*event["attributes"], {"key": "mode", "value": mode}]}
        for key, mode in (("begin_block_events", "BeginBlock"), ("end_block_events", "EndBlock"))
        for event in map(plain_event, results.get(key) or [])
    ]
    return converted


def kvstore_pair(search: Any) -> tuple[Any, Any]:
    """The kvstore `/block` at height 10 carrying the txs of a `/tx_search` answer, and the
    `/block_results` made of their results."""
    block = copy.deepcopy(KVSTORE_BLOCK)
    block["block"]["data"]["txs"] = [found["tx"] for found in search["txs"]]
    results = {"height": "10", "txs_results": [found["tx_result"] for found in search["txs"]]}
    return block, results


def simd_pair() -> tuple[Any, Any]:
    found = SIMD["txs"][0]
    results = {"height": found["height"], "txs_results": [found["tx_result"]]}
    return block_for(results, txs=[found["tx"]]), results


def block_events(block: CosmosBlock) -> list[CosmosEvent]:
    return [event for event in block.events if event.phase != "tx"]


def attribute_triples(block: CosmosBlock) -> Iterator[tuple[str, str, str | None]]:
    return ((e.type, key, value) for e in block.events for key, value in e.attributes)


def test_croeseid_msgsend_block_has_its_header_tx_and_every_event() -> None:
    block = assemble_block(*MSGSEND)

    assert (block.height, block.time) == (377673, "2020-11-12T09:37:01.926253966Z")
    assert block.hash == "BBC28EC0167AC0D8CCD5D7D0ECE6F2A6485751F0E68B9BF80E0FC112C64C0AF8"
    assert block.parent_hash == "D3A6A45A008AC1B2B0C9E180187AA894E0360355AA3BEF8F0F2A1B750ED3448E"
    [tx] = block.txs
    assert tx.messages[0].type_url == "/cosmos.bank.v1beta1.MsgSend"
    assert tx.messages[0].signer == "tcro1feqh6ad9ytjkr79kjk5nhnl4un3wez0ynurrwv"
    assert len(block.events) == 6 + 107
    assert [(e.type, e.msg_index) for e in block.events[:6]] == [
        ("transfer", None),  # the fee, taken before any message runs
        ("message", None),
        ("message", 0),
        ("transfer", 0),
        ("message", 0),
        ("message", 0),
    ]
    transfer = block.events[3]
    assert transfer.attributes == (
        ("recipient", "tcro1feqh6ad9ytjkr79kjk5nhnl4un3wez0ynurrwv"),
        ("sender", "tcro1feqh6ad9ytjkr79kjk5nhnl4un3wez0ynurrwv"),
        ("amount", "1000000000basetcro"),
    )
    assert (transfer.event_index, transfer.tx_index, transfer.tx_hash) == (3, 0, tx.hash)


def test_croeseid_block_events_come_after_tx_events_counted_on_their_own() -> None:
    block = assemble_block(*MSGSEND)

    events = block_events(block)
    assert [e.event_index for e in events] == list(range(107))
    assert {e.phase for e in events} == {"begin_block"}
    assert {(e.tx_index, e.tx_hash, e.msg_index) for e in events} == {(None, None, None)}
    assert events[2].type == "mint"
    assert events[2].attributes[0] == ("bonded_ratio", "0.000821761419299675")


def test_two_msgsends_keep_both_transfers_attributed_to_their_messages() -> None:
    block = assemble_block(*TWO_MSGSEND)

    transfers = [e for e in block.events if e.type == "transfer" and e.phase == "tx"]
    assert [(e.msg_index, dict(e.attributes)["amount"]) for e in transfers] == [
        (0, "1000basetcro"),
        (1, "2000basetcro"),
    ]
    assert [e.event_index for e in transfers] == [1, 5]


def test_osmosis_wasm_events_keep_the_contract_address() -> None:
    block = assemble_block(block_for(OSMOSIS), OSMOSIS)

    wasm = [e for e in block.events if e.type == "wasm" and e.tx_index == 6]
    assert [e.attributes[0] for e in wasm] == [
        ("_contract_address", "osmo1zacxlu90sl6j2zf90uctpddhfmux84ryrw794ywnlcwx2zeh5a4q67qtc9")
    ]
    assert dict(wasm[0].attributes)["execution_skipped"] == "price_threshold_exceeded"
    assert wasm[0].msg_index == 0
    types_of_tx7 = [e.type for e in block.events if e.tx_index == 7]
    assert types_of_tx7.count("reply") == 3
    assert len(block_events(block)) == 308


def test_osmosis_ibc_tx_events_follow_each_of_its_messages() -> None:
    block = assemble_block(block_for(OSMOSIS), OSMOSIS)

    tx = block.txs[1]
    assert [m.type_url for m in tx.messages] == [
        "/ibc.core.client.v1.MsgUpdateClient",
        "/ibc.core.channel.v1.MsgRecvPacket",
    ]
    attributed = {e.type: e.msg_index for e in block.events if e.tx_index == 1}
    assert (attributed["update_client"], attributed["recv_packet"]) == (0, 1)
    assert attributed["fungible_token_packet"] == 1


def test_injective_has_begin_and_end_block_events() -> None:
    block = assemble_block(block_for(INJECTIVE), INJECTIVE)

    events = block_events(block)
    assert [e.phase for e in events] == ["begin_block"] * 62 + ["end_block"]
    assert [e.event_index for e in events] == list(range(63))
    end = events[-1]
    assert end.type == "injective.exchange.v1beta1.EventBatchDepositUpdate"
    assert end.attributes[0][0] == "deposit_updates"
    assert end.attributes[0][1] is not None and end.attributes[0][1].startswith('[{"denom"')
    delegate = next(e for e in block.events if e.type == "delegate")
    assert dict(delegate.attributes)["validator"] == (
        "injvaloper1h4t5dqenq86znza06thc64pzyxtme7zltyeg8k"
    )
    assert (delegate.tx_index, delegate.msg_index) == (3, 0)


def test_dydx_events_without_type_and_with_empty_keys_are_kept_as_sent() -> None:
    block = assemble_block(block_for(DYDX, encoded=False), DYDX)

    assert [e.type for e in block.events] == ["", "", "", ""]
    assert {e.phase for e in block.events} == {"finalize_block"}
    assert [e.event_index for e in block.events] == [0, 1, 2, 3]
    assert block.events[0].attributes == (
        ("", "\n0/dydxprotocol.clob.MsgProposedOperationsResponse"),
    )
    [tx] = block.txs
    assert (tx.code, tx.decoded) == (0, False)


def test_sei_failed_txs_keep_their_code_and_have_no_events() -> None:
    block = assemble_block(block_for(SEI), SEI)

    failed = [tx for tx in block.txs if tx.code != 0]
    assert [(tx.index, tx.code, tx.codespace) for tx in failed] == [(0, 32, "sdk"), (1, 32, "sdk")]
    assert failed[0].log.startswith("account sequence mismatch")
    assert not [e for e in block.events if e.tx_index in (0, 1)]
    assert len([e for e in block.events if e.tx_index == 2]) == 6


def test_sei_base64_tx_and_finalize_events_are_decoded_and_null_values_kept() -> None:
    block = assemble_block(block_for(SEI), SEI)

    vote = next(e for e in block.events if e.type == "aggregate_vote")
    assert dict(vote.attributes)["voter"] == "seivaloper1eqgnd7ey0hnha8rrfukjrsawulhna0zagcg6a4"
    assert vote.msg_index == 0
    events = block_events(block)
    assert len(events) == 81
    assert {e.phase for e in events} == {"finalize_block"}
    assert events[0].type == "proposer_reward"
    assert events[0].attributes == (
        ("amount", None),
        ("validator", "seivaloper1qae8v3h6wd6f5yfxyx3zeumuddwhm4qeyz5qre"),
    )


@pytest.mark.parametrize("search", [KVSTORE_034, KVSTORE_038], ids=["v0.34", "v0.38"])
def test_kvstore_block_keeps_undecodable_txs_with_their_events(search: Any) -> None:
    block = assemble_block(*kvstore_pair(search))

    assert [tx.decoded for tx in block.txs] == [False] * 9
    assert [tx.hash for tx in block.txs] == [found["hash"] for found in search["txs"]]
    first = block.events[0]
    assert (first.type, first.tx_index, first.msg_index) == ("app", 0, None)
    assert first.attributes[:2] == (("creator", "Cosmoshi Netowoko"), ("key", "async-key"))


def fixture_pairs() -> list[Any]:
    return [
        pytest.param(MSGSEND, True, ("transfer", "amount", "8000000basetcro"), id="croeseid"),
        pytest.param(TWO_MSGSEND, True, ("transfer", "amount", "2000basetcro"), id="2msgsend"),
        pytest.param(
            (block_for(OSMOSIS), OSMOSIS),
            True,
            ("tx", "fee", "500uosmo"),
            id="osmosis",
        ),
        pytest.param(
            (block_for(INJECTIVE), INJECTIVE),
            True,
            ("delegate", "amount", "49980000000000000000inj"),
            id="injective",
        ),
        pytest.param(
            (block_for(DYDX, encoded=False), DYDX),
            False,
            ("", "", "\n2/dydxprotocol.bridge.MsgAcknowledgeBridgesResponse"),
            id="dydx",
        ),
        pytest.param(
            (block_for(SEI), SEI),
            True,
            ("tx", "fee_payer", "sei1nurfe690mer9dmy8pp7resdsfx3pya7h9qw39l"),
            id="sei",
        ),
        pytest.param(kvstore_pair(KVSTORE_034), True, ("app", "key", "tx0"), id="kvstore-0.34"),
        pytest.param(kvstore_pair(KVSTORE_038), False, ("app", "key", "tx0"), id="kvstore-0.38"),
        pytest.param(simd_pair(), False, ("coin_spent", "amount", "881stake"), id="simd"),
        pytest.param(
            (MSGSEND[0], to_038(MSGSEND[1])),
            False,
            ("transfer", "amount", "8000000basetcro"),
            id="croeseid-as-0.38",
        ),
    ]


@pytest.mark.parametrize(("pair", "encoded", "expected"), fixture_pairs())
def test_attribute_encoding_is_decided_right_for_every_fixture(
    pair: tuple[Any, Any], encoded: bool, expected: tuple[str, str, str]
) -> None:
    _, results = pair
    block_lists = ("begin_block_events", "end_block_events", "finalize_block_events")
    lists = [r.get("events") for r in results.get("txs_results") or []]
    lists += [results.get(key) for key in block_lists]
    as_sent = [
        (e.get("type", ""), tuple((a["key"], a["value"]) for a in e["attributes"]))
        for events in lists
        for e in events or []
    ]

    block = assemble_block(*pair)

    assert attributes_are_base64(as_sent) is encoded
    assert expected in set(attribute_triples(block))
    assert all(KEY_NAME.fullmatch(key) for _, key, _ in attribute_triples(block))


def test_plain_values_that_look_like_base64_are_kept() -> None:
    looks_like_base64 = ["transfer", "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7", "YWJj", ""]
    results = {
        "height": "5",
        "txs_results": [],
        "finalize_block_events": [
            {
                "type": "transfer",
                "attributes": [{"key": "sender", "value": value} for value in looks_like_base64],
            }
        ],
    }

    block = assemble_block(block_for(results, txs=[]), results)

    assert [value for _, value in block.events[0].attributes] == looks_like_base64


def test_keys_that_all_decode_but_name_no_known_key_are_taken_as_plain() -> None:
    events = [("app", (("YWJj", "ZGVm"),))]

    assert attributes_are_base64(events) is False
    assert attributes_are_base64([("app", (("YWN0aW9u", "ZGVm"),))]) is True
    assert attributes_are_base64([]) is False


@pytest.mark.parametrize(
    "pair",
    [MSGSEND, TWO_MSGSEND, (block_for(INJECTIVE), INJECTIVE), (block_for(OSMOSIS), OSMOSIS)],
    ids=["croeseid", "2msgsend", "injective", "osmosis"],
)
def test_034_and_038_layouts_decode_to_the_same_block(pair: tuple[Any, Any]) -> None:
    """Nothing differs: the encoding, the split into begin/end lists and the SDK's `mode`
    marker are exactly what the normalized record leaves out (the phase keeps the marker)."""
    block, results = pair

    as_034 = assemble_block(block, results)
    as_038 = assemble_block(block, to_038(results))

    assert as_038 == as_034
    assert {e.phase for e in block_events(as_034)} <= {"begin_block", "end_block"}


def sdk050_results() -> Any:
    """A plain-attribute transaction as SDK 0.50 reports it: `msg_index` on every event a
    message emitted, none on the ante handler's (fee) events."""
    fee = {"type": "tx", "attributes": [{"key": "fee", "value": "10uatom"}]}

    def emitted(kind: str, amount: str, index: str) -> Any:
        return {
            "type": kind,
            "attributes": [
                {"key": "amount", "value": amount},
                {"key": "msg_index", "value": index},
            ],
        }

    return {
        "height": "9",
        "txs_results": [
            {
                "code": 0,
                "events": [
                    fee,
                    emitted("message", "", "0"),
                    emitted("transfer", "1uatom", "1"),
                    emitted("transfer", "2uatom", "1"),
                ],
            }
        ],
    }


def test_msg_index_attribute_says_which_message_emitted_an_event() -> None:
    results = sdk050_results()

    block = assemble_block(block_for(results, encoded=False, txs=[synthetic_tx([])]), results)

    assert [e.msg_index for e in block.events] == [None, 0, 1, 1]
    assert block.events[2].attributes == (("amount", "1uatom"), ("msg_index", "1"))


def test_action_events_that_do_not_match_the_messages_attribute_nothing() -> None:
    block, results = copy.deepcopy(TWO_MSGSEND)
    del results["txs_results"][0]["events"][4]  # the second message's `action` event

    assembled = assemble_block(block, results)

    assert {e.msg_index for e in assembled.events} == {None}


def plain(kind: str, *pairs: tuple[str, str]) -> Any:
    return {"type": kind, "attributes": [{"key": key, "value": value} for key, value in pairs]}


def test_mode_marker_becomes_the_phase_and_leaves_the_attributes() -> None:
    results = {
        "height": "12",
        "txs_results": None,
        "finalize_block_events": [
            plain("mint", ("amount", "5"), ("mode", "BeginBlock")),
            plain("upgrade", ("mode", "PreBlock")),
            plain("complete_unbonding", ("mode", "EndBlock")),
            plain("custom", ("mode", "fast")),
        ],
    }

    block = assemble_block(block_for(results, txs=[]), results)

    assert [(e.type, e.phase, e.attributes) for e in block.events] == [
        ("mint", "begin_block", (("amount", "5"),)),
        ("upgrade", "begin_block", ()),
        ("complete_unbonding", "end_block", ()),
        ("custom", "finalize_block", (("mode", "fast"),)),
    ]


def test_heights_that_differ_are_a_transient_error() -> None:
    block, results = MSGSEND

    with pytest.raises(RpcTransient, match="height 377673 but /block_results at 377674"):
        assemble_block(block, {**results, "height": "377674"})


@pytest.mark.parametrize("count", [0, 2])
def test_not_one_result_per_transaction_is_a_transient_error(count: int) -> None:
    block, results = MSGSEND
    tx_results = (results["txs_results"] * 2)[:count]

    with pytest.raises(RpcTransient, match=f"1 transactions but /block_results {count} results"):
        assemble_block(block, {**results, "txs_results": tx_results})


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"block_id": {"hash": "AB"}, "block": {"header": None}},
        {
            "block_id": None,
            "block": {"header": {"height": "1", "time": "t"}, "data": {"txs": ["AA=="]}},
        },
        {"block_id": {"hash": "AB"}, "block": {"header": {"height": "x"}, "data": {}}},
        {"block_id": {"hash": "AB"}, "block": {"header": {"height": "1"}, "data": {"txs": [5]}}},
    ],
)
def test_malformed_block_is_a_transient_error(broken: Any) -> None:
    results = {"height": "1", "txs_results": [{}]}

    with pytest.raises(RpcTransient, match="malformed"):
        assemble_block(broken, results)


def test_events_that_are_not_well_formed_keep_their_place() -> None:
    results = {
        "height": "3",
        "txs_results": [],
        "begin_block_events": [
            None,
            {"type": None, "attributes": None},
            {"type": "odd", "attributes": [None, {"key": None, "value": 7}, {"key": "k"}]},
        ],
    }

    block = assemble_block(block_for(results, txs=[]), results)

    assert [(e.type, e.attributes, e.event_index) for e in block.events] == [
        ("", (), 0),
        ("", (), 1),
        ("odd", (("", None), ("", "7"), ("k", None)), 2),
    ]
    assert block.parent_hash == "CD" * 32
