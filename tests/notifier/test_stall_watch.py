"""When a chain counts as stalled, and when its subscribers are to be told so or told it
recovered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifier.stall_watch import decide_stall, is_stalled
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
