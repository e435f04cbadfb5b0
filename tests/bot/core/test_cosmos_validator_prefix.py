"""A Cosmos chain whose validator operators do not use the SDK's `<prefix>valoper` (Crypto.org:
accounts `cro1…`, validators `crocncl1…`): the wizard and the one-line form ask for and take
that prefix, refuse others with the usual words, and the watcher matches what they stored."""

from __future__ import annotations

import pytest

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import CosmosChainFacts
from storage.subscriptions import fetch_active_subscriptions
from tests.bot.core.conftest import Clock, FakeChainLookup, action, person, render
from tests.support.cosmos_chain import CosmosChain, delegate, validator
from watcher.cosmos_blocks import assemble_block
from watcher.cosmos_denoms import Denom
from watcher.cosmos_matching import CosmosIndex

CHAIN = "cryptoorg"
CRO = Denom("basecro", "CRO", 8)
CRYPTO_ORG = CosmosChainFacts("cro", (CRO,), "crocncl")
DELEGATE = "/cosmos.staking.v1beta1.MsgDelegate"
CHOSEN = validator("val-1", "crocncl")


@pytest.fixture
def core(db: str, lookup: FakeChainLookup) -> BotCore:
    settings = CoreSettings(chains=("mainnet", CHAIN), lookup=lookup, cosmos={CHAIN: CRYPTO_ORG})
    return BotCore(settings)


async def _delegations_matched() -> list[str]:
    """The delegators whose delegations to CHOSEN or another validator the stored
    subscriptions match, as the chain's watcher compiles and matches them."""
    chain = CosmosChain(prefix="cro", denom="basecro")
    alice, bob = chain.account("alice"), chain.account("bob")
    other = validator("val-2", "crocncl")
    block = chain.mine(
        delegate(alice, CHOSEN, 500_000_000, "basecro"),
        delegate(bob, other, 500_000_000, "basecro"),
    )
    sources = await fetch_active_subscriptions(CHAIN)
    index = CosmosIndex(CHAIN, sources, CRYPTO_ORG.denoms_by_base, CRYPTO_ORG.bech32_prefix)
    matches = index.match(assemble_block(block.block_json(), block.block_results_json("0.38")))
    return [str(match.event.args["delegator_address"]) for match in matches]


def test_the_default_validator_prefix_is_the_account_prefix_and_valoper() -> None:
    assert CosmosChainFacts("cro").validator_prefix == "crovaloper"
    assert CosmosChainFacts("cro", (), "crocncl").validator_prefix == "crocncl"


async def test_the_wizard_asks_for_the_chains_validator_prefix_and_refuses_others(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await core.command(me, "subscribe", "", clock.tick())
    reply = await core.action(me, action(reply, CHAIN), clock.tick())
    reply = await core.action(me, action(reply, "Delegations to a validator"), clock.tick())
    assert f"its operator address on {CHAIN} (it starts with crocncl1…" in render(reply)

    for foreign in (validator("val-1"), validator("val-1", "crovaloper")):
        reply = await core.message(me, foreign, clock.tick())
        prefix = foreign.rpartition("1")[0]
        assert f"{foreign} is an address of another chain ({prefix}1…)." in render(reply)
        assert f"Addresses on {CHAIN} start with crocncl1…" in render(reply)
    alice = CosmosChain(prefix="cro").account("alice")
    reply = await core.message(me, alice, clock.tick())
    assert f"{alice} is an account address, not a validator." in render(reply)
    assert "A validator's operator address starts with crocncl1…" in render(reply)

    reply = await core.message(me, CHOSEN, clock.tick())
    reply = await core.message(me, "amount >= 1CRO", clock.tick())
    assert f"Watching: delegations to the validator {CHOSEN}" in render(reply)
    reply = await core.action(me, action(reply, "✅ Subscribe"), clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert await _delegations_matched() == [alice]


async def test_the_one_line_form_takes_the_chains_validator_prefix_in_a_filter(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    line = f"subscribe {CHAIN} {DELEGATE} validator_address == {CHOSEN}"
    reply = await core.message(me, line, clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert await _delegations_matched() == [CosmosChain(prefix="cro").account("alice")]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            f"subscribe {CHAIN} {DELEGATE} validator_address == {validator('val-1')}",
            f"{validator('val-1')} in the condition on validator_address is an address of"
            " another chain (cosmosvaloper1…): addresses here start with cro1…",
        ),
        (
            f"subscribe {CHAIN} {CHOSEN} tx.failed",
            f"{CHOSEN} is a validator's operator address. An account address is needed here",
        ),
        (
            f"subscribe {CHAIN} {CosmosChain(prefix='cro').account('bob')} {DELEGATE}",
            f"subscribe {CHAIN} {DELEGATE} validator_address == crocncl1…",
        ),
    ],
)
async def test_the_one_line_form_refuses_other_validators_in_the_usual_words(
    core: BotCore, clock: Clock, line: str, problem: str
) -> None:
    reply = await core.message(person(), line, clock.tick())
    assert problem in render(reply)
    assert f"One-line form on {CHAIN}: subscribe {CHAIN} [address] <event> [filter]" in render(
        reply
    )
