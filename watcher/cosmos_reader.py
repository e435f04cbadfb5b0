"""How a Cosmos chain is read: each height's `/block` and `/block_results` from the CometBFT
RPC, several heights fetched at once while catching up, committed strictly in order.

Every block of a batch must link to the one before it (the first to the cursor's block), or
the batch is not used: a broken link inside it is retried, a first block that does not link
to the cursor is a reorg for the core to recover from. A height no node has any more (pruned)
is never passed in silence: the blocks up to the lowest one a node still has become a gap,
which the core records and reports before it moves on.

Every answer used comes from a node on the configured chain id: after a relaunch from a new
genesis (a new chain id, heights from 1 again) the old chain's cursor means nothing there, so
the watcher reads nothing, stands still and reports both ids until a node serves its chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from itertools import pairwise

from storage.subscriptions import ActiveSubscription
from watcher.cometbft_rpc import CometBftClient, HeightPruned
from watcher.cosmos_blocks import assemble_block, block_header
from watcher.cosmos_denoms import Denom
from watcher.cosmos_matching import CosmosIndex
from watcher.cosmos_types import CosmosBlock
from watcher.reading import REORG_FOUND, Advance, ReorgFound
from watcher.rpc_errors import RpcTransient
from watcher.types import BlockHeader, ChainSpec


class CosmosReader:
    def __init__(
        self,
        chain: str,
        client: CometBftClient,
        *,
        chain_id: str,
        batch_size: int,
        concurrency: int,
        denoms: Mapping[str, Denom],
        bech32_prefix: str | None,
    ) -> None:
        self.chain = chain
        self.client = client
        self.chain_id = chain_id
        self.batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._denoms = denoms
        self._prefix = bech32_prefix
        self.index = CosmosIndex(chain, [], denoms, bech32_prefix)
        self._sources: dict[int, ActiveSubscription] = {}

    async def fetch_latest(self) -> BlockHeader:
        """The newest block as `/status` tells it. Its parent is not known there, and the core
        never asks for it."""
        status = await self.client.fetch_status(chain_id=self.chain_id)
        timestamp = int(status.latest_time.timestamp())
        return BlockHeader(status.latest_height, status.latest_hash.upper(), "", timestamp)

    async def fetch_headers(self, numbers: Sequence[int]) -> list[BlockHeader]:
        return list(await asyncio.gather(*(self._header(number) for number in numbers)))

    def update(self, changed: Sequence[ActiveSubscription], gone: Sequence[int]) -> None:
        for subscription_id in gone:
            self._sources.pop(subscription_id, None)
        self._sources.update((source.subscription_id, source) for source in changed)
        sources = [self._sources[s] for s in sorted(self._sources)]
        self.index = CosmosIndex(self.chain, sources, self._denoms, self._prefix)

    def discard(self) -> None:
        """Nothing is read ahead."""

    async def advance(
        self, cursor: tuple[int, str], head: BlockHeader, target: int
    ) -> Advance | ReorgFound:
        first = cursor[0] + 1
        last = min(target, cursor[0] + self.batch_size)
        try:
            blocks = await asyncio.gather(*(self._block(h) for h in range(first, last + 1)))
        except HeightPruned as exc:
            return await self._past_gap(first, exc)
        if blocks[0].parent_hash != cursor[1]:
            return REORG_FOUND
        for parent, child in pairwise(blocks):
            if child.parent_hash != parent.hash:
                raise RpcTransient(f"block {child.height} does not link to block {parent.height}")
        index = self.index
        matches = [match for block in blocks for match in index.match(block)]
        return Advance((last, blocks[-1].hash), matches, [(b.height, b.hash) for b in blocks])

    async def _past_gap(self, first: int, pruned: HeightPruned) -> Advance:
        """The cursor moved to just below the lowest height a node still has, with the blocks
        between recorded as a gap by the core."""
        lowest = pruned.lowest_height
        if lowest is None or lowest <= first:
            # No node says what it still has, or one has what another lacks: try again later.
            raise RpcTransient(f"height {pruned.height} is unavailable: {pruned}", kind="pruned")
        after = await self._header(lowest)
        below = (lowest - 1, after.parent_hash)
        return Advance(below, [], [below], gap=(first, lowest - 1))

    async def _block(self, height: int) -> CosmosBlock:
        async with self._slots:
            block, results = await asyncio.gather(
                self.client.fetch_block(height, chain_id=self.chain_id),
                self.client.fetch_block_results(height),
            )
        return assemble_block(block, results)

    async def _header(self, height: int) -> BlockHeader:
        if height < 1:
            # Before the first block: what the first block names as its parent.
            return BlockHeader(height, "", "", 0)
        async with self._slots:
            return block_header(await self.client.fetch_block(height, chain_id=self.chain_id))


def cosmos_reader(spec: ChainSpec, client: CometBftClient) -> CosmosReader:
    """The reader of a Cosmos chain over its CometBFT client."""
    return CosmosReader(
        spec.name,
        client,
        chain_id=str(spec.chain_id),
        batch_size=spec.max_block_range,
        concurrency=spec.fetch_concurrency,
        denoms={denom.base: denom for denom in spec.denoms},
        bech32_prefix=spec.bech32_prefix,
    )
