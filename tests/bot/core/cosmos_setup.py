"""A bot core configured with Cosmos SDK chains besides an EVM one, and the watcher's view of
what it stored: the subscriptions compiled as the Cosmos index compiles them, matched against
blocks built as a CometBFT node serves them."""

from __future__ import annotations

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import CosmosChainFacts
from storage.subscriptions import fetch_active_subscriptions
from tests.bot.core.conftest import FakeChainLookup
from tests.support.cosmos_chain import ChainBlock
from watcher.cosmos_blocks import assemble_block
from watcher.cosmos_denoms import Denom
from watcher.cosmos_matching import CosmosIndex
from watcher.types import Match

ATOM = Denom("uatom", "ATOM", 6)
OSMO = Denom("uosmo", "OSMO", 6)
HUB = CosmosChainFacts("cosmos", (ATOM,))
OSMOSIS = CosmosChainFacts("osmo", (OSMO,))
COSMOS = {"cosmoshub": HUB, "osmosis": OSMOSIS}


def cosmos_core(lookup: FakeChainLookup) -> BotCore:
    settings = CoreSettings(
        chains=("mainnet", "cosmoshub", "osmosis"), lookup=lookup, cosmos=COSMOS
    )
    return BotCore(settings)


async def stored_matches(chain: str, block: ChainBlock) -> list[Match]:
    """The block's matches for the chain's stored subscriptions, as its watcher finds them."""
    facts = COSMOS[chain]
    sources = await fetch_active_subscriptions(chain)
    index = CosmosIndex(chain, sources, facts.denoms_by_base, facts.bech32_prefix)
    return index.match(assemble_block(block.block_json(), block.block_results_json("0.38")))


def matched_ids(matches: list[Match]) -> list[int]:
    return [subscription for match in matches for subscription, _ in match.targets]
