"""Message and failed-transaction subscriptions on built Cosmos SDK blocks: messages by type URL,
contract and fields; failed transactions by the account that signed or paid for them."""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from typing import Any

import pytest
from cosmpy.protos.cosmos.authz.v1beta1 import tx_pb2 as authz_tx
from cosmpy.protos.cosmos.bank.v1beta1 import bank_pb2
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.v1beta1.coin_pb2 import Coin as ProtoCoin
from google.protobuf.any_pb2 import Any as ProtoAny
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.subscriptions import ActiveSubscription
from tests.support.cosmos_chain import (
    ChainTx,
    CosmosChain,
    Layout,
    Msg,
    contract,
    delegate,
    event,
    failed,
    msg_delegate,
    msg_execute_contract,
    msg_send,
    msg_vote,
    transfer,
    tx,
    validator,
    vote,
    wasm_execute,
)
from watcher.cosmos_blocks import assemble_block
from watcher.cosmos_denoms import Denom
from watcher.cosmos_filters import parse_cosmos_filter
from watcher.cosmos_matching import CosmosIndex
from watcher.cosmos_message_fields import MAX_VALUES, VALUE_MAX_CHARS, message_args
from watcher.cosmos_subscriptions import FAILED_TX, subscription_kind
from watcher.cosmos_types import CosmosBlock, CosmosMessage
from watcher.types import ChainEvent, Match

SEND = "/cosmos.bank.v1beta1.MsgSend"
MULTI_SEND = "/cosmos.bank.v1beta1.MsgMultiSend"
DELEGATE = "/cosmos.staking.v1beta1.MsgDelegate"
VOTE = "/cosmos.gov.v1.MsgVote"
EXECUTE = "/cosmwasm.wasm.v1.MsgExecuteContract"
EXEC = "/cosmos.authz.v1beta1.MsgExec"
ATOM = {"uatom": Denom(base="uatom", display="ATOM", exponent=6)}
IBC_USDC = "ibc/498A0751C798A0D9A389AA3691123DADA57DAA4FE165D5C75894505B876BA6E4"

CHAIN = CosmosChain()
ALICE, BOB, CAROL = CHAIN.account("alice"), CHAIN.account("bob"), CHAIN.account("carol")
VALIDATOR, OTHER_VALIDATOR = CHAIN.validator, validator("validator-1")
DEX, VAULT = contract("dex"), contract("vault")


def sub(
    subscription_id: int, event_name: str | None, filter_expr: str = "", *, address: str = ""
) -> ActiveSubscription:
    return ActiveSubscription(
        subscription_id=subscription_id,
        destination_id=subscription_id * 10,
        address=address,
        selector=None,
        event_name=event_name,
        filter_expr=filter_expr,
        abi=[],
    )


def mined(*txs: ChainTx, layout: Layout = "0.38") -> CosmosBlock:
    """The block a node serves with these transactions, decoded as the watcher decodes it."""
    block = CosmosChain().mine(*txs)
    return assemble_block(block.block_json(), block.block_results_json(layout))


def matched(block: CosmosBlock, *sources: ActiveSubscription) -> list[Match]:
    return CosmosIndex("cosmoshub", sources, ATOM, "cosmos").match(block)


def seen(matches: list[Match]) -> list[tuple[str | None, int, int | None, tuple[Any, ...]]]:
    return [(m.event.name, m.event.log_index, m.event.msg_index, m.targets) for m in matches]


# --- messages --------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["0.34", "0.37", "0.38"])
def test_a_delegation_to_a_validator_matches_with_its_fields(layout: Layout) -> None:
    block = mined(
        delegate(ALICE, VALIDATOR, 2_000_000, "uatom"),
        delegate(BOB, OTHER_VALIDATOR, 3_000_000, "uatom"),
        layout=layout,
    )

    [match] = matched(block, sub(1, DELEGATE, f"validator_address == {VALIDATOR}"))

    assert match.event == ChainEvent(
        chain="cosmoshub",
        block_number=block.height,
        block_hash=block.hash,
        transaction_hash=block.txs[0].hash,
        log_index=-1,
        emitter="",
        selector=None,
        name=DELEGATE,
        args={
            "signer": ALICE,
            "delegator_address": ALICE,
            "validator_address": VALIDATOR,
            "amount": "2000000uatom",
        },
        topics=(),
        data="",
        msg_index=0,
    )
    assert match.targets == ((1, 10),)


