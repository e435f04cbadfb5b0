"""The one-line form on Cosmos SDK chains: `subscribe <chain> [address] <event> [filter]`."""

from __future__ import annotations

import pytest

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from storage.models import Subscription
from tests.bot.core.conftest import USDC, Clock, FakeChainLookup, person, render
from tests.bot.core.cosmos_setup import cosmos_core, matched_ids, stored_matches
from tests.support.cosmos_chain import (
    CosmosChain,
    contract,
    failed,
    transfer,
    validator,
    vote,
    wasm_execute,
)


@pytest.fixture
def core(db: str, lookup: FakeChainLookup) -> BotCore:
    return cosmos_core(lookup)


async def _stored() -> list[tuple[str | None, str, str]]:
    rows = await Subscription.all().order_by("id").prefetch_related("contract")
    return [(row.event_name, row.contract.address, row.filter_expr) for row in rows]


async def test_event_types_messages_contracts_and_failures_in_one_line(
    core: BotCore, clock: Clock
) -> None:
    me, chain = person(), CosmosChain()
    alice, bob = chain.account("alice"), chain.account("bob")
    pool = contract("pool")
    reply = await core.message(
        me, f"subscribe cosmoshub transfer recipient == {bob} and amount >= 1ATOM", clock.tick()
    )
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert "Past events are not looked up on Cosmos chains" in render(reply)
    reply = await core.command(
        me, "subscribe", "cosmoshub /cosmos.gov.v1.MsgVote proposal_id == 7", clock.tick()
    )
    assert "Subscribed: 1 subscription (#2)" in render(reply)
    reply = await core.message(me, f"/subscribe CosmosHub {pool} wasm action == swap", clock.tick())
    assert "Subscribed: 1 subscription (#3)" in render(reply)
    reply = await core.message(me, f"subscribe cosmoshub {alice.upper()} tx.failed", clock.tick())
    assert "Subscribed: 1 subscription (#4)" in render(reply)
    assert await _stored() == [
        ("transfer", "", f"recipient == {bob} and amount >= 1ATOM"),
        ("/cosmos.gov.v1.MsgVote", "", "proposal_id == 7"),
        ("wasm", pool, 'action == "swap"'),
        ("tx.failed", alice, ""),
    ]

    block = chain.mine(
        transfer(alice, bob, 1_000_000, "uatom"),
        vote(bob, 7),
        wasm_execute(pool, bob, ("action", "swap"), sequence=1),
        failed(alice, sequence=1),
        vote(alice, 6, sequence=2),
    )
    matches = await stored_matches("cosmoshub", block)
    assert sorted(matched_ids(matches)) == [1, 2, 3, 4]


async def test_a_contracts_own_events_and_every_event_of_it(core: BotCore, clock: Clock) -> None:
    me, chain = person(), CosmosChain(prefix="osmo", denom="uosmo")
    pool, alice = contract("pool", "osmo"), chain.account("alice")
    reply = await core.message(me, f"subscribe osmosis {pool} *", clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    reply = await core.message(me, f"subscribe osmosis {pool} wasm-*", clock.tick())
    assert "Subscribed: 1 subscription (#2)" in render(reply)
    execute = "/cosmwasm.wasm.v1.MsgExecuteContract"
    reply = await core.message(me, f"subscribe osmosis {pool} {execute}", clock.tick())
    assert "Subscribed: 1 subscription (#3)" in render(reply)
    assert await _stored() == [(None, pool, ""), ("wasm-*", pool, ""), (execute, pool, "")]

    block = chain.mine(wasm_execute(pool, alice, ("action", "swap"), fee=(5000, "uosmo")))
    matches = await stored_matches("osmosis", block)
    # The contract's execute and wasm events (every event), and the message sent to it.
    assert sorted(matched_ids(matches)) == [1, 1, 3]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "subscribe cosmoshub tx.failed",
            "tx.failed watches the failed transactions of one address: put it before tx.failed,"
            " e.g. subscribe cosmoshub cosmos1… tx.failed",
        ),
        (
            f"subscribe cosmoshub {CosmosChain().account('bob')} transfer",
            "An address before transfer would name the CosmWasm contract emitting it",
        ),
        (
            f"subscribe cosmoshub {CosmosChain().account('bob')} /cosmos.bank.v1beta1.MsgSend",
            "validator_address == cosmosvaloper1…",
        ),
        ("subscribe cosmoshub cosmos1qqqq wasm", "cosmos1qqqq is not a valid address"),
        (
            f"subscribe cosmoshub {contract('pool', 'osmo')} wasm",
            "is an address of another chain (osmo1…). Addresses on cosmoshub start with cosmos1…",
        ),
        (
            f"subscribe cosmoshub {validator('v')} tx.failed",
            "is a validator's operator address. An account address is needed here",
        ),
        ("subscribe cosmoshub *", "* alone would be every event of the chain"),
        ("subscribe cosmoshub Transfer(address,uint256)", "is an EVM event signature"),
        ("subscribe cosmoshub trans;fer", "trans;fer is not an event type"),
        ("subscribe cosmoshub cosmos.gov.v1.MsgVote", "write it with a slash in front"),
        ("subscribe cosmoshub transfer amount >= 1.5BTC", "BTC in the condition on amount"),
        ("subscribe cosmoshub transfer amount >", "The filter cannot be read at character"),
    ],
)
async def test_wrong_lines_say_what_is_wrong_and_show_the_form(
    core: BotCore, clock: Clock, line: str, problem: str
) -> None:
    reply = await core.message(person(), line, clock.tick())
    assert problem in render(reply)
    assert "One-line form on cosmoshub: subscribe cosmoshub [address] <event> [filter]" in render(
        reply
    )
    assert await Subscription.all().count() == 0


async def test_the_chain_alone_shows_the_form_and_evm_lines_are_unchanged(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await core.message(me, "subscribe osmosis", clock.tick())
    assert render(reply).startswith("One-line form on osmosis: subscribe osmosis [address]")
    assert "E.g. subscribe osmosis transfer recipient == osmo1…" in render(reply)
    reply = await core.message(me, "subscribe solana transfer", clock.tick())
    assert render(reply).startswith("One-line form: subscribe <chain> <address> <event>")
    reply = await core.message(me, f"subscribe mainnet {USDC} Transfer value >= 2", clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert "Past events" not in render(reply)
    assert (await Subscription.get(id=1)).filter_expr == "value >= 2000000"


async def test_help_shows_the_cosmos_form_only_when_a_cosmos_chain_is_configured(
    core: BotCore, clock: Clock, lookup: FakeChainLookup
) -> None:
    reply = await core.command(person(), "help", "", clock.tick())
    assert (
        "/subscribe <chain> [address] <event> [filter] — on a Cosmos chain the event is an event"
        " type, a message type URL or tx.failed, e.g. subscribe cosmoshub transfer recipient =="
        " cosmos1…"
    ) in render(reply)
    evm_only = BotCore(CoreSettings(chains=("mainnet",), lookup=lookup))
    reply = await evm_only.command(person("200"), "help", "", clock.tick())
    assert "Cosmos" not in render(reply)
