"""The subscribe wizard on a Cosmos SDK chain, driven as a person would through the core, over
SQLite and PostgreSQL; what it stores is compiled and matched as the chain's watcher does."""

from __future__ import annotations

import pytest
from cosmpy.protos.cosmos.gov.v1beta1 import gov_pb2 as gov_v1beta1
from cosmpy.protos.cosmos.gov.v1beta1 import tx_pb2 as gov_v1beta1_tx

from bot.core.dispatch import BotCore
from bot.core.replies import Reply
from storage.models import Subscription
from tests.bot.core.conftest import Clock, FakeChainLookup, action, labels, person, render
from tests.bot.core.cosmos_setup import cosmos_core, matched_ids, stored_matches
from tests.support.cosmos_chain import (
    CosmosChain,
    Msg,
    contract,
    delegate,
    event,
    failed,
    transfer,
    tx,
    validator,
    vote,
    wasm_execute,
)

DELEGATE = "/cosmos.staking.v1beta1.MsgDelegate"


@pytest.fixture
def core(db: str, lookup: FakeChainLookup) -> BotCore:
    return cosmos_core(lookup)


async def _kind(core: BotCore, clock: Clock, label: str, chain: str = "cosmoshub") -> Reply:
    """The wizard on `chain`, with what to watch chosen by its button."""
    me = person()
    reply = await core.command(me, "subscribe", "", clock.tick())
    assert "Which chain should be watched?" in render(reply)
    reply = await core.action(me, action(reply, chain), clock.tick())
    assert f"What should be watched on {chain}?" in render(reply)
    return await core.action(me, action(reply, label), clock.tick())


async def _confirm(core: BotCore, clock: Clock, reply: Reply) -> Reply:
    reply = await core.action(person(), action(reply, "✅ Subscribe"), clock.tick())
    assert "Past events are not looked up on Cosmos chains" in render(reply)
    return reply


async def test_tokens_received_by_an_address_from_start_to_a_matched_block(
    core: BotCore, clock: Clock, lookup: FakeChainLookup
) -> None:
    me, chain = person(), CosmosChain()
    alice, bob, carol = (chain.account(name) for name in ("alice", "bob", "carol"))
    reply = await _kind(core, clock, "Tokens received by an address")
    assert "Tokens received by which address? Type the address on cosmoshub" in render(reply)
    assert "(it starts with cosmos1…)" in render(reply)
    reply = await core.message(me, bob.upper(), clock.tick())
    assert "type a condition such as amount >= 1.5ATOM" in render(reply)
    reply = await core.message(me, "amount >= 1.5atom", clock.tick())
    shown = render(reply)
    assert "Chain: cosmoshub\nEvents: transfer\nFilter: amount >= 1.5atom" in shown
    assert f"Watching: tokens received by {bob}" in shown
    assert "Destination: this chat" in shown
    reply = await _confirm(core, clock, reply)
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert lookup.asked == []

    stored = await Subscription.get(id=1).prefetch_related("contract")
    assert (stored.event_name, stored.selector, stored.instant) == ("transfer", None, True)
    assert stored.filter_expr == f"recipient == {bob} and amount >= 1.5ATOM"
    assert (stored.contract.address, stored.contract.abi) == ("", [])
    block = chain.mine(
        transfer(alice, bob, 2_000_000, "uatom"),
        transfer(alice, bob, 1_000_000, "uatom", sequence=1),
        transfer(alice, carol, 5_000_000, "uatom", sequence=2),
    )
    matches = await stored_matches("cosmoshub", block)
    assert [(m.event.args["recipient"], m.event.args["amount"]) for m in matches] == [
        (bob, "2000000uatom")
    ]


async def test_tokens_sent_by_an_address_leave_out_the_fees_it_pays(
    core: BotCore, clock: Clock
) -> None:
    me, chain = person(), CosmosChain()
    alice, bob = chain.account("alice"), chain.account("bob")
    reply = await _kind(core, clock, "Tokens sent by an address")
    assert "The fees it pays are left out." in render(reply)
    reply = await core.message(me, f"  {alice}\n", clock.tick())
    reply = await core.action(me, action(reply, "No filter"), clock.tick())
    assert "Filter: —" in render(reply)
    assert f"Watching: tokens sent by {alice}, fees left out" in render(reply)
    await _confirm(core, clock, reply)

    block = chain.mine(transfer(alice, bob, 3_000_000, "uatom"), transfer(bob, alice, 1, "uatom"))
    matches = await stored_matches("cosmoshub", block)
    # alice's transaction has two transfers: its fee to the fee collector, and bob's tokens.
    assert [(m.event.args["sender"], m.event.args["recipient"]) for m in matches] == [(alice, bob)]


