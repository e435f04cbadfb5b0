"""Cosmos subscriptions in /list, in a subscription's detail and in /history, readable: what
each watches, its address and its filter."""

from __future__ import annotations

import re
from html import unescape

import pytest

from bot.core.dispatch import BotCore
from bot.core.listing import on_subscription_action
from bot.core.replies import SampleNotification
from bot.sample import sample_delivery
from notifier.telegram_render import render_message
from storage.models import Subscription
from storage.outbox import Step, commit_step
from storage.progress import create_progress
from tests.bot.core.conftest import Clock, FakeChainLookup, action, person, render
from tests.bot.core.cosmos_setup import COSMOS, cosmos_core, stored_matches
from tests.support.cosmos_chain import CosmosChain, contract, failed, transfer, validator, vote
from watcher.cosmos_filters import parse_cosmos_filter

HUB = CosmosChain()
ALICE, BOB, CAROL = HUB.account("alice"), HUB.account("bob"), HUB.account("carol")
POOL = contract("pool")
VALIDATOR = validator("val-1")


@pytest.fixture
def core(db: str, lookup: FakeChainLookup) -> BotCore:
    return cosmos_core(lookup)


async def _subscribe(core: BotCore, clock: Clock, line: str) -> None:
    reply = await core.message(person(), f"subscribe cosmoshub {line}", clock.tick())
    assert "Subscribed" in render(reply), render(reply)


async def _sent_by_alice(core: BotCore, clock: Clock) -> None:
    me = person()
    reply = await core.command(me, "subscribe", "", clock.tick())
    reply = await core.action(me, action(reply, "cosmoshub"), clock.tick())
    reply = await core.action(me, action(reply, "Tokens sent"), clock.tick())
    reply = await core.message(me, ALICE, clock.tick())
    reply = await core.message(me, "amount >= 2ATOM or amount < 1ATOM", clock.tick())
    reply = await core.action(me, action(reply, "✅ Subscribe"), clock.tick())
    assert "Subscribed" in render(reply)


