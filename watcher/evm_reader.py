"""How an EVM chain is read: near the head block by block (headers, parent links, blooms),
further behind over eth_getLogs ranges with the next range read ahead.

Anything doubtful (logs from another fork, logs missing where the bloom says they exist, a
block that does not link to its parent) is an RpcTransient: retried, never taken as "no
events".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import pairwise

from storage.subscriptions import ActiveSubscription
from watcher.bloom import BloomQuery
from watcher.evm import EvmAdapter
from watcher.matching import MatchIndex
from watcher.planning import RangePlanner
from watcher.readahead import RangeReader
from watcher.reading import REORG_FOUND, Advance, ReorgFound
from watcher.rpc import RpcClient
from watcher.rpc_errors import RpcRangeTooLarge, RpcTransient
from watcher.types import BlockHeader, ChainSpec, RawLog

log = logging.getLogger(__name__)

HEAD_WINDOW = 32
"""Up to this many blocks behind the target, follow block by block (headers, parent links,
blooms); further behind, catch up over eth_getLogs ranges."""


def evm_reader(spec: ChainSpec, rpc: RpcClient) -> EvmReader:
    """The reader of an EVM chain over its JSON-RPC client."""
    return EvmReader(spec.name, EvmAdapter(rpc), spec.max_block_range)


class EvmReader:
    def __init__(self, chain: str, adapter: EvmAdapter, max_block_range: int) -> None:
        self.chain = chain
        self.adapter = adapter
        self.planner = RangePlanner.start(max_block_range)
        self.index = MatchIndex(chain, [])
        self.bloom = BloomQuery.build([], None)
        self.ranges = RangeReader(adapter)

    async def fetch_latest(self) -> BlockHeader:
        return await self.adapter.fetch_latest()

    async def fetch_headers(self, numbers: Sequence[int]) -> list[BlockHeader]:
        return await self.adapter.fetch_headers(numbers)

    def update(self, changed: Sequence[ActiveSubscription], gone: Sequence[int]) -> None:
        index = self.index.updated(changed, gone)
        if (index.addresses, index.topic0s) != (self.index.addresses, self.index.topic0s):
            self.bloom = BloomQuery.build(index.addresses, index.topic0s)
        self.index = index

    def discard(self) -> None:
        self.ranges.discard()

    async def advance(
        self, cursor: tuple[int, str], head: BlockHeader, target: int
    ) -> Advance | ReorgFound | None:
        if target - cursor[0] > HEAD_WINDOW:
            # Ranges stop short of the newest blocks: a node whose log index lags answers []
            # there, and only the per-block bloom check below can tell that from "no events".
            return await self._catch_up(cursor, min(target, head.number - HEAD_WINDOW))
        return await self._follow(cursor, head, target)

    async def _catch_up(self, cursor: tuple[int, str], target: int) -> Advance | ReorgFound | None:
        first, last = self.planner.next_range(cursor[0] + 1, target)
        try:
            read = await self.ranges.read(first, last, self.index)
        except RpcRangeTooLarge as exc:
            self.planner = self.planner.after_refusal((first, last), exc.suggested)
            log.info(
                "range %d-%d refused; next width %d",
                first,
                last,
                self.planner.width,
                extra={"chain": self.chain},
            )
            return None
        if read.before.hash != cursor[1]:
            return REORG_FOUND
        self.planner = self.planner.after_success()
        if last < target:
            self.ranges.read_ahead(*self.planner.next_range(last + 1, target), self.index)
        return Advance((last, read.last.hash), read.matches, [(last, read.last.hash)])

    async def _follow(
        self, cursor: tuple[int, str], head: BlockHeader, target: int
    ) -> Advance | ReorgFound:
        chain = await self._headers_up_to(cursor[0], head, target)
        if chain[0].parent_hash != cursor[1]:
            return REORG_FOUND
        for parent, child in pairwise(chain):
            if child.parent_hash != parent.hash:
                raise RpcTransient(f"block {child.number} does not link to block {parent.number}")
        matches = self.index.match(await self._logs_of(chain))
        return Advance((target, chain[-1].hash), matches, [(h.number, h.hash) for h in chain])

    async def _headers_up_to(
        self, cursor_number: int, head: BlockHeader, target: int
    ) -> list[BlockHeader]:
        numbers = list(range(cursor_number + 1, target + 1))
        known = {head.number: head}
        missing = [n for n in numbers if n not in known]
        if missing:
            for header in await self.adapter.fetch_headers(missing):
                known[header.number] = header
        return [known[n] for n in numbers]

    async def _logs_of(self, chain: Sequence[BlockHeader]) -> list[RawLog]:
        if self.index.empty:
            return []
        # A header without a bloom tells nothing: read its logs rather than skip it.
        hits = [h for h in chain if not h.logs_bloom or self.bloom.may_match(h.logs_bloom)]
        if not hits:
            return []
        logs = await self.adapter.fetch_logs(
            hits[0].number, hits[-1].number, self.index.addresses, self.index.topic0s
        )
        hashes = {h.number: h.hash for h in chain}
        for raw in logs:
            if hashes.get(raw.block_number) != raw.block_hash:
                raise RpcTransient(f"logs of block {raw.block_number} come from another fork")
        await self._check_nothing_missing(hits, logs)
        return logs

    async def _check_nothing_missing(
        self, hits: Sequence[BlockHeader], logs: Sequence[RawLog]
    ) -> None:
        """A bloom hit with no logs is usually a false positive, but a node whose log index
        lags returns [] for its newest blocks: the block's receipts tell the two apart."""
        with_logs = {raw.block_number for raw in logs}
        for header in hits:
            if header.number in with_logs:
                continue
            receipts_logs = await self.adapter.fetch_block_logs(header.number, header.hash)
            if self.index.match(receipts_logs):
                raise RpcTransient(f"eth_getLogs missed logs of block {header.number}")