def test_a_vote_on_proposal_7_matches_and_votes_on_others_do_not() -> None:
    block = mined(
        vote(ALICE, 7),
        vote(BOB, 8),
        vote(CAROL, 7, "VOTE_OPTION_NO_WITH_VETO"),
    )

    matches = matched(
        block,
        sub(1, VOTE, "proposal_id == 7"),
        sub(2, VOTE, "proposal_id == 7 and option == VOTE_OPTION_NO_WITH_VETO"),
        sub(3, VOTE, f"voter == {BOB.upper()}"),
    )

    assert [(m.event.transaction_hash, m.targets) for m in matches] == [
        (block.txs[0].hash, ((1, 10),)),
        (block.txs[1].hash, ((3, 30),)),
        (block.txs[2].hash, ((1, 10), (2, 20))),
    ]
    assert matches[2].event.args == {
        "signer": CAROL,
        "proposal_id": "7",
        "voter": CAROL,
        "option": "VOTE_OPTION_NO_WITH_VETO",
    }


def test_a_send_of_at_least_one_and_a_half_atom_matches_in_base_units() -> None:
    block = mined(
        transfer(ALICE, BOB, 1_500_000, "uatom"),
        transfer(ALICE, BOB, 1_499_999, "uatom", sequence=1),
        transfer(ALICE, BOB, 9_000_000, IBC_USDC, sequence=2),
        transfer(BOB, CAROL, 20_000_000, "uatom"),
    )

    matches = matched(
        block,
        sub(1, SEND, "amount >= 1.5ATOM"),
        sub(2, SEND, f"amount > 1uatom and to_address == {CAROL}"),
        sub(3, SEND, f'amount == "9000000{IBC_USDC}"'),
    )

    assert [(m.event.args["amount"], m.targets) for m in matches] == [
        ("1500000uatom", ((1, 10),)),
        (f"9000000{IBC_USDC}", ((3, 30),)),
        ("20000000uatom", ((1, 10), (2, 20))),
    ]


def test_multi_coin_and_multi_party_messages_compare_any_of_their_values() -> None:
    coins = [ProtoCoin(denom="uatom", amount="4000000"), ProtoCoin(denom="uosmo", amount="7")]
    multi = bank_tx.MsgMultiSend(
        inputs=[bank_pb2.Input(address=ALICE, coins=coins)],
        outputs=[
            bank_pb2.Output(address=BOB, coins=coins[:1]),
            bank_pb2.Output(address=CAROL, coins=coins[1:]),
        ],
    )
    response = bank_tx.MsgMultiSendResponse()
    block = mined(tx(Msg(MULTI_SEND, multi, response, "bank", ALICE, ())))

    matches = matched(
        block,
        sub(1, MULTI_SEND, f"outputs_address == {CAROL}"),
        sub(2, MULTI_SEND, "outputs_coins >= 4ATOM"),
        sub(3, MULTI_SEND, "outputs_coins > 4ATOM"),
    )

    [match] = matches
    assert match.targets == ((1, 10), (2, 20))
    assert match.event.args == {
        "signer": ALICE,
        "inputs_address": [ALICE],
        "inputs_coins": ["4000000uatom,7uosmo"],
        "outputs_address": [BOB, CAROL],
        "outputs_coins": ["4000000uatom", "7uosmo"],
    }


def test_contract_executions_are_matched_by_contract_and_by_their_json_message() -> None:
    swap = msg_execute_contract(DEX, BOB, {"swap": {"max_spread": "0.005", "to": CAROL}})
    block = mined(
        wasm_execute(DEX, ALICE, ("action", "claim")),
        wasm_execute(VAULT, ALICE, ("action", "claim"), sequence=1),
        tx(swap),
    )

    dex = matched(block, sub(1, EXECUTE, address=DEX.upper()))
    claims = matched(block, sub(2, EXECUTE, 'msg_claim == ""'))
    tight = matched(block, sub(3, EXECUTE, "msg_swap_max_spread < 0.01", address=DEX))

    assert [(m.event.transaction_hash, m.event.emitter) for m in dex] == [
        (block.txs[0].hash, DEX),
        (block.txs[2].hash, DEX),
    ]
    assert [m.event.emitter for m in claims] == [DEX, VAULT]
    [spread] = tight
    assert spread.event.args == {
        "signer": BOB,
        "sender": BOB,
        "contract": DEX,
        "msg_swap_max_spread": "0.005",
        "msg_swap_to": CAROL,
    }


