"""The chaos run of bench.chaos, briefly: watcher and notifier processes killed every second or
two while transfers stream; every event is stored once and delivered, and the repeated sends the
receiver saw are counted. PostgreSQL is not restarted here: other tests share the server."""

from __future__ import annotations

import random
from pathlib import Path

from bench.chaos import run_chaos
from bench.chaos_report import ChaosOptions, render_report

EVENTS = 80


async def test_random_kills_of_watchers_and_notifiers_lose_and_record_twice_nothing(
    tmp_path: Path,
) -> None:
    options = ChaosOptions(
        duration_s=15.0,
        events=EVENTS,
        kill_gap_s=(1.0, 2.0),
        # The shortest the settings allow: a killed notifier's claims wait this long.
        claim_lease_s=25.0,
        restart_command=None,
        drain_timeout_s=120.0,
        seed=random.randrange(2**31),
    )

    report = await run_chaos(options, tmp_path)
    text = render_report(report)
    print(text)

    outcome = report.outcome
    assert outcome.node_logs == outcome.stored_events == outcome.distinct_events == EVENTS, text
    assert outcome.stored_equal_node, text
    assert outcome.deliveries == outcome.events_with_one_delivery == EVENTS, text
    assert outcome.delivered == EVENTS, text
    assert outcome.ids_missing == outcome.ids_unknown == outcome.bad_signatures == 0, text
    assert outcome.webhooks == EVENTS + outcome.extra_sends, text
    assert sum(report.tally.kills.values()) >= 3, text
    assert not report.tally.exits, text
    assert report.drain_s is not None, text
    assert all(code == 0 for codes in report.stop_codes.values() for code in codes), text
    assert f"{outcome.duplicated_ids} webhook-ids more than once" in text
