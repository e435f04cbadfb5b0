"""Matching the events of real Cosmos blocks against subscriptions: by type, contract and
attribute filters, successful transactions and block-level events only, one Match per event."""

from __future__ import annotations

import base64
import copy
import logging
from typing import Any

import pytest
from cosmpy.protos.cosmos.tx.v1beta1.tx_pb2 import Tx, TxBody
from google.protobuf.any_pb2 import Any as ProtoAny
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.subscriptions import ActiveSubscription
from tests.watcher.test_cosmos_blocks import (
    DYDX,
    INJECTIVE,
    MSGSEND,
    OSMOSIS,
    SEI,
    TWO_MSGSEND,
    actions,
    block_for,
    synthetic_tx,
)
from watcher.cosmos_blocks import assemble_block
from watcher.cosmos_denoms import Denom
from watcher.cosmos_filters import parse_cosmos_filter
from watcher.cosmos_matching import CosmosIndex, event_args
from watcher.cosmos_subscriptions import parse_event_type
from watcher.cosmos_types import CosmosBlock
from watcher.types import ChainEvent, Match

CROESEID_DENOMS = {"basetcro": Denom(base="basetcro", display="TCRO", exponent=8)}
SELF_SENDER = "tcro1feqh6ad9ytjkr79kjk5nhnl4un3wez0ynurrwv"
FEE_COLLECTOR = "tcro17xpfvakm2amg962yls6f84z3kell8c5lxhzaha"
DCA = "osmo1zacxlu90sl6j2zf90uctpddhfmux84ryrw794ywnlcwx2zeh5a4q67qtc9"
ROUTER = "osmo12f3qn6lgeqmwt8g09mkaa0s8t7lsme8k284ddwrqv5he4g5uuxyswn0sn7"
DISTRIBUTION = "osmo1jv65s3grqf6v6jl3dp4t6c9t9rk99cd80yhvld"

CROESEID = assemble_block(*MSGSEND)
CROESEID_2MSG = assemble_block(*TWO_MSGSEND)


def distinct_txs(results: Any) -> list[str]:
    """`block_for`'s synthetic transactions, each with its own memo: two transactions with
    the same messages would otherwise have the same bytes, hence the same hash."""
    return [
        base64.b64encode(
            Tx(
                body=TxBody(
                    messages=[ProtoAny(type_url=url, value=b"") for url in actions(result, True)],
                    memo=f"tx {index}",
                )
            ).SerializeToString()
        ).decode()
        for index, result in enumerate(results["txs_results"])
    ]


OSMOSIS_BLOCK = assemble_block(block_for(OSMOSIS, txs=distinct_txs(OSMOSIS)), OSMOSIS)


def sub(
    subscription_id: int,
    event_name: str | None,
    filter_expr: str = "",
    *,
    address: str = "",
    destination_id: int | None = None,
) -> ActiveSubscription:
    return ActiveSubscription(
        subscription_id=subscription_id,
        destination_id=subscription_id * 10 if destination_id is None else destination_id,
        address=address,
        selector=None,
        event_name=event_name,
        filter_expr=filter_expr,
        abi=[],
    )


def matched(
    block: CosmosBlock, *sources: ActiveSubscription, chain: str = "croeseid", **options: Any
) -> list[Match]:
    return CosmosIndex(chain, sources, **options).match(block)


def positions(matches: list[Match]) -> list[tuple[int | None, int]]:
    """(transaction index, event index) of each matched event, by the tx hash it carries."""
    tx_of = {tx.hash: tx.index for block in (OSMOSIS_BLOCK,) for tx in block.txs}
    return [(tx_of.get(m.event.transaction_hash), m.event.log_index) for m in matches]


def test_a_transfer_to_a_recipient_matches_with_its_attributes_and_message() -> None:
    [match] = matched(
        CROESEID,
        sub(1, "transfer", f"recipient == {SELF_SENDER}"),
        chain="croeseid",
        bech32_prefix="tcro",
    )

    assert match.event == ChainEvent(
        chain="croeseid",
        block_number=377673,
        block_hash=CROESEID.hash,
        transaction_hash=CROESEID.txs[0].hash,
        log_index=3,
        emitter="",
        selector=None,
        name="transfer",
        args={"recipient": SELF_SENDER, "sender": SELF_SENDER, "amount": "1000000000basetcro"},
        topics=(),
        data="",
        msg_index=0,
    )
    assert match.targets == ((1, 10),)


