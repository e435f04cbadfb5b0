"""The per-chain crawl loop of every chain family: follows the head, reads what is due through
the family's reader (watcher/reading.py), stores it, survives reorgs.

Invariant: the cursor moves only in the outbox transaction, only past blocks read in full, and
only from the value this loop last saw. Anything doubtful (a null block, a broken parent link,
events from another fork) is retried by the reader, never taken as "no events".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from storage.db import DATABASE_AWAY
from storage.outbox import Step, commit_step, rollback
from storage.progress import (
    ChainProgress,
    create_progress,
    fetch_event_blocks_above,
    fetch_progress,
    fetch_recent_hashes,
    finish_resume,
    record_gap,
    set_halted,
)
from storage.subscription_changes import SubscriptionChanges
from storage.subscriptions import fetch_index_changes
from watcher import metrics
from watcher.errors import WatcherError
from watcher.newheads import NewHeadsListener
from watcher.planning import RangeUnsplittable
from watcher.reading import Advance, ChainReader, ReorgFound
from watcher.reorg import find_fork_point, orphaned_hashes
from watcher.rpc_errors import RpcError
from watcher.status import ChainStatus, block_time
from watcher.types import BlockHeader, ChainSpec, Match

log = logging.getLogger(__name__)

NEWHEADS_SILENCE_S = 15.0
"""With a connected newHeads socket, poll over HTTP only after this long without a head."""

RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
RETRIED: tuple[type[Exception], ...] = (
    TimeoutError,
    RpcError,
    RangeUnsplittable,
    OSError,
    *DATABASE_AWAY,
)
"""A step failing so is tried again with backoff, the chain shown unhealthy meanwhile."""
RESUME_LOOKBACK_BLOCKS = 10_000
"""How far below the cursor a resumed chain reads again when no stored event shows the fork."""
RESUME_CHECK_BATCH = 50


class ChainHalted(WatcherError):
    """The chain's watcher stopped and waits for an operator (e.g. a reorg deeper than allowed)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class ChainWatcher:
    def __init__(
        self,
        spec: ChainSpec,
        reader: ChainReader,
        status: ChainStatus,
        *,
        newheads: NewHeadsListener | None = None,
        on_commit: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
        fence: int | None = None,
        changes: SubscriptionChanges | None = None,
    ) -> None:
        self.spec = spec
        self.reader = reader
        self.status = status
        self.newheads = newheads
        self.on_commit = on_commit
        self.clock = clock
        self.fence = fence
        """The token of the chain's lease this process holds; every write checks it."""
        self.changes = changes
        """Wakes the wait for the next head when the subscriptions change."""
        self.index_version = -1
        self.instant: frozenset[int] = frozenset()
        self.cursor: tuple[int, str] = (0, "")
        self.head_number = 0
        self.unconfirmed_from = 0
        """No unconfirmed event is stored below this block."""
        self.behind = True
        self.held_head_hash = ""
        """The head last seen while nothing was due beyond the cursor."""
        self.confirmed_through = -1
        """Events up to this block were confirmed by the last commit."""

    async def run(self) -> None:
        """Crawl until cancelled; transient failures are retried with backoff."""
        await self.start()
        try:
            await self._crawl()
        finally:
            self.reader.discard()

    async def _crawl(self) -> None:
        failures = 0
        while True:
            try:
                await self.step()
            # A fatal answer is retried too: one bad node or URL must not stop the chain.
            except RETRIED as exc:
                failures += 1
                self._unhealthy(str(exc))
                await asyncio.sleep(RETRY_DELAYS_S[min(failures, len(RETRY_DELAYS_S)) - 1])
                continue
            failures = 0
            self.status.healthy, self.status.error = True, None

    async def start(self) -> None:
        progress = await fetch_progress(self.spec.name)
        if progress is None:
            progress = await self._create_progress()
        if progress.halted_reason:
            self.status.halted = progress.halted_reason
            raise ChainHalted(f"{self.spec.name}: halted: {progress.halted_reason}")
        self.cursor = (progress.block_number, progress.block_hash)
        self.status.cursor = progress.block_number
        below = self.spec.confirmations + self.spec.max_reorg_depth
        self.unconfirmed_from = max(0, progress.block_number - below)
        log.info("watching from block %d", progress.block_number, extra={"chain": self.spec.name})
        if progress.resume_requested:
            await self._resume(progress.resume_from)

    async def _resume(self, from_block: int | None) -> None:
        """Re-anchor on the node's chain once an operator released a halt: read again from
        `from_block`, or from the newest block holding stored events that the node still has,
        and revert the events of the blocks that left the chain (correcting those sent)."""
        number = await self._newest_kept_event_block() if from_block is None else from_block
        (anchor,) = await self.reader.fetch_headers([number])
        event_blocks = await fetch_event_blocks_above(self.spec.name, number)
        canonical = await self._canonical_hashes([n for n, _ in event_blocks])
        orphans = orphaned_hashes(event_blocks, canonical)
        fork = (number, anchor.hash)
        result = await rollback(
            self.spec.name, self.cursor, fork, orphans, self.clock(), fence=self.fence
        )
        await finish_resume(self.spec.name, fork)
        log.warning(
            "resumed by an operator: reading again from block %d; %d events reverted, "
            "%d corrections",
            number,
            result.reverted_events,
            result.corrections,
            extra={"chain": self.spec.name},
        )
        self.cursor = fork
        self.status.cursor = number
        if result.corrections:
            self.on_commit()

    async def _newest_kept_event_block(self) -> int:
        """The newest block up to the cursor holding stored events that the node still has:
        every block below it is on the node's chain too. RESUME_LOOKBACK_BLOCKS below the
        cursor when there is none that recent."""
        low = max(0, self.cursor[0] - RESUME_LOOKBACK_BLOCKS)
        stored = await fetch_event_blocks_above(self.spec.name, low)
        newest_first = sorted((b for b in stored if b[0] <= self.cursor[0]), reverse=True)
        for start in range(0, len(newest_first), RESUME_CHECK_BATCH):
            batch = newest_first[start : start + RESUME_CHECK_BATCH]
            canonical = await self._canonical_hashes([number for number, _ in batch])
            for number, block_hash in batch:
                if canonical.get(number) == block_hash:
                    return number
        return low

    async def _create_progress(self) -> ChainProgress:
        if self.spec.start_block is None:
            latest = await self.reader.fetch_latest()
            number = max(0, latest.number - self.spec.confirmations)
            (header,) = await self.reader.fetch_headers([number])
            return await create_progress(self.spec.name, header.number, header.hash)
        # Just below the first block to read, as that block names it: a Cosmos chain has no
        # block 0, and its first block names no parent.
        first = max(1, self.spec.start_block)
        (header,) = await self.reader.fetch_headers([first])
        return await create_progress(self.spec.name, first - 1, header.parent_hash)

    async def step(self) -> None:
        """One move: learn the head, reload subscriptions if they changed, read what is due.

        The reload comes after the wait for a head: a subscription made while the watcher
        waited must already match in the block that ends the wait.
        """
        head = await self._next_head()
        await self._refresh_index()
        self.status.head = self.head_number = head.number
        self.status.head_time = block_time(head.timestamp)
        # Instant subscriptions are told of a block as soon as it is seen; the others only once
        # it has its confirmations, and without them there is no reason to read it earlier.
        target = head.number - (0 if self.instant else self.spec.confirmations)
        if target <= self.cursor[0]:
            self.behind = False
            await self._hold(head)
            return
        read = await self.reader.advance(self.cursor, head, target)
        self.behind = not isinstance(read, Advance) or read.new[0] < target
        if isinstance(read, ReorgFound):
            await self._recover_from_reorg()
        elif isinstance(read, Advance):
            if read.gap is not None:
                await self._record_gap(*read.gap)
            await self._commit(read.new, read.matches, read.hashes)
        metrics.WATCHER_LAG.labels(self.spec.name).set(head.number - self.cursor[0])

    async def _hold(self, head: BlockHeader) -> None:
        """Nothing is due beyond the cursor, yet a new head may have replaced the cursor's block
        (a reorg that did not lengthen the chain past the confirmations), and blocks read early
        for instant subscriptions may have just reached their confirmations. A head below the
        cursor is left alone: it may be a node that lags, and the chain's next blocks will
        show a real reorg through their parent links."""
        if head.hash == self.held_head_hash:
            return  # nothing changed since the last look
        self.held_head_hash = head.hash
        if head.number < self.cursor[0]:
            return
        replaced = head.hash != self.cursor[1]
        if head.number > self.cursor[0]:
            (at_cursor,) = await self.reader.fetch_headers([self.cursor[0]])
            replaced = at_cursor.hash != self.cursor[1]
        if replaced:
            await self._recover_from_reorg()
        elif (
            self.spec.confirmations
            and head.number - self.spec.confirmations > self.confirmed_through
        ):
            await self._commit(self.cursor, [], [])  # confirms what is due, moves nothing

    async def _refresh_index(self) -> None:
        changes = await fetch_index_changes(self.spec.name, self.index_version)
        if changes.version == self.index_version:
            return
        self.reader.update(changes.active, changes.gone)
        changed = {s.subscription_id for s in changes.active}
        self.instant = frozenset(
            (self.instant - changed - set(changes.gone))
            | {s.subscription_id for s in changes.active if s.instant}
        )
        log.info(
            "subscription index %s: %d subscriptions in, %d out",
            "loaded" if self.index_version < 0 else "updated",
            len(changes.active),
            len(changes.gone),
            extra={"chain": self.spec.name, "version": changes.version},
        )
        self.index_version = changes.version

    async def _next_head(self) -> BlockHeader:
        if not self.behind:
            pushed = await self._wait_for_news()
            if pushed is not None:
                return pushed
        head = await self.reader.fetch_latest()
        idle = self.status.head is not None and head.number <= self.status.head
        metrics.WATCHER_HEAD_POLLS.labels(self.spec.name, "idle" if idle else "new").inc()
        return head

    async def _wait_for_news(self) -> BlockHeader | None:
        """Wait for a pushed head, a change of the subscriptions or the next poll, whichever
        comes first; the pushed head, if that came."""
        wait_s = self.spec.poll_interval_s
        if self.newheads is not None and self.newheads.connected:
            # While the socket is up, heads come pushed; a poll then only guards against a
            # connection that stays open but has gone silent.
            wait_s = max(wait_s, NEWHEADS_SILENCE_S)
        head = asyncio.ensure_future(
            self.newheads.wait(wait_s) if self.newheads is not None else asyncio.sleep(wait_s)
        )
        waits: list[asyncio.Future[Any]] = [head]
        if self.changes is not None:
            waits.append(
                asyncio.ensure_future(self.changes.wait_for_change(self.index_version, wait_s))
            )
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        if self.newheads is not None and head.done() and not head.cancelled():
            pushed: BlockHeader | None = head.result()
            return pushed
        return None

    async def _commit(
        self, new: tuple[int, str], matches: Sequence[Match], hashes: Sequence[tuple[int, str]]
    ) -> None:
        confirmed_through = (
            self.head_number - self.spec.confirmations if self.spec.confirmations else None
        )
        step = Step(
            chain=self.spec.name,
            expected=self.cursor,
            new=new,
            hashes=hashes,
            keep_hashes=self.spec.max_reorg_depth + 1,
            confirmed_through=confirmed_through,
            unconfirmed_from=self.unconfirmed_from,
            instant=self.instant,
            fence=self.fence,
        )
        with metrics.WATCHER_STORE_SECONDS.labels(self.spec.name).time():
            created = await commit_step(step, matches, self.clock())
        if confirmed_through is not None:
            self.confirmed_through = confirmed_through
            # A reorg may shorten the chain by up to its depth, and blocks read again after it
            # may hold unconfirmed events that far below what is confirmed now.
            lowest = confirmed_through + 1 - self.spec.max_reorg_depth
            self.unconfirmed_from = max(self.unconfirmed_from, lowest)
        metrics.WATCHER_BLOCKS.labels(self.spec.name).inc(new[0] - self.cursor[0])
        metrics.WATCHER_MATCHES.labels(self.spec.name).inc(len(matches))
        self.cursor = new
        self.status.cursor = new[0]
        if created:
            self.on_commit()

    async def _recover_from_reorg(self) -> None:
        """Roll back to the newest stored block the node still has, or halt if there is none
        within the allowed depth."""
        stored = await fetch_recent_hashes(self.spec.name, self.spec.max_reorg_depth + 1)
        canonical = await self._canonical_hashes([n for n, _ in stored])
        fork = find_fork_point(stored, canonical)
        if fork is None:
            await self._halt(f"reorg deeper than {self.spec.max_reorg_depth} blocks")
            return
        event_blocks = await fetch_event_blocks_above(self.spec.name, fork.number)
        event_canonical = await self._canonical_hashes([n for n, _ in event_blocks])
        orphans = orphaned_hashes(event_blocks, event_canonical)
        result = await rollback(
            self.spec.name,
            self.cursor,
            (fork.number, fork.hash),
            orphans,
            self.clock(),
            fence=self.fence,
        )
        log.warning(
            "reorg: rolled back from block %d to %d; %d events reverted, %d corrections",
            self.cursor[0],
            fork.number,
            result.reverted_events,
            result.corrections,
            extra={"chain": self.spec.name},
        )
        metrics.WATCHER_REORGS.labels(self.spec.name).inc()
        self.cursor = (fork.number, fork.hash)
        self.status.cursor = fork.number
        if result.corrections:
            self.on_commit()

    async def _canonical_hashes(self, numbers: Sequence[int]) -> dict[int, str]:
        if not numbers:
            return {}
        latest = await self.reader.fetch_latest()
        present = [n for n in numbers if n <= latest.number]
        headers = await self.reader.fetch_headers(present) if present else []
        return {h.number: h.hash for h in headers}

    async def _record_gap(self, first: int, last: int) -> None:
        """Blocks no node has any more are passed, loudly: logged, recorded, counted and shown
        on /health. Recorded before the cursor moves: a crash between the two records it twice
        rather than never."""
        gap = f"blocks {first}-{last} were pruned by every node and could not be read"
        await record_gap(self.spec.name, first, last, "pruned by every node")
        log.error("%s: their events are missed", gap, extra={"chain": self.spec.name})
        metrics.WATCHER_GAP_BLOCKS.labels(self.spec.name).inc(last - first + 1)
        self.status.last_gap = gap

    async def _halt(self, reason: str) -> None:
        await set_halted(self.spec.name, reason)
        self.status.halted = reason
        log.error(
            "watcher halted: %s; resume with `blockbell resume %s`",
            reason,
            self.spec.name,
            extra={"chain": self.spec.name},
        )
        raise ChainHalted(f"{self.spec.name}: {reason}")

    def _unhealthy(self, error: str) -> None:
        if self.status.healthy or self.status.error != error:
            log.warning("watcher step failed, retrying: %s", error, extra={"chain": self.spec.name})
        self.status.healthy, self.status.error = False, error
