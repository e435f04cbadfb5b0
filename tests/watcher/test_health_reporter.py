"""The watcher's health snapshots: how long it has failed or stood still, when the chain made
its newest block, and their storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.chain_health import fetch_chain_health
from watcher.health_reporter import HealthReporter, next_snapshot
from watcher.status import ChainStatus

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=5)
T2 = T0 + timedelta(seconds=10)


def status(head: int | None = 110, cursor: int | None = 100, **changes: object) -> ChainStatus:
    live = ChainStatus("mainnet", head=head, cursor=cursor, healthy=True)
    for name, value in changes.items():
        setattr(live, name, value)
    return live


def test_a_failing_watcher_is_unhealthy_since_its_first_failing_report() -> None:
    first = next_snapshot(None, status(healthy=False, error="timeout"), 0, T0)
    second = next_snapshot(first, status(healthy=False, error="timeout"), 0, T1)
    assert (second.healthy, second.error, second.unhealthy_since) == (False, "timeout", T0)
    assert next_snapshot(second, status(), 0, T2).unhealthy_since is None


def test_a_halted_watcher_is_never_reported_healthy() -> None:
    halted = next_snapshot(None, status(halted="reorg deeper than 128 blocks"), 0, T0)
    assert (halted.healthy, halted.halted_reason) == (False, "reorg deeper than 128 blocks")
    assert halted.unhealthy_since == T0


def test_a_cursor_behind_the_head_is_stuck_since_it_last_moved() -> None:
    first = next_snapshot(None, status(cursor=100), 0, T0)
    still = next_snapshot(first, status(head=120, cursor=100), 0, T1)
    moved = next_snapshot(still, status(head=120, cursor=101), 0, T2)
    assert (first.stuck_since, still.stuck_since, moved.stuck_since) == (T0, T0, T2)


def test_a_cursor_at_the_head_less_the_confirmations_is_not_stuck() -> None:
    at_head = next_snapshot(None, status(head=100, cursor=100), 0, T0)
    waiting = next_snapshot(at_head, status(head=112, cursor=100), 12, T1)
    assert (at_head.stuck_since, waiting.stuck_since) == (None, None)
    assert waiting.lag == 12
    assert next_snapshot(waiting, status(head=113, cursor=100), 12, T2).stuck_since == T2


def test_a_watcher_that_knows_no_head_yet_is_not_stuck() -> None:
    assert next_snapshot(None, status(head=None, cursor=None), 0, T0).stuck_since is None


def test_a_quiet_head_is_reported_with_its_block_time_and_the_watcher_stays_healthy() -> None:
    made = T0 - timedelta(minutes=10)
    quiet = status(head=100, cursor=100, head_time=made)
    first = next_snapshot(None, quiet, 0, T0)
    later = next_snapshot(first, quiet, 0, T2)
    assert (later.head_time, later.healthy, later.stuck_since, later.unhealthy_since) == (
        made,
        True,
        None,
        None,
    )
    assert next_snapshot(later, status(head=101, cursor=101, head_time=T2), 0, T2).head_time == T2


async def test_the_reporter_saves_every_chains_status(db: str) -> None:
    clock = iter([T0, T1])
    statuses = {"mainnet": status(), "base": ChainStatus("base")}
    reporter = HealthReporter(statuses, {"mainnet": 0}, clock=lambda: next(clock))
    await reporter.report_once()
    statuses["mainnet"].head, statuses["mainnet"].cursor = 111, 111
    statuses["mainnet"].head_time = T0
    await reporter.report_once()

    rows = await fetch_chain_health()
    mainnet, base = rows["mainnet"].snapshot, rows["base"].snapshot
    assert (mainnet.head_number, mainnet.cursor_number, mainnet.lag) == (111, 111, 0)
    assert (mainnet.healthy, mainnet.updated_at, mainnet.stuck_since) == (True, T1, None)
    assert mainnet.head_time == T0
    assert (base.healthy, base.head_number, base.unhealthy_since) == (False, None, T0)
    assert base.head_time is None
