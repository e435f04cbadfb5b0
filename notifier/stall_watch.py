"""Deciding from a chain's stored health whether its subscribers are to be told that its watcher
stalled or recovered, and that the chain itself stopped making blocks or makes them again
(pure: the caller reads the row and passes the time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from storage.chain_health import ChainHealthRow, ChainSnapshot

StallChange = Literal["stalled", "recovered"]
QuietChange = Literal["quiet", "moving"]

MIN_STALE_S = 30.0
"""A snapshot older than the stall threshold means its watcher stopped reporting, but never one
younger than this: watchers report every few seconds, and a tiny threshold must not read the
pause between two reports as a stall."""


def is_stalled(snapshot: ChainSnapshot, now: datetime, stall_after_s: float) -> bool:
    """Halted, failing or standing still behind the head for `stall_after_s`, or silent (its
    watcher is gone) for that long."""
    if snapshot.halted_reason is not None:
        return True
    limit = timedelta(seconds=stall_after_s)
    for since in (snapshot.unhealthy_since, snapshot.stuck_since):
        if since is not None and now - since >= limit:
            return True
    return now - snapshot.updated_at >= max(limit, timedelta(seconds=MIN_STALE_S))


def decide_stall(row: ChainHealthRow, now: datetime, stall_after_s: float) -> StallChange | None:
    """ "stalled" when the chain is stalled and its subscribers were not told yet, "recovered"
    when it is not and they were told it stalled, else None."""
    stalled = is_stalled(row.snapshot, now, stall_after_s)
    if stalled and row.stalled_since is None:
        return "stalled"
    if not stalled and row.stalled_since is not None:
        return "recovered"
    return None


def is_quiet(snapshot: ChainSnapshot, now: datetime, quiet_after_s: float) -> bool | None:
    """Whether the chain has made no block for `quiet_after_s` while its watcher follows it;
    None when that is not known: the block's time was not reported, or the watcher is failing,
    halted or stalled, so the newest block it knows need not be the chain's."""
    if snapshot.head_time is None or not snapshot.healthy:
        return None
    if is_stalled(snapshot, now, quiet_after_s):
        return None
    return now - snapshot.head_time >= timedelta(seconds=quiet_after_s)


def decide_quiet(row: ChainHealthRow, now: datetime, quiet_after_s: float) -> QuietChange | None:
    """ "quiet" when the chain makes no blocks and its subscribers were not told yet, "moving"
    when it makes blocks again after they were told, else None (also while it is not known:
    a watcher in trouble ends no quiet spell and starts none)."""
    quiet = is_quiet(row.snapshot, now, quiet_after_s)
    if quiet is True and row.quiet_since is None:
        return "quiet"
    if quiet is False and row.quiet_since is not None:
        return "moving"
    return None