async def test_delegations_to_a_validator_refuse_accounts_and_other_chains(
    core: BotCore, clock: Clock
) -> None:
    me, chain = person(), CosmosChain()
    alice, bob = chain.account("alice"), chain.account("bob")
    chosen, other = validator("val-1"), validator("val-2")
    reply = await _kind(core, clock, "Delegations to a validator")
    assert "its operator address on cosmoshub (it starts with cosmosvaloper1…" in render(reply)

    reply = await core.message(me, alice, clock.tick())
    assert f"{alice} is an account address, not a validator." in render(reply)
    assert "A validator's operator address starts with cosmosvaloper1…" in render(reply)
    osmo_validator = validator("val-1", "osmovaloper")
    reply = await core.message(me, osmo_validator, clock.tick())
    assert f"{osmo_validator} is an address of another chain (osmovaloper1…)." in render(reply)
    assert "Addresses on cosmoshub start with cosmosvaloper1…" in render(reply)
    typo = chosen[:-1] + ("q" if chosen[-1] != "q" else "p")
    reply = await core.message(me, typo, clock.tick())
    assert f"{typo} is not a valid address. Addresses on cosmoshub look like" in render(reply)
    assert "‹ Something else" in labels(reply)  # noqa: RUF001

    reply = await core.message(me, chosen, clock.tick())
    reply = await core.message(me, "amount >= 100ATOM", clock.tick())
    assert f"Events: {DELEGATE}\nFilter: amount >= 100ATOM" in render(reply)
    assert f"Watching: delegations to the validator {chosen}" in render(reply)
    await _confirm(core, clock, reply)

    block = chain.mine(
        delegate(alice, chosen, 150_000_000, "uatom"),
        delegate(bob, chosen, 5_000_000, "uatom"),
        delegate(alice, other, 500_000_000, "uatom", sequence=1),
    )
    matches = await stored_matches("cosmoshub", block)
    assert [(m.event.name, m.event.args["delegator_address"]) for m in matches] == [
        (DELEGATE, alice)
    ]


def _vote_v1beta1(voter: str, proposal_id: int) -> Msg:
    body = gov_v1beta1_tx.MsgVote(
        proposal_id=proposal_id, voter=voter, option=gov_v1beta1.VoteOption.Value("VOTE_OPTION_NO")
    )
    events = (event("proposal_vote", ("voter", voter), ("proposal_id", str(proposal_id))),)
    response = gov_v1beta1_tx.MsgVoteResponse()
    return Msg("/cosmos.gov.v1beta1.MsgVote", body, response, "gov", voter, events)


async def test_governance_votes_watch_both_gov_versions_with_an_optional_proposal(
    core: BotCore, clock: Clock
) -> None:
    me, chain = person(), CosmosChain()
    alice, bob = chain.account("alice"), chain.account("bob")
    reply = await _kind(core, clock, "Governance votes")
    assert "type a condition such as proposal_id == 7" in render(reply)
    reply = await core.message(me, "proposal_id == 7", clock.tick())
    names = "/cosmos.gov.v1.MsgVote, /cosmos.gov.v1beta1.MsgVote"
    assert f"Events: {names}\nFilter: proposal_id == 7" in render(reply)
    assert "Watching: governance votes" in render(reply)
    reply = await _confirm(core, clock, reply)
    assert "Subscribed: 2 subscriptions (#1, #2)" in render(reply)

    block = chain.mine(
        vote(alice, 7),
        tx(_vote_v1beta1(bob, 7)),
        vote(bob, 8, sequence=1),
    )
    matches = await stored_matches("cosmoshub", block)
    assert [(m.event.name, m.event.args["voter"]) for m in matches] == [
        ("/cosmos.gov.v1.MsgVote", alice),
        ("/cosmos.gov.v1beta1.MsgVote", bob),
    ]
    assert matched_ids(matches) == [1, 2]


async def test_a_cosmwasm_contracts_events_are_its_own_only(core: BotCore, clock: Clock) -> None:
    me, chain = person(), CosmosChain()
    alice = chain.account("alice")
    pool, other = contract("pool"), contract("other")
    reply = await _kind(core, clock, "A CosmWasm contract's events")
    assert "Type the CosmWasm contract's address on cosmoshub" in render(reply)
    reply = await core.message(me, pool, clock.tick())
    reply = await core.message(me, "action == swap", clock.tick())
    assert f"Watching: the events of the CosmWasm contract {pool}" in render(reply)
    await _confirm(core, clock, reply)
    stored = await Subscription.get(id=1).prefetch_related("contract")
    assert (stored.event_name, stored.contract.address) == ("wasm", pool)

    block = chain.mine(
        wasm_execute(pool, alice, ("action", "swap")),
        wasm_execute(pool, alice, ("action", "provide"), sequence=1),
        wasm_execute(other, alice, ("action", "swap"), sequence=2),
    )
    matches = await stored_matches("cosmoshub", block)
    assert [(m.event.emitter, m.event.args["action"]) for m in matches] == [(pool, "swap")]