async def test_list_and_detail_say_what_each_cosmos_subscription_watches(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    await _subscribe(core, clock, f"transfer recipient == {BOB} and amount >= 1.5ATOM")
    await _sent_by_alice(core, clock)
    await _subscribe(
        core, clock, f"/cosmos.staking.v1beta1.MsgDelegate validator_address == {VALIDATOR}"
    )
    await _subscribe(core, clock, "/cosmos.gov.v1.MsgVote")
    await _subscribe(core, clock, f"{POOL} wasm action == swap")
    await _subscribe(core, clock, f"{ALICE} tx.failed")
    await _subscribe(
        core, clock, f"transfer recipient == {BOB} and amount > 1 or sender == {CAROL}"
    )
    await _subscribe(core, clock, f"{POOL} /cosmwasm.wasm.v1.MsgExecuteContract")

    listing = render(await core.command(me, "list", "", clock.tick()))
    fees = "recipient != cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta"
    for line in (
        f"#1 transfer · cosmoshub · recipient == {BOB} · amount >= 1.5ATOM — active",
        f"#2 transfer · cosmoshub · sender == {ALICE} · (amount >= 2ATOM or amount < 1ATOM)",
        "#3 /cosmos.staking.v1beta1.MsgDelegate · cosmoshub · validator_address =="
        f" {VALIDATOR} — active",
        "#4 /cosmos.gov.v1.MsgVote · cosmoshub · * — active",
        f'#5 wasm · cosmoshub · {POOL} · action == "swap" — active',
        f"#6 tx.failed · cosmoshub · {ALICE} — active",
        f"#7 transfer · cosmoshub · recipient == {BOB} and amount > 1 or sender == {CAROL}",
        f"#8 /cosmwasm.wasm.v1.MsgExecuteContract · cosmoshub · {POOL} — active",
    ):
        assert line in listing, line
    assert fees not in listing

    details = {}
    for number in range(1, 9):
        details[number] = render(await core.action(me, f"sub:show:{number}", clock.tick()))
    assert details[1].startswith(
        f"Subscription #1\nChain: cosmoshub\nEvent: transfer\nAddress: —\nFilter: recipient =="
        f" {BOB} and amount >= 1.5ATOM\n\nWatching: tokens received by {BOB}\n\n#1 transfer"
    )
    assert f"Filter: (sender == {ALICE} and {fees}) and (amount" in details[2]
    assert f"Watching: tokens sent by {ALICE}, fees left out" in details[2]
    assert f"Watching: delegations to the validator {VALIDATOR}" in details[3]
    assert "Watching: governance votes" in details[4]
    assert f"Address: {POOL}" in details[5]
    assert f"Watching: the events of the CosmWasm contract {POOL}" in details[5]
    assert f"Watching: the failed transactions of {ALICE}" in details[6]
    assert "Watching: events of type transfer\n" in details[7]
    assert (
        f"Watching: messages of type /cosmwasm.wasm.v1.MsgExecuteContract to the contract {POOL}"
        in details[8]
    )


async def test_history_lists_cosmos_notifications_by_their_event_or_message(
    core: BotCore, clock: Clock
) -> None:
    await _subscribe(core, clock, f"transfer recipient == {BOB}")
    await _subscribe(core, clock, "/cosmos.gov.v1.MsgVote")
    await _subscribe(core, clock, f"{ALICE} tx.failed")
    chain = CosmosChain()
    start = chain.mine()
    block = chain.mine(transfer(ALICE, BOB, 5, "uatom"), vote(CAROL, 3), failed(ALICE, sequence=1))
    matches = await stored_matches("cosmoshub", block)
    await create_progress("cosmoshub", start.height, start.hash)
    step = Step(
        "cosmoshub",
        expected=(start.height, start.hash),
        new=(block.height, block.hash),
        hashes=[(block.height, block.hash)],
        keep_hashes=16,
    )
    await commit_step(step, matches, clock.tick())

    history = render(await core.command(person(), "history", "", clock.tick()))
    assert history.startswith("3 notifications, page 1 of 1, newest first:")
    for line in (
        "#1 transfer · cosmoshub block 2 — waiting to be sent",
        "#2 /cosmos.gov.v1.MsgVote · cosmoshub block 2 — waiting to be sent",
        "#3 tx.failed · cosmoshub block 2 — waiting to be sent",
    ):
        assert line in history, history


async def _test_of(core: BotCore, clock: Clock, line: str) -> tuple[str, SampleNotification]:
    """The Test reply of a new subscription, rendered as the notifier renders for Telegram,
    and the made-up event it renders."""
    await _subscribe(core, clock, line)
    return await _test_of_last(core, clock)


async def _test_of_last(core: BotCore, clock: Clock) -> tuple[str, SampleNotification]:
    listing = await core.command(person(), "list", "", clock.tick())
    number = len(listing.extra)
    reply = await on_subscription_action(person(), f"sub:test:{number}", clock.tick(), COSMOS)
    assert render(reply).startswith(f"A test notification of subscription #{number},")
    assert reply.sample is not None
    message = render_message(sample_delivery(reply.sample, "en", "telegram", "100"), None)
    return unescape(re.sub(r"<[^>]+>", "", message.html or "")), reply.sample


async def _tested(core: BotCore, clock: Clock, line: str) -> str:
    return (await _test_of(core, clock, line))[0]


async def _matches_its_own(sample: SampleNotification) -> bool:
    """Whether the subscription, compiled as the chain's watcher compiles it, would have
    matched the made-up event."""
    stored = await Subscription.get(id=sample.subscription_id)
    hub = COSMOS["cosmoshub"]
    compiled = parse_cosmos_filter(
        stored.filter_expr, denoms=hub.denoms_by_base, bech32_prefix=hub.bech32_prefix
    )
    return compiled.matches(dict(sample.args))


async def test_a_cosmos_transfers_test_reads_as_a_real_transfer(
    core: BotCore, clock: Clock
) -> None:
    message = await _tested(core, clock, f"transfer recipient == {BOB}")
    assert message.startswith("transfer · cosmoshub\n"), message
    assert "amount: 1.5 ATOM" in message
    assert f"recipient: {BOB}\n" in message
    assert "sender: cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du\n" in message


async def test_a_cosmos_messages_and_failures_test_shows_their_main_fields(
    core: BotCore, clock: Clock
) -> None:
    vote = await _tested(core, clock, "/cosmos.gov.v1.MsgVote")
    assert vote.startswith("MsgVote · cosmoshub\n") and "proposal_id: 7" in vote, vote
    failure = await _tested(core, clock, f"{ALICE} tx.failed")
    assert "code: 11" in failure and "out of gas" in failure, failure
    delegation = await _tested(core, clock, "/cosmos.staking.v1beta1.MsgDelegate")
    assert "validator_address: cosmosvaloper1" in delegation and "1.5 ATOM" in delegation


async def test_a_filtered_cosmos_test_shows_what_the_filter_asks_for(
    core: BotCore, clock: Clock
) -> None:
    message, sample = await _test_of(
        core, clock, f"transfer recipient == {BOB} and amount >= 100ATOM"
    )
    assert f"recipient: {BOB}\n" in message and "amount: 100 ATOM" in message, message
    assert await _matches_its_own(sample)

    message, sample = await _test_of(
        core,
        clock,
        f"/cosmos.staking.v1beta1.MsgDelegate (validator_address == {VALIDATOR}"
        f" and delegator_address == {CAROL}) and amount > 2000ATOM",
    )
    assert f"validator_address: {VALIDATOR}\n" in message, message
    assert f"delegator_address: {CAROL}\n" in message and "2,000.000001 ATOM" in message
    assert await _matches_its_own(sample)

    message, sample = await _test_of(
        core, clock, '/cosmos.gov.v1.MsgVote proposal_id == 42 and option == "VOTE_OPTION_NO"'
    )
    assert "proposal_id: 42" in message and "VOTE_OPTION_NO" in message, message
    assert await _matches_its_own(sample)


async def test_a_cosmos_test_takes_one_way_through_the_filter(core: BotCore, clock: Clock) -> None:
    message, sample = await _test_of(
        core, clock, f"transfer recipient == {BOB} or sender == {CAROL}"
    )
    assert f"recipient: {BOB}\n" in message and CAROL not in message, message
    assert "amount: 1.5 ATOM" in message and await _matches_its_own(sample)

    message, sample = await _test_of(
        core, clock, f'transfer memo == "cats and dogs" and not (recipient == {BOB})'
    )
    assert "memo: cats and dogs" in message and BOB not in message, message
    assert await _matches_its_own(sample)

    message, sample = await _test_of(core, clock, "transfer amount >= 1ATOM")
    assert "amount: 1.5 ATOM" in message and await _matches_its_own(sample), message
    message, sample = await _test_of(core, clock, "transfer amount < 1ATOM")
    assert "amount: 0.999999 ATOM" in message and await _matches_its_own(sample), message


async def test_a_wizard_made_cosmos_tests_sender_is_the_one_chosen(
    core: BotCore, clock: Clock
) -> None:
    await _sent_by_alice(core, clock)
    message, sample = await _test_of_last(core, clock)
    assert f"sender: {ALICE}\n" in message and "amount: 2 ATOM" in message, message
    assert await _matches_its_own(sample)