def test_an_authz_exec_shows_the_messages_it_carries() -> None:
    inner = bank_tx.MsgSend(
        from_address=ALICE, to_address=CAROL, amount=[ProtoCoin(denom="uatom", amount="5")]
    )
    packed = ProtoAny(type_url=SEND, value=inner.SerializeToString())
    body = authz_tx.MsgExec(grantee=BOB, msgs=[packed])
    exec_msg = Msg(EXEC, body, authz_tx.MsgExecResponse(), "authz", BOB, ())

    [match] = matched(mined(tx(exec_msg)), sub(1, EXEC, f'msgs_type_url == "{SEND}"'))

    assert match.event.args == {
        "signer": BOB,
        "grantee": BOB,
        "msgs_type_url": [SEND],
        "msgs_from_address": [ALICE],
        "msgs_to_address": [CAROL],
        "msgs_amount": ["5uatom"],
    }


def test_an_event_and_a_message_of_one_transaction_are_distinct_matches() -> None:
    block = mined(
        tx(msg_delegate(ALICE, VALIDATOR, 5, "uatom"), msg_vote(ALICE, 7), memo="two messages")
    )

    matches = matched(block, sub(1, DELEGATE), sub(2, "delegate"), sub(3, VOTE), sub(4, "*"))

    keys = [(m.event.transaction_hash, m.event.log_index) for m in matches]
    assert len(keys) == len(set(keys))
    tx_level = [entry for entry in seen(matches) if entry[1] < 0]
    assert tx_level == [(DELEGATE, -1, 0, ((1, 10),)), (VOTE, -2, 1, ((3, 30),))]
    delegate_event = next(m for m in matches if m.event.name == "delegate")
    assert delegate_event.event.log_index >= 0
    assert delegate_event.event.msg_index == 0
    assert delegate_event.targets == ((2, 20), (4, 40))
    # A transaction's messages come first, then its events, then the block's own events.
    assert [m.event.log_index for m in matches][:3] == [-1, -2, 0]
    assert matches[-1].event.transaction_hash == ""


def test_catch_all_event_subscriptions_never_match_messages_or_failures() -> None:
    block = mined(transfer(ALICE, BOB, 5, "uatom"), failed(ALICE))

    names = {m.event.name for m in matched(block, sub(1, "*"), sub(2, None))}

    assert "transfer" in names
    assert not {name for name in names if name and (name.startswith("/") or name == FAILED_TX)}


def test_messages_of_an_undecodable_transaction_never_match() -> None:
    kvstore = ChainTx(b"name=satoshi")
    block = mined(kvstore, transfer(ALICE, BOB, 5, "uatom"))

    matches = matched(block, sub(1, SEND), sub(2, "/name"))

    assert not block.txs[0].decoded
    assert [m.event.transaction_hash for m in matches] == [block.txs[1].hash]


# --- failed transactions ---------------------------------------------------------------------


def test_a_failed_transaction_of_alice_matches_her_subscription_and_not_bobs() -> None:
    block = mined(failed(ALICE), transfer(BOB, ALICE, 1, "uatom"), failed(CAROL, code=5))

    matches = matched(
        block,
        sub(1, FAILED_TX, address=ALICE.upper()),
        sub(2, FAILED_TX, address=BOB),
        sub(3, FAILED_TX, "code == 32 and codespace == sdk", address=ALICE),
        sub(4, FAILED_TX, "code == 5", address=ALICE),
    )

    [match] = matches
    assert match.event == ChainEvent(
        chain="cosmoshub",
        block_number=block.height,
        block_hash=block.hash,
        transaction_hash=block.txs[0].hash,
        log_index=-1,
        emitter="",
        selector=None,
        name=FAILED_TX,
        args={
            "code": "32",
            "codespace": "sdk",
            "log": "account sequence mismatch, expected 1, got 0: incorrect account sequence",
            "signer": ALICE,
            "messages": [SEND],
            "memo": "",
        },
        topics=(),
        data="",
        msg_index=None,
    )
    assert match.targets == ((1, 10), (3, 30))


def test_messages_of_failed_transactions_never_match() -> None:
    attempt = msg_delegate(ALICE, VALIDATOR, 5_000_000, "uatom")
    block = mined(failed(ALICE, code=13, codespace="sdk", log="insufficient fee", msg=attempt))

    matches = matched(
        block,
        sub(1, DELEGATE),
        sub(2, SEND),
        sub(3, FAILED_TX, f'messages == "{DELEGATE}" and code == 13', address=ALICE),
    )

    assert seen(matches) == [(FAILED_TX, -1, None, ((3, 30),))]
    assert matches[0].event.args["log"] == "insufficient fee"