async def test_failed_transactions_of_an_address(core: BotCore, clock: Clock) -> None:
    me, chain = person(), CosmosChain()
    alice, bob = chain.account("alice"), chain.account("bob")
    reply = await _kind(core, clock, "Failed transactions of an address")
    reply = await core.message(me, validator("alice"), clock.tick())
    assert "is a validator's operator address. An account address is needed here" in render(reply)
    reply = await core.message(me, alice, clock.tick())
    reply = await core.action(me, action(reply, "No filter"), clock.tick())
    assert f"Watching: the failed transactions of {alice}" in render(reply)
    await _confirm(core, clock, reply)
    stored = await Subscription.get(id=1).prefetch_related("contract")
    assert (stored.event_name, stored.contract.address, stored.filter_expr) == (
        "tx.failed",
        alice,
        "",
    )

    block = chain.mine(failed(alice), failed(bob), transfer(alice, bob, 1, "uatom", sequence=1))
    matches = await stored_matches("cosmoshub", block)
    assert [(m.event.name, m.event.args["signer"]) for m in matches] == [("tx.failed", alice)]


async def test_another_event_type_is_typed_with_its_filter_in_one_answer(
    core: BotCore, clock: Clock
) -> None:
    me, chain = person(), CosmosChain()
    alice, bob = chain.account("alice"), chain.account("bob")
    reply = await _kind(core, clock, "Another event type")
    assert "Which events? Type an event type such as transfer" in render(reply)
    assert "A filter may follow, e.g. transfer amount >= 1.5ATOM" in render(reply)
    for typed, problem in (
        ("Transfer(address,uint256)", "is an EVM event signature"),
        ("tx.failed", "Something else, then “Failed transactions of an address”"),
        ("*", "* alone would be every event of the chain"),
        ("cosmos.bank.v1beta1.MsgSend", "write it with a slash in front, /cosmos.bank"),
        ("/cosmos bank", "/cosmos is not a message type URL"),
        ("trans;fer", "trans;fer is not an event type"),
        ("x" * 200, "is too long for an event type: at most 128 characters"),
    ):
        reply = await core.message(me, typed, clock.tick())
        assert problem in render(reply), typed
        assert "Which events?" in render(reply)

    reply = await core.message(me, f"coin_received  receiver == {bob}", clock.tick())
    assert f"Events: coin_received\nFilter: receiver == {bob}" in render(reply)
    assert "Watching: events of type coin_received" in render(reply)
    await _confirm(core, clock, reply)

    block = chain.mine(transfer(alice, bob, 7, "uatom"), transfer(bob, alice, 9, "uatom"))
    matches = await stored_matches("cosmoshub", block)
    assert [(m.event.name, m.event.args["amount"]) for m in matches] == [
        ("coin_received", "7uatom")
    ]


async def test_a_message_type_is_typed_then_its_filter(core: BotCore, clock: Clock) -> None:
    me, chain = person(), CosmosChain()
    alice, bob = chain.account("alice"), chain.account("bob")
    reply = await _kind(core, clock, "Another event type")
    reply = await core.message(me, "/cosmos.bank.v1beta1.MsgSend", clock.tick())
    assert "type a condition such as amount >= 1.5ATOM" in render(reply)
    reply = await core.message(me, "amount > 1ATOM", clock.tick())
    assert "Watching: messages of type /cosmos.bank.v1beta1.MsgSend" in render(reply)
    await _confirm(core, clock, reply)

    block = chain.mine(transfer(alice, bob, 2_000_000, "uatom"), transfer(bob, alice, 5, "uatom"))
    matches = await stored_matches("cosmoshub", block)
    assert [(m.event.name, m.event.args["signer"]) for m in matches] == [
        ("/cosmos.bank.v1beta1.MsgSend", alice)
    ]


