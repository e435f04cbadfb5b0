"""Live state of each chain's watcher, read by /health and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def block_time(timestamp: int) -> datetime | None:
    """A header's timestamp (seconds since the epoch) as a UTC time; None for one that names
    no time (0, negative) or none a calendar holds, so a node's nonsense never stops a step."""
    if timestamp <= 0:
        return None
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(slots=True)
class ChainStatus:
    """Mutable on purpose: the chain's watcher updates it, the health endpoint reads it."""

    chain: str
    head: int | None = None
    cursor: int | None = None
    healthy: bool = False
    halted: str | None = None
    error: str | None = None
    last_gap: str | None = None
    """The latest blocks passed unread (no node had them any more), as a sentence."""
    head_time: datetime | None = None
    """When the chain made its newest block, as that block's header says."""
    quiet_after_s: float | None = None
    """The chain counts as quiet (making no blocks) once its newest block is this old; None:
    never."""
    standby: bool = False
    """Another process holds the chain's lease and crawls it; this one is ready to take over."""

    @property
    def lag(self) -> int | None:
        if self.head is None or self.cursor is None:
            return None
        return max(0, self.head - self.cursor)

    def chain_quiet(self, now: datetime) -> bool | None:
        """Whether the chain itself has made no block for `quiet_after_s`, while its watcher is
        healthy at the tip. None when that is not known: before the first head, and while the
        watcher's steps fail or it is halted, for then its head is not current; always None for
        a chain without `quiet_after_s`."""
        if self.quiet_after_s is None or self.head_time is None:
            return None
        if not self.healthy or self.halted is not None:
            return None
        return now - self.head_time >= timedelta(seconds=self.quiet_after_s)

    def as_dict(self, now: datetime | None = None) -> dict[str, object]:
        return {
            "head": self.head,
            "cursor": self.cursor,
            "lag": self.lag,
            "healthy": self.healthy and self.halted is None,
            "halted": self.halted,
            "error": self.error,
            "last_gap": self.last_gap,
            "head_time": self.head_time.isoformat() if self.head_time else None,
            "chain_quiet": self.chain_quiet(now or datetime.now(UTC)),
            "standby": self.standby,
        }
