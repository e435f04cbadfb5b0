"""Range planning: refused ranges shrink, successful ones grow back, a backfill always ends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher.planning import RangePlanner, RangeUnsplittable


def test_a_refused_range_shrinks_to_the_suggested_range() -> None:
    planner = RangePlanner.start(2000).after_refusal((1, 2000), (1, 499))
    assert planner.next_range(1, 10_000) == (1, 499)


def test_a_suggestion_of_the_same_range_halves_it_instead() -> None:
    planner = RangePlanner.start(2000).after_refusal((1, 2000), (1, 2000))
    assert planner.width == 1000


def test_successes_grow_the_width_back_to_the_maximum() -> None:
    planner = RangePlanner.start(2000).after_refusal((1, 2000), (1, 100))
    for _ in range(8 * 5):
        planner = planner.after_success()
    assert planner.width == 2000


def test_a_refused_single_block_cannot_be_split() -> None:
    with pytest.raises(RangeUnsplittable):
        RangePlanner.start(10).after_refusal((5, 5), None)


@given(
    max_width=st.integers(1, 5000),
    block_limit=st.integers(1, 5000),
    blocks=st.integers(1, 50_000),
    suggest_same=st.booleans(),
)
def test_a_backfill_against_a_limited_node_covers_every_block_once_and_ends(
    max_width: int, block_limit: int, blocks: int, suggest_same: bool
) -> None:
    planner = RangePlanner.start(max_width)
    next_block, covered, rounds = 1, 0, 0
    while next_block <= blocks:
        rounds += 1
        first, last = planner.next_range(next_block, blocks)
        assert first == next_block and first <= last <= blocks
        if last - first + 1 > block_limit:
            suggested = (first, last) if suggest_same else (first, first + block_limit - 1)
            planner = planner.after_refusal((first, last), suggested)
            continue
        covered += last - first + 1
        next_block = last + 1
        planner = planner.after_success()
    assert covered == blocks
    assert rounds <= blocks * 9 / 8 + 2 * max_width.bit_length() + 8
