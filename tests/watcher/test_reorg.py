"""Pure reorg decisions over stored and canonical hashes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from watcher.reorg import ForkPoint, find_fork_point, orphaned_hashes


def chain(numbers: range, fork: str) -> dict[int, str]:
    return {n: f"0x{fork}{n}" for n in numbers}


def test_the_fork_point_is_the_newest_stored_block_still_on_the_chain() -> None:
    stored = sorted(chain(range(10, 21), "a").items(), reverse=True)
    canonical = chain(range(10, 16), "a") | chain(range(16, 22), "b")
    assert find_fork_point(stored, canonical) == ForkPoint(15, "0xa15")


def test_no_surviving_stored_block_means_too_deep() -> None:
    stored = list(chain(range(10, 21), "a").items())
    assert find_fork_point(stored, chain(range(0, 30), "b")) is None


def test_a_shorter_node_chain_counts_missing_heights_as_orphaned() -> None:
    events = [(19, "0xa19"), (21, "0xa21")]
    canonical = chain(range(0, 20), "a")
    assert orphaned_hashes(events, canonical) == ["0xa21"]


@given(length=st.integers(1, 80), depth=st.integers(0, 80), window=st.integers(1, 80))
def test_rolling_back_to_the_fork_point_keeps_exactly_the_surviving_prefix(
    length: int, depth: int, window: int
) -> None:
    depth = min(depth, length)
    old = chain(range(length), "a")
    new = chain(range(length - depth), "a") | chain(range(length - depth, length), "b")
    stored = sorted(old.items(), reverse=True)[:window]
    fork = find_fork_point(stored, new)
    if depth >= min(window, length):
        assert fork is None
    else:
        assert fork == ForkPoint(length - depth - 1, old[length - depth - 1])
