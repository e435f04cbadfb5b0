"""Pure reorg decisions: where the stored chain and the node's chain part, and what to revert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ForkPoint:
    """The newest stored block the node still has, or None when no stored block survives."""

    number: int
    hash: str


def find_fork_point(
    stored: Sequence[tuple[int, str]], canonical: Mapping[int, str]
) -> ForkPoint | None:
    """The highest stored (number, hash) whose hash is still the node's hash at that height.

    Only the newest `max_reorg_depth + 1` hashes are kept, so None means the reorg is deeper
    than allowed. Near the head every block's hash is stored and the fork point is exact; in
    catch-up only range ends are, so it may lie before the real fork: rolling back to it is
    still exact, because only events of blocks that left the chain are reverted.

    `canonical` holds the node's hashes for the stored heights it has (a shorter chain after a
    reorg simply lacks the top heights).
    """
    for number, block_hash in sorted(stored, reverse=True):
        if canonical.get(number) == block_hash:
            return ForkPoint(number, block_hash)
    return None


def orphaned_hashes(
    event_blocks: Sequence[tuple[int, str]], canonical: Mapping[int, str]
) -> list[str]:
    """Hashes of blocks holding stored events that are no longer on the node's chain."""
    return sorted(
        {block_hash for number, block_hash in event_blocks if canonical.get(number) != block_hash}
    )
