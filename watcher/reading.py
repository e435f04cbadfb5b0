"""What the chain-neutral watcher core asks of a chain family's reader.

The core (watcher/crawl.py) owns progress, heads, confirmations, commits and reorg recovery;
a reader knows how its family's nodes are read and matched: EVM logs over ranges and blooms
(watcher/evm_reader.py), Cosmos blocks with their results (watcher/cosmos_reader.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.subscriptions import ActiveSubscription
from watcher.types import BlockHeader, Match


@dataclass(frozen=True, slots=True)
class Advance:
    """Blocks read past the cursor: the new cursor, what matched, and each block's hash."""

    new: tuple[int, str]
    matches: Sequence[Match]
    hashes: Sequence[tuple[int, str]]
    gap: tuple[int, int] | None = None
    """Blocks passed unread because no node has them any more (first, last): recorded and
    reported by the core, never skipped in silence."""


class ReorgFound:
    """The cursor's block is no longer on the node's chain: the core recovers."""


REORG_FOUND = ReorgFound()


class ChainReader(Protocol):
    async def fetch_latest(self) -> BlockHeader:
        """The node's newest block."""
        ...

    async def fetch_headers(self, numbers: Sequence[int]) -> list[BlockHeader]:
        """These blocks' headers, in the order asked."""
        ...

    def update(self, changed: Sequence[ActiveSubscription], gone: Sequence[int]) -> None:
        """From now on match `changed` subscriptions as they are now (new ones, or replacing
        those of the same id) and no longer the `gone` ones."""
        ...

    async def advance(
        self, cursor: tuple[int, str], head: BlockHeader, target: int
    ) -> Advance | ReorgFound | None:
        """Read on from the cursor towards `target` (at most the head): some blocks, all of
        them at once, or nothing this time (None: try again at the next step)."""
        ...

    def discard(self) -> None:
        """Drop any read made ahead: the cursor moved another way, or the watcher stops."""
        ...
