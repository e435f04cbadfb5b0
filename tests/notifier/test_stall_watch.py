"""When a chain counts as stalled or quiet (making no blocks), and when its subscribers are to
be told so or told it recovered or makes blocks again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifier.stall_watch import decide_quiet, decide_stall, is_quiet, is_stalled
from storage.chain_health import ChainHealthRow, ChainSnapshot

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STALL_AFTER_S = 120.0


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def snapshot(**changes: object) -> ChainSnapshot:
    values: dict[str, object] = {
        "chain": "mainnet",
        "head_number": 110,
        "cursor_number": 100,
        "healthy": True,
        "halted_reason": None,
        "error": None,
        "updated_at": ago(3),
    }
    return ChainSnapshot(**{**values, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "stalled"),
    [
        ({}, False),
        ({"halted_reason": "reorg deeper than 128 blocks"}, True),
        ({"healthy": False, "unhealthy_since": ago(119)}, False),
        ({"healthy": False, "unhealthy_since": ago(120)}, True),
        ({"stuck_since": ago(60)}, False),
        ({"stuck_since": ago(121)}, True),
        ({"updated_at": ago(119)}, False),
        ({"updated_at": ago(120)}, True),  # its watcher stopped reporting
    ],
)
def test_a_chain_is_stalled_when_halted_or_in_trouble_for_the_threshold(
    changes: dict[str, object], stalled: bool
) -> None:
    assert is_stalled(snapshot(**changes), NOW, STALL_AFTER_S) is stalled


def test_a_tiny_threshold_does_not_take_the_pause_between_reports_for_silence() -> None:
    assert is_stalled(snapshot(updated_at=ago(5)), NOW, 1.0) is False
    assert is_stalled(snapshot(updated_at=ago(30)), NOW, 1.0) is True


def test_a_stall_is_announced_once_and_its_recovery_once() -> None:
    stuck = snapshot(stuck_since=ago(300))
    assert decide_stall(ChainHealthRow(stuck, None), NOW, STALL_AFTER_S) == "stalled"
    assert decide_stall(ChainHealthRow(stuck, ago(60)), NOW, STALL_AFTER_S) is None
    assert decide_stall(ChainHealthRow(snapshot(), ago(60)), NOW, STALL_AFTER_S) == "recovered"
    assert decide_stall(ChainHealthRow(snapshot(), None), NOW, STALL_AFTER_S) is None


@pytest.mark.parametrize(
    ("changes", "quiet"),
    [
        ({"head_time": ago(119)}, False),
        ({"head_time": ago(120)}, True),
        ({"head_time": ago(5), "updated_at": ago(200)}, None),  # its watcher stopped reporting
        ({}, None),  # a watcher that does not know when the block was made
        ({"head_time": ago(600), "healthy": False, "unhealthy_since": ago(10)}, None),
        ({"head_time": ago(600), "stuck_since": ago(300)}, None),
        ({"head_time": ago(600), "halted_reason": "reorg deeper than 128 blocks"}, None),
    ],
)
def test_a_chain_is_quiet_when_its_newest_block_is_as_old_as_the_threshold(
    changes: dict[str, object], quiet: bool | None
) -> None:
    at_tip = snapshot(cursor_number=110, **changes)
    assert is_quiet(at_tip, NOW, STALL_AFTER_S) is quiet


def test_a_quiet_chain_is_announced_once_and_its_moving_again_once() -> None:
    quiet = snapshot(cursor_number=110, head_time=ago(300))
    moving = snapshot(cursor_number=111, head_time=ago(4))
    assert decide_quiet(ChainHealthRow(quiet, None), NOW, STALL_AFTER_S) == "quiet"
    assert decide_quiet(ChainHealthRow(quiet, None, ago(60)), NOW, STALL_AFTER_S) is None
    assert decide_quiet(ChainHealthRow(moving, None, ago(60)), NOW, STALL_AFTER_S) == "moving"
    assert decide_quiet(ChainHealthRow(moving, None), NOW, STALL_AFTER_S) is None


def test_a_watcher_in_trouble_neither_ends_nor_starts_a_quiet_spell() -> None:
    failing = snapshot(head_time=ago(4), healthy=False, error="timeout", unhealthy_since=ago(4))
    assert decide_quiet(ChainHealthRow(failing, None, ago(60)), NOW, STALL_AFTER_S) is None
    assert decide_quiet(ChainHealthRow(failing, None), NOW, STALL_AFTER_S) is None