def test_a_failed_transaction_matches_the_account_that_paid_its_fee() -> None:
    # SDK 0.50 keeps the ante handler's events of a transaction that failed in its messages:
    # the fee was paid by a granter (carol) for alice.
    paid_by_carol = replace(
        failed(ALICE, code=5, log="insufficient funds"),
        events=(
            event("tx", ("fee", "5000uatom"), ("fee_payer", CAROL)),
            event("tx", ("acc_seq", f"{ALICE}/0")),
        ),
    )
    block = mined(paid_by_carol)

    matches = matched(
        block,
        sub(1, FAILED_TX, address=CAROL),
        sub(2, FAILED_TX, f"signer == {ALICE}", address=ALICE),
        sub(3, "tx"),
    )

    [match] = matches
    assert match.targets == ((1, 10), (2, 20))
    assert match.event.args["signer"] == ALICE


def test_a_failed_transaction_nobody_signed_that_we_can_read_matches_nobody() -> None:
    block = mined(replace(ChainTx(b"name=satoshi"), code=1, log="bad tx"))

    assert matched(block, sub(1, FAILED_TX, address=ALICE)) == []


def test_a_long_failure_log_is_cut() -> None:
    block = mined(failed(ALICE, log="out of gas " * 200))

    [match] = matched(block, sub(1, FAILED_TX, address=ALICE))

    logged = match.event.args["log"]
    assert len(logged) == 501
    assert logged.startswith("out of gas out of gas")
    assert logged.endswith("…")


# --- subscriptions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [(SEND, "message"), (FAILED_TX, "failed_tx"), ("transfer", "event"), ("*", "event"),
     (None, "event"), ("tx", "event"), ("cosmos.bank.v1beta1.EventSend", "event")],
)  # fmt: skip
def test_the_event_name_says_what_is_watched(name: str | None, kind: str) -> None:
    assert subscription_kind(name) == kind


def test_subscriptions_that_cannot_be_watched_are_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="watcher.cosmos_matching")
    block = mined(transfer(ALICE, BOB, 5, "uatom"), failed(ALICE))
    index = CosmosIndex(
        "cosmoshub",
        [
            sub(1, "/cosmos.bank.*"),
            sub(2, "/"),
            sub(3, "/cosmos.bank.v1beta1.MsgSend "),
            sub(4, FAILED_TX),
            sub(5, FAILED_TX, address="cosmos1notanaddress"),
            sub(6, FAILED_TX, address=CHAIN.account("alice").replace("cosmos", "osmo")),
            sub(7, SEND, "amount >= 1.5OSMO"),
            sub(8, SEND),
            sub(9, FAILED_TX, address=ALICE),
        ],
        ATOM,
        "cosmos",
    )

    assert [m.targets for m in index.match(block)] == [((8, 80),), ((9, 90),)]
    skipped = [r for r in caplog.records if r.getMessage().startswith("subscription skipped")]
    assert [getattr(r, "subscription", None) for r in skipped] == [1, 2, 3, 4, 5, 6, 7]


def test_an_index_with_only_message_or_failure_subscriptions_is_not_empty() -> None:
    assert not CosmosIndex("cosmoshub", [sub(1, VOTE)]).empty
    assert not CosmosIndex("cosmoshub", [sub(1, FAILED_TX, address=ALICE)]).empty
    assert CosmosIndex("cosmoshub", [sub(1, FAILED_TX)]).empty


# --- how fields are exposed ------------------------------------------------------------------


def message(body: dict[str, Any], type_url: str = "/example.v1.MsgOdd") -> CosmosMessage:
    return CosmosMessage(index=0, type_url=type_url, signer=ALICE, body=body)


