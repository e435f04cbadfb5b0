"""Catch-up range reads: the next range is fetched and matched while the current one is stored."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from watcher.evm import EvmAdapter
from watcher.matching import MatchIndex
from watcher.types import BlockHeader, Match

MATCH_CHUNK = 1_000
"""Logs matched between two turns of the event loop: the database storing the previous range
waits for the loop whenever it needs its next statement or COPY buffer."""


@dataclass(frozen=True, slots=True)
class RangeRead:
    before: BlockHeader
    """The header of the block before the range: it must still be the cursor's block."""
    last: BlockHeader
    matches: list[Match]


@dataclass(frozen=True, slots=True)
class _Ahead:
    span: tuple[int, int]
    index: MatchIndex
    task: asyncio.Task[RangeRead]


class RangeReader:
    """Reads and matches block ranges for catch-up; `read_ahead` overlaps the node's work and
    our decoding of the next range with the database's storing of the current one."""

    def __init__(self, adapter: EvmAdapter) -> None:
        self._adapter = adapter
        self._ahead: _Ahead | None = None

    async def read(self, first: int, last: int, index: MatchIndex) -> RangeRead:
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.span == (first, last) and ahead.index is index:
            return await ahead.task
        if ahead is not None:
            _forget(ahead.task)
        return await self._fetch(first, last, index)

    def read_ahead(self, first: int, last: int, index: MatchIndex) -> None:
        self.discard()
        task = asyncio.create_task(self._fetch(first, last, index))
        self._ahead = _Ahead((first, last), index, task)

    def discard(self) -> None:
        """Drop a read-ahead that will not be used (reorg, new subscriptions, shutdown)."""
        if self._ahead is not None:
            _forget(self._ahead.task)
            self._ahead = None

    async def _fetch(self, first: int, last: int, index: MatchIndex) -> RangeRead:
        if index.empty:
            before, end = await self._adapter.fetch_headers([first - 1, last])
            return RangeRead(before, end, [])
        result = await self._adapter.fetch_range(first, last, index.addresses, index.topic0s)
        matches: list[Match] = []
        logs = result.logs
        for start in range(0, len(logs), MATCH_CHUNK):
            matches += index.match(logs[start : start + MATCH_CHUNK])
            await asyncio.sleep(0)
        return RangeRead(result.before, result.last, matches)


def _forget(task: asyncio.Task[RangeRead]) -> None:
    task.cancel()
    # Retrieve the outcome so a failed read-ahead is not reported as never retrieved.
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