async def test_wrong_filters_are_explained_and_the_question_stays(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await _kind(core, clock, "Tokens received by an address")
    reply = await core.message(me, CosmosChain().account("bob"), clock.tick())
    osmo = CosmosChain(prefix="osmo").account("bob")
    for typed, problem in (
        ("amount >= 1.5BTC", "BTC in the condition on amount is not a denomination of this"),
        ("amount >= 1.5BTC", "It knows: ATOM (uatom, 6 decimals)."),
        ("amount >= 0.0000001ATOM", "amounts in ATOM take at most 6 decimal places"),
        (f"sender == {osmo}", f"{osmo} in the condition on sender is an address of another"),
        ("amount >>> 5", "The filter cannot be read at character"),
        ("memo > hello", "> does not apply to memo (type text); use ==, !=."),
        ("a == 1 or " * 120 + "a == 1", "The filter is too long: at most 1000 characters."),
    ):
        reply = await core.message(me, typed, clock.tick())
        assert problem in render(reply), typed
        assert "No filter" in labels(reply)
    reply = await core.message(me, "amount >= 1500000uatom", clock.tick())
    assert "Filter: amount >= 1500000uatom" in render(reply)


async def test_choosing_again_files_and_other_answers_keep_the_wizard_going(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await _kind(core, clock, "Delegations to a validator")
    reply = await core.file(me, "abi.json", 2, b"[]", clock.tick())
    assert "A file is only needed for the ABI" in render(reply)
    reply = await core.action(me, action(reply, "Something else"), clock.tick())
    assert "What should be watched on cosmoshub?" in render(reply)
    reply = await core.message(me, "transfer", clock.tick())
    assert "Please tap one of the buttons below" in render(reply)
    reply = await core.action(me, action(reply, "Governance votes"), clock.tick())
    reply = await core.action(me, action(reply, "No filter"), clock.tick())
    reply = await core.action(me, "w:zzzzzz:ok", clock.tick())
    assert "This button is no longer valid" in render(reply)
    assert "Watching: governance votes" in render(reply)
    reply = await core.command(me, "cancel", "", clock.tick())
    assert "Cancelled. Nothing was saved" in render(reply)
    assert await Subscription.all().count() == 0


async def test_a_restart_mid_wizard_continues_on_the_cosmos_chain(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    me, bob = person(), CosmosChain(prefix="osmo").account("bob")
    first = cosmos_core(lookup)
    reply = await first.command(me, "subscribe", "", clock.tick())
    reply = await first.action(me, action(reply, "osmosis"), clock.tick())
    reply = await first.action(me, action(reply, "Tokens received"), clock.tick())
    reply = await first.message(me, bob, clock.tick())
    assert "type a condition such as amount >= 1.5OSMO" in render(reply)

    restarted = cosmos_core(lookup)
    reply = await restarted.message(me, "amount >= 2OSMO", clock.tick())
    assert f"Watching: tokens received by {bob}" in render(reply)
    reply = await restarted.action(me, action(reply, "✅ Subscribe"), clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    stored = await Subscription.get(id=1)
    assert (stored.chain, stored.filter_expr) == (
        "osmosis",
        f"recipient == {bob} and amount >= 2OSMO",
    )


async def test_a_webhook_destination_is_offered_as_on_evm_chains(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    await core.command(me, "webhook", "https://hooks.example.com/in", clock.tick())
    reply = await _kind(core, clock, "Governance votes")
    reply = await core.action(me, action(reply, "No filter"), clock.tick())
    assert labels(reply)[:2] == ["This chat", "Webhook #1 (hooks.example.com)"]
    reply = await core.action(me, action(reply, "Webhook #1"), clock.tick())
    assert "Destination: webhook #1 (hooks.example.com)" in render(reply)
    await _confirm(core, clock, reply)
    assert {s.destination_id for s in await Subscription.all()} == {1}


async def test_an_address_given_with_the_command_waits_for_the_choice(
    core: BotCore, clock: Clock
) -> None:
    me, chain = person(), CosmosChain()
    bob = chain.account("bob")
    reply = await core.subscribe_with(me, "CosmosHub", bob, clock.tick(), "amount >= 1ATOM")
    assert "What should be watched on cosmoshub?" in render(reply)
    reply = await core.action(me, action(reply, "Tokens received"), clock.tick())
    assert f"Watching: tokens received by {bob}" in render(reply)
    assert "Filter: amount >= 1ATOM" in render(reply)

    reply = await core.subscribe_with(me, "cosmoshub", bob, clock.tick())
    reply = await core.action(me, action(reply, "Delegations"), clock.tick())
    assert f"{bob} is an account address, not a validator." in render(reply)
    assert "Delegations to which validator?" in render(reply)

    reply = await core.subscribe_with(me, "cosmoshub", bob, clock.tick())
    reply = await core.action(me, action(reply, "Governance votes"), clock.tick())
    assert f"The address given with the command ({bob}) is not needed" in render(reply)
    assert "No filter" in labels(reply)