def test_one_tx_with_two_msgsends_gives_two_events_one_per_message() -> None:
    matches = matched(CROESEID_2MSG, sub(1, "transfer", "amount < 1TCRO"), denoms=CROESEID_DENOMS)

    assert [(m.event.msg_index, m.event.args["amount"]) for m in matches] == [
        (0, "1000basetcro"),
        (1, "2000basetcro"),
    ]
    assert {m.event.transaction_hash for m in matches} == {CROESEID_2MSG.txs[0].hash}


def test_display_amounts_are_converted_with_the_chain_denoms() -> None:
    sources = [sub(1, "transfer", "amount >= 10TCRO"), sub(2, "transfer", "amount > 10TCRO")]

    matches = matched(CROESEID, *sources, denoms=CROESEID_DENOMS)

    # 10 TCRO sent by the MsgSend, and the two begin-block transfers of ~174.77 TCRO.
    assert [(m.event.log_index, m.event.transaction_hash != "", m.targets) for m in matches] == [
        (3, True, ((1, 10),)),
        (0, False, ((1, 10), (2, 20))),
        (3, False, ((1, 10), (2, 20))),
    ]


def test_wasm_events_are_matched_by_contract() -> None:
    dca = matched(OSMOSIS_BLOCK, sub(1, "wasm", address=DCA), chain="osmosis")
    router = matched(OSMOSIS_BLOCK, sub(2, "wasm", address=ROUTER.upper()), chain="osmosis")
    by_filter = matched(
        OSMOSIS_BLOCK, sub(3, "wasm", f"_contract_address == {ROUTER}"), chain="osmosis"
    )

    assert positions(dca) == [(6, 10), (7, 10), (7, 36), (7, 44)]
    assert {m.event.emitter for m in dca} == {DCA}
    assert positions(router) == positions(by_filter) == [(7, 15), (7, 31)]
    assert router[1].event.args == {"_contract_address": ROUTER, "return_amount": (
        "302808834ibc/D189335C6E4A68B513C10AB227BF1C1D38C746766278BA3EEB4FB14124F1D858"
    )}  # fmt: skip


def test_wasm_and_message_events_are_filtered_by_their_attributes() -> None:
    skipped = matched(
        OSMOSIS_BLOCK,
        sub(1, "wasm", "execution_skipped == price_threshold_exceeded", address=DCA),
        sub(2, "message", 'action == "/cosmwasm.wasm.v1.MsgExecuteContract"'),
        sub(3, "wasm", "method == try_transfer and quota == none"),
        chain="osmosis",
        bech32_prefix="osmo",
    )

    assert [(positions([m])[0], m.event.name, m.targets) for m in skipped] == [
        ((1, 14), "wasm", ((3, 30),)),
        ((6, 7), "message", ((2, 20),)),
        ((6, 10), "wasm", ((1, 10),)),
        ((7, 7), "message", ((2, 20),)),
    ]


def wasm_results(code: int = 0) -> Any:
    """A CosmWasm 1.x transaction's plain (0.37+) events: `wasm-<type>` custom events."""

    def event(kind: str, *pairs: tuple[str, str]) -> Any:
        return {"type": kind, "attributes": [{"key": k, "value": v} for k, v in pairs]}

    return {
        "height": "100",
        "txs_results": [
            {
                "code": code,
                "events": [
                    event("message", ("action", "/cosmwasm.wasm.v1.MsgExecuteContract")),
                    event("execute", ("_contract_address", DCA)),
                    event("wasm-swap", ("_contract_address", DCA), ("action", "swap")),
                    event("wasm-swap", ("_contract_address", ROUTER), ("action", "swap")),
                    event("wasm-withdraw", ("_contract_address", DCA), ("action", "withdraw")),
                    event("wasmswap", ("_contract_address", DCA)),
                ],
            }
        ],
    }


def wasm_block(code: int = 0) -> CosmosBlock:
    results = wasm_results(code)
    tx = synthetic_tx(["/cosmwasm.wasm.v1.MsgExecuteContract"])
    return assemble_block(block_for(results, encoded=False, txs=[tx]), results)


