"""Writes each watched chain's live status to the database every few seconds.

The bot's /status and the notifier's stall notices may run in other processes than the
watcher, so they read these snapshots instead of the watcher's memory. Besides where the
watcher is, a snapshot says since when its steps have failed and since when its cursor has
stood still below the head less the confirmations: a stall is a state that lasts, and only
this process sees it start. It also says when the chain made its newest block, so that others
can tell a chain that makes no blocks from a watcher that falls behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from storage.chain_health import ChainSnapshot, save_snapshot
from watcher.status import ChainStatus

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 5.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def next_snapshot(
    previous: ChainSnapshot | None, status: ChainStatus, confirmations: int, now: datetime
) -> ChainSnapshot:
    """The snapshot of `status` at `now`, carrying on the since-times of the previous one."""
    healthy = status.healthy and status.halted is None
    unhealthy_since = None
    if not healthy:
        unhealthy_since = (previous.unhealthy_since if previous else None) or now
    return ChainSnapshot(
        chain=status.chain,
        head_number=status.head,
        cursor_number=status.cursor,
        healthy=healthy,
        halted_reason=status.halted,
        error=status.error,
        updated_at=now,
        unhealthy_since=unhealthy_since,
        stuck_since=_stuck_since(previous, status, confirmations, now),
        head_time=status.head_time,
    )


def _stuck_since(
    previous: ChainSnapshot | None, status: ChainStatus, confirmations: int, now: datetime
) -> datetime | None:
    """None while the cursor is at the head less the confirmations, else when it last moved
    (as far as these snapshots saw)."""
    if status.head is None or status.cursor is None:
        return None
    if status.head - confirmations <= status.cursor:
        return None
    if previous is None or previous.cursor_number != status.cursor:
        return now
    return previous.stuck_since or now


class HealthReporter:
    """Saves a snapshot of every chain's status each `interval_s` until cancelled."""

    def __init__(
        self,
        statuses: Mapping[str, ChainStatus],
        confirmations: Mapping[str, int],
        *,
        interval_s: float = REPORT_INTERVAL_S,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._statuses = statuses
        self._confirmations = confirmations
        self._interval_s = interval_s
        self._clock = clock
        self._previous: dict[str, ChainSnapshot] = {}

    async def report_once(self) -> None:
        """Save the current snapshot of each chain."""
        now = self._clock()
        for chain, status in self._statuses.items():
            if status.standby:
                continue  # the chain's leader, another process, reports it
            snapshot = next_snapshot(
                self._previous.get(chain), status, self._confirmations.get(chain, 0), now
            )
            await save_snapshot(snapshot)
            self._previous[chain] = snapshot

    async def run(self) -> None:
        """Report now and then every `interval_s`; a failed write is retried next time."""
        while True:
            try:
                await self.report_once()
            except Exception as exc:
                log.warning("saving the chains' health failed, retrying: %s", exc)
            await asyncio.sleep(self._interval_s)
