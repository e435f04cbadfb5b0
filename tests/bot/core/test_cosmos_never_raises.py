"""Whatever people type or tap (or forge) on a Cosmos chain's wizard and one-line form, the core
answers with a message and never raises."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.dispatch import BotCore
from bot.core.replies import Choice, Reply
from tests.bot.core.conftest import Clock, FakeChainLookup, person, render
from tests.bot.core.cosmos_setup import cosmos_core
from tests.support.cosmos_chain import CosmosChain, contract, validator

HUB = CosmosChain()
TYPED = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "cosmoshub",
            HUB.account("bob"),
            HUB.account("bob").upper(),
            HUB.account("bob")[:-1] + "q",
            validator("v"),
            contract("pool"),
            contract("pool", "osmo"),
            "transfer",
            "wasm-*",
            "*",
            "tx.failed",
            "/cosmos.gov.v1.MsgVote proposal_id == 7",
            "amount >= 1.5ATOM",
            "amount >= 1.0000001ATOM or (",
            "recipient == cosmos1",
            "subscribe cosmoshub transfer amount >= 1BTC",
            f"subscribe cosmoshub {contract('pool')} wasm",
            "subscribe osmosis",
        ]
    ),
)
# Taps of the pass's own buttons with made-up arguments: `w:<run>:<verb>:<argument>`.
FORGED = st.tuples(
    st.sampled_from(["k", "kind", "nf", "d", "ok", "c", "e", "s", "done", "abi"]),
    st.text(alphabet="0123456789:abcdefghijklmnopqrstuvwxyz-²٣", max_size=20),
)


# Each example is a new person: the database outlives examples, and what a person has made
# (subscriptions to list) would make one example's choices depend on another's.
PEOPLE = itertools.count(1000)


@pytest.fixture
def core(db: str, lookup: FakeChainLookup) -> BotCore:
    return cosmos_core(lookup)


def _offered(reply: Reply) -> list[str]:
    return [c.action for row in reply.choices for c in row if isinstance(c, Choice)]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_random_answers_on_a_cosmos_chain_always_get_a_rendered_answer(
    core: BotCore, data: st.DataObject
) -> None:
    me, clock = person(str(next(PEOPLE))), Clock()
    reply = await core.subscribe_with(me, "cosmoshub", data.draw(TYPED), clock.tick())
    for _ in range(12):
        offered = _offered(reply)
        kind = data.draw(st.sampled_from(["tap", "tap", "type", "forge", "file", "command"]))
        if kind == "tap" and offered:
            reply = await core.action(me, data.draw(st.sampled_from(offered)), clock.tick())
        elif kind == "forge":
            run = offered[0].split(":")[1] if offered and offered[0].startswith("w:") else "x"
            verb, argument = data.draw(FORGED)
            reply = await core.action(me, f"w:{run}:{verb}:{argument}"[:64], clock.tick())
        elif kind == "file":
            content = data.draw(st.binary(max_size=200))
            reply = await core.file(me, "abi.json", len(content), content, clock.tick())
        elif kind == "command":
            name = data.draw(st.sampled_from(["list", "help", "cancel", "subscribe"]))
            reply = await core.command(me, name, "", clock.tick())
        else:
            reply = await core.message(me, data.draw(TYPED), clock.tick())
        assert render(reply).strip()