def test_a_trailing_star_matches_every_type_with_that_prefix() -> None:
    matches = matched(
        wasm_block(),
        sub(1, "wasm-*", address=DCA),
        sub(2, "wasm-swap", "action == swap"),
        sub(3, "*", address=ROUTER),
        sub(4, None, "action == withdraw"),
        chain="osmosis",
    )

    assert [(m.event.name, m.event.emitter, m.targets) for m in matches] == [
        ("wasm-swap", DCA, ((1, 10), (2, 20))),
        ("wasm-swap", ROUTER, ((2, 20), (3, 30))),
        ("wasm-withdraw", DCA, ((1, 10), (4, 40))),
    ]
    assert [m.event.msg_index for m in matches] == [0, 0, 0]


def test_subscriptions_on_one_event_give_one_match_with_every_target() -> None:
    matches = matched(
        CROESEID,
        sub(7, "transfer", f"recipient == {SELF_SENDER}", destination_id=1),
        sub(3, "transfer", "amount >= 1000000000basetcro and msg_index == 0"),
        sub(3, "transfer", "amount >= 1000000000basetcro", destination_id=2),
        sub(5, "transfer", f"sender == {SELF_SENDER}"),
        sub(5, "transfer", f"sender == {SELF_SENDER}"),
        sub(9, "message"),
    )
    tx_transfers = [m for m in matches if m.event.name == "transfer" and m.event.transaction_hash]

    assert [(m.event.log_index, m.targets) for m in tx_transfers] == [
        (0, ((5, 50),)),
        (3, ((3, 2), (5, 50), (7, 1))),
    ]
    assert [m.event.log_index for m in matches] == [0, 1, 2, 3, 4, 5, 0, 1, 3, 4]
    assert [m.event.transaction_hash == "" for m in matches] == [False] * 6 + [True] * 4


def test_events_of_failed_transactions_never_match() -> None:
    block, results = copy.deepcopy(MSGSEND)
    results["txs_results"][0]["code"] = 5  # the same events, now reported for a failed tx

    failed = assemble_block(block, results)
    matches = matched(failed, sub(1, "transfer"), sub(2, "*"))

    assert failed.txs[0].code == 5
    assert matches and all(m.event.transaction_hash == "" for m in matches)
    assert matched(wasm_block(code=11), sub(1, "*")) == []


def test_sei_failed_transactions_give_nothing_and_its_good_ones_match() -> None:
    block = assemble_block(block_for(SEI), SEI)

    matches = matched(block, sub(1, "*"), chain="sei")

    hashes = {m.event.transaction_hash for m in matches}
    assert not hashes & {block.txs[0].hash, block.txs[1].hash}
    assert block.txs[2].hash in hashes


def test_block_level_events_match_when_subscribed() -> None:
    received = matched(
        OSMOSIS_BLOCK,
        sub(1, "coin_received", f"receiver == {DISTRIBUTION} and amount >= 1uosmo"),
        chain="osmosis",
        bech32_prefix="osmo",
    )
    injective = assemble_block(block_for(INJECTIVE), INJECTIVE)
    transfers = matched(injective, sub(2, "transfer", "amount > 1inj"), chain="injective")

    [coin] = received
    assert (coin.event.transaction_hash, coin.event.log_index, coin.event.msg_index) == (
        "",
        1,
        None,
    )
    assert coin.event.args == {"receiver": DISTRIBUTION, "amount": "39206uosmo"}
    assert [(m.event.transaction_hash, m.event.log_index) for m in transfers][-2:] == [
        ("", 4),
        ("", 9),
    ]


def test_null_values_are_kept_and_decimal_coins_compare() -> None:
    matches = matched(
        OSMOSIS_BLOCK,
        sub(1, "commission", "amount > 3071uosmo and amount < 3072uosmo"),
        sub(2, "proposer_reward", "not amount == 1uosmo"),
        chain="osmosis",
    )

    assert [(m.event.name, m.event.args["amount"]) for m in matches] == [
        ("proposer_reward", None),
        ("commission", "3071.786589140670775764uosmo"),
    ]


def test_events_without_type_or_keys_never_crash_and_match_a_catch_all() -> None:
    block = assemble_block(block_for(DYDX, encoded=False), DYDX)

    everything = matched(block, sub(1, "*", "not x == 1"), chain="dydx")
    filtered = matched(block, sub(2, None, "x == 1 or amount > 5uatom"), chain="dydx")

    assert [m.event.name for m in everything] == ["", "", "", ""]
    assert everything[0].event.args == {"": "\n0/dydxprotocol.clob.MsgProposedOperationsResponse"}
    assert filtered == []