def test_nested_objects_lists_and_any_types_are_flattened_to_filter_names() -> None:
    body: dict[str, Any] = {
        "description": {"moniker": "Blockbell", "details": ""},
        "commission": {"rates": {"rate": "0.05"}},
        "min_self_delegation": "1",
        "value": {"denom": "uatom", "amount": "1000000"},
        "pubkey": {"@type": "/cosmos.crypto.ed25519.PubKey", "key": "q83v"},
        "tags": ["a", 1, True, None],
        "empty": {},
        "signer": "cosmos1someoneelse",
        "odd-key": {"a.b": 1.5},
        "level": {"a": {"b": {"c": {"d": {"e": {"f": "six levels down"}}}}}},
        "deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": "seven levels down"}}}}}}},
    }

    args = message_args(message(body))

    assert args == {
        "signer": ALICE,
        "description_moniker": "Blockbell",
        "description_details": "",
        "commission_rates_rate": "0.05",
        "min_self_delegation": "1",
        "value": "1000000uatom",
        "pubkey_type_url": "/cosmos.crypto.ed25519.PubKey",
        "pubkey_key": "q83v",
        "tags": ["a", "1", "true"],
        "empty": "",
        "odd_key_a_b": "1.5",
        "level_a_b_c_d_e_f": "six levels down",
    }
    for name in args:
        parse_cosmos_filter(f"{name} == x")  # every exposed name is one a filter can use


def test_odd_bodies_never_raise_and_big_ones_are_bounded() -> None:
    not_json = base64.b64encode(b"\xff\xfe not json").decode()
    odd = message(
        {"msg": not_json, "contract": DEX, "funds": [{"denom": "uatom"}], "n": 10**30},
        EXECUTE,
    )
    huge = message({"blob": "x" * 5_000, "many": [str(n) for n in range(MAX_VALUES * 2)]})
    nested_list = message({"a": [[["deep"]]]})

    odd_args = message_args(odd)
    huge_args = message_args(huge)

    assert odd_args == {
        "signer": ALICE,
        "msg": not_json,
        "contract": DEX,
        "funds": "0uatom",
        "n": str(10**30),
    }
    assert huge_args["blob"] == "x" * VALUE_MAX_CHARS + "…"
    assert huge_args["many"] == [str(n) for n in range(MAX_VALUES - 1)]
    assert message_args(nested_list)["a"] == ["deep"]
    assert message_args(CosmosMessage(0, "/unknown.MsgX", None)) == {"signer": ""}


# --- property: the index finds what trying every message subscription finds -----------------

PROPERTY_BLOCK = mined(
    transfer(ALICE, BOB, 1_500_000, "uatom"),
    delegate(BOB, VALIDATOR, 3_000_000, "uatom"),
    vote(CAROL, 7),
    wasm_execute(DEX, ALICE, ("action", "swap"), sequence=1),
    tx(msg_send(CAROL, ALICE, 9, "uatom"), msg_execute_contract(VAULT, CAROL, {"claim": {}})),
    failed(BOB, sequence=4),
)
TYPES = [SEND, DELEGATE, VOTE, EXECUTE, "/cosmos.gov.v1beta1.MsgVote"]
MESSAGE_FILTERS = ["", "amount >= 1.5ATOM", f"signer == {CAROL}", "proposal_id == 7",
                   "not msg_claim == x"]  # fmt: skip
MESSAGE_SOURCES = st.lists(
    st.builds(
        sub,
        st.integers(1, 6),
        st.sampled_from(TYPES),
        st.sampled_from(MESSAGE_FILTERS),
        address=st.sampled_from(["", DEX, VAULT.upper()]),
    ),
    max_size=8,
)


def naive_message_targets(
    sources: list[ActiveSubscription],
) -> list[tuple[str, int, tuple[tuple[int, int], ...]]]:
    found = []
    for chain_tx in PROPERTY_BLOCK.txs:
        for msg in chain_tx.messages if chain_tx.code == 0 else ():
            args = message_args(msg)
            contract_address = str(msg.body.get("contract", ""))
            targets = {
                (source.subscription_id, source.destination_id)
                for source in sources
                if source.event_name == msg.type_url
                and source.address.lower() in ("", contract_address.lower())
                and parse_cosmos_filter(source.filter_expr, denoms=ATOM).matches(args)
            }
            if targets:
                found.append((chain_tx.hash, msg.index, tuple(sorted(targets))))
    return found


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGE_SOURCES)
def test_the_index_finds_what_trying_every_message_subscription_finds(
    sources: list[ActiveSubscription],
) -> None:
    matches = matched(PROPERTY_BLOCK, *sources)

    found = [(m.event.transaction_hash, m.event.msg_index, m.targets) for m in matches]

    assert found == naive_message_targets(sources)
    assert all(m.event.log_index == -(int(m.event.msg_index or 0) + 1) for m in matches)
