"""Live state of each chain's watcher, read by /health and the CLI."""

from __future__ import annotations

from dataclasses import dataclass


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

    @property
    def lag(self) -> int | None:
        if self.head is None or self.cursor is None:
            return None
        return max(0, self.head - self.cursor)

    def as_dict(self) -> dict[str, object]:
        return {
            "head": self.head,
            "cursor": self.cursor,
            "lag": self.lag,
            "healthy": self.healthy and self.halted is None,
            "halted": self.halted,
            "error": self.error,
            "last_gap": self.last_gap,
        }