def test_repeated_keys_keep_every_value_in_order() -> None:
    results = {
        "height": "8",
        "txs_results": [],
        "finalize_block_events": [
            {
                "type": "transfer",
                "attributes": [
                    {"key": "recipient", "value": SELF_SENDER},
                    {"key": "amount", "value": "5basetcro"},
                    {"key": "recipient", "value": FEE_COLLECTOR},
                    {"key": "amount", "value": None},
                    {"key": "amount", "value": "7basetcro"},
                ],
            }
        ],
    }
    block = assemble_block(block_for(results, txs=[]), results)

    [match] = matched(
        block, sub(1, "transfer", f"recipient == {FEE_COLLECTOR} and amount > 6basetcro")
    )

    assert match.event.args == {
        "recipient": [SELF_SENDER, FEE_COLLECTOR],
        "amount": ["5basetcro", None, "7basetcro"],
    }
    assert event_args(block.events[0]) == match.event.args


def test_a_subscription_that_no_longer_compiles_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="watcher.cosmos_matching")
    index = CosmosIndex(
        "croeseid",
        [
            sub(1, "transfer", "amount >= 1.5ATOM"),
            sub(2, "tran*fer"),
            sub(3, "transfer", f"recipient == {SELF_SENDER}"),
        ],
        denoms=CROESEID_DENOMS,
        bech32_prefix="tcro",
    )

    assert [m.targets for m in index.match(CROESEID)] == [((3, 30),)]
    skipped = [r for r in caplog.records if r.getMessage().startswith("subscription skipped")]
    assert [getattr(r, "subscription", None) for r in skipped] == [1, 2]
    assert "ATOM" in skipped[0].getMessage()


def test_an_index_without_subscriptions_is_empty_and_matches_nothing() -> None:
    index = CosmosIndex("croeseid", [sub(1, "")])

    assert index.empty
    assert index.match(CROESEID) == []
    assert not CosmosIndex("croeseid", [sub(1, "wasm-*")]).empty


# --- property: the index finds exactly what checking every subscription would --------------

EVENT_TYPES = sorted({e.type for e in OSMOSIS_BLOCK.events})
PATTERNS = [*EVENT_TYPES, "wasm*", "coin_*", "*", "c*", "nothing", None]
ADDRESSES = ["", DCA, ROUTER, DCA.upper()]
FILTERS = ["", "amount >= 1uosmo", "not sender == x", "_contract_address != " + DCA]


def naive_targets(
    sources: list[ActiveSubscription],
) -> list[tuple[int, tuple[tuple[int, int], ...]]]:
    """Every subscription tried on every event, straight from the rules' wording."""
    found = []
    for position, event in enumerate(OSMOSIS_BLOCK.events):
        args = event_args(event)
        emitter = dict(event.attributes).get("_contract_address") or ""
        targets = set()
        for source in sources:
            pattern = parse_event_type(source.event_name)
            typed = (
                event.type.startswith(pattern.text)
                if pattern.prefix
                else event.type == pattern.text
            )
            by_contract = source.address in ("", emitter) or source.address.lower() == emitter
            kept = parse_cosmos_filter(source.filter_expr).matches(args)
            if typed and by_contract and kept:
                targets.add((source.subscription_id, source.destination_id))
        if targets:
            found.append((position, tuple(sorted(targets))))
    return found


SOURCES = st.lists(
    st.builds(
        sub,
        st.integers(1, 6),
        st.sampled_from(PATTERNS),
        st.sampled_from(FILTERS),
        address=st.sampled_from(ADDRESSES),
        destination_id=st.integers(1, 3),
    ),
    max_size=8,
)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(SOURCES)
def test_the_index_finds_what_trying_every_subscription_finds(
    sources: list[ActiveSubscription],
) -> None:
    matches = matched(OSMOSIS_BLOCK, *sources, chain="osmosis")
    where = {id(event): position for position, event in enumerate(OSMOSIS_BLOCK.events)}
    by_key = {(e.tx_hash or "", e.event_index): id(e) for e in OSMOSIS_BLOCK.events}

    found = [
        (where[by_key[(m.event.transaction_hash, m.event.log_index)]], m.targets) for m in matches
    ]

    assert found == naive_targets(sources)
