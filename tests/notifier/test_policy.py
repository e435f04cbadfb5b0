"""The retry policy: delivered, retried within the jittered schedule, or dead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from notifier.policy import (
    DEFAULT_SCHEDULE_S,
    MAX_JITTER,
    Outcome,
    classify_attempt,
    decide,
    decide_webhook,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)

schedules = st.lists(
    st.floats(min_value=0, max_value=100_000, allow_nan=False), min_size=1, max_size=12
)
jitters = st.floats(min_value=-MAX_JITTER, max_value=MAX_JITTER, allow_nan=False)
retryable_statuses = st.one_of(st.none(), st.just(429), st.integers(500, 599))
retry_afters = st.one_of(st.none(), st.floats(min_value=0, max_value=86_400, allow_nan=False))


def failed(status: int | None, retry_after_s: float | None = None) -> Outcome:
    return Outcome(status, "failed", retry_after_s, 12.0)


@given(
    status=retryable_statuses,
    schedule=schedules,
    jitter=jitters,
    retry_after_s=retry_afters,
    data=st.data(),
)
def test_retryable_failures_come_back_within_the_jittered_schedule(
    status: int | None,
    schedule: list[float],
    jitter: float,
    retry_after_s: float | None,
    data: st.DataObject,
) -> None:
    attempts_made = data.draw(st.integers(1, len(schedule)))
    decision = decide(failed(status, retry_after_s), attempts_made, NOW, schedule, jitter)
    if attempts_made >= len(schedule):
        assert decision.status == "dead"
        return
    assert decision.status == "pending"
    assert decision.next_attempt_at is not None
    delay_s = (decision.next_attempt_at - NOW).total_seconds()
    planned_s = schedule[attempts_made]
    assert delay_s >= 0
    assert delay_s >= planned_s * (1 - MAX_JITTER) - 1e-6
    assert delay_s <= max(planned_s * (1 + MAX_JITTER), retry_after_s or 0) + 1e-6
    if retry_after_s is not None:
        assert delay_s >= retry_after_s - 1e-6


@given(status=retryable_statuses, schedule=schedules, jitter=jitters)
def test_retryable_failures_are_dead_exactly_after_the_last_scheduled_attempt(
    status: int | None, schedule: list[float], jitter: float
) -> None:
    statuses = [
        decide(failed(status), attempt, NOW, schedule, jitter).status
        for attempt in range(1, len(schedule) + 1)
    ]
    assert statuses == ["pending"] * (len(schedule) - 1) + ["dead"]


@given(
    status=st.integers(400, 499).filter(lambda s: s != 429),
    attempts_made=st.integers(1, 8),
    jitter=jitters,
)
def test_client_errors_other_than_429_are_never_retried(
    status: int, attempts_made: int, jitter: float
) -> None:
    decision = decide(failed(status), attempts_made, NOW, DEFAULT_SCHEDULE_S, jitter)
    assert decision.status == "dead"
    assert decision.next_attempt_at is None


@given(status=st.integers(300, 399), attempts_made=st.integers(1, 8))
def test_redirects_are_dead_at_once(status: int, attempts_made: int) -> None:
    decision = decide(failed(status), attempts_made, NOW, DEFAULT_SCHEDULE_S, 0.0)
    assert (decision.status, decision.disable_destination) == ("dead", None)


@given(status=st.integers(200, 299), attempts_made=st.integers(1, 20))
def test_any_2xx_is_delivered_whatever_the_attempt(status: int, attempts_made: int) -> None:
    decision = decide(Outcome(status, None, None, 3.0), attempts_made, NOW, DEFAULT_SCHEDULE_S, 0)
    assert decision.status == "delivered"
    assert decision.next_attempt_at is None
    assert decision.disable_destination is None


def test_410_gone_is_dead_and_disables_the_destination() -> None:
    decision = decide(failed(410), 1, NOW, DEFAULT_SCHEDULE_S, 0.0)
    assert decision.status == "dead"
    assert decision.disable_destination is not None
    assert "410" in decision.disable_destination


def test_the_default_schedule_retries_after_5_s_then_5_min() -> None:
    after_first = decide(failed(503), 1, NOW, DEFAULT_SCHEDULE_S, 0.0)
    after_second = decide(failed(None), 2, NOW, DEFAULT_SCHEDULE_S, 0.0)
    assert after_first.next_attempt_at == NOW + timedelta(seconds=5)
    assert after_second.next_attempt_at == NOW + timedelta(minutes=5)
    assert decide(failed(503), 8, NOW, DEFAULT_SCHEDULE_S, 0.0).status == "dead"


def test_retry_after_longer_than_the_schedule_wins() -> None:
    decision = decide(failed(429, retry_after_s=120), 1, NOW, DEFAULT_SCHEDULE_S, 0.2)
    assert decision.next_attempt_at == NOW + timedelta(seconds=120)


def test_attempt_outcomes_are_classified_for_the_record() -> None:
    assert classify_attempt(Outcome(204, None, None, 1.0)) == "success"
    assert classify_attempt(failed(500)) == "http_error"
    assert classify_attempt(failed(None)) == "network_error"


@given(status=st.sampled_from([403, 404, 410]), attempts_made=st.integers(1, 8))
def test_a_webhook_that_refuses_or_is_gone_stops_its_destination_at_once(
    status: int, attempts_made: int
) -> None:
    decision = decide_webhook(failed(status), attempts_made, NOW, DEFAULT_SCHEDULE_S, 0.0)
    assert (decision.status, decision.next_attempt_at) == ("dead", None)
    assert decision.disable_destination is not None
    assert decision.disable_destination.startswith(f"the endpoint answered {status} ")


def test_a_webhook_failing_through_the_whole_schedule_stops_its_destination() -> None:
    schedule = DEFAULT_SCHEDULE_S
    retried = [decide_webhook(failed(503), attempt, NOW, schedule, 0.0) for attempt in range(1, 8)]
    last = decide_webhook(Outcome(None, "timed out", None, 1.0), 8, NOW, schedule, 0.0)
    assert all(d.status == "pending" and d.disable_destination is None for d in retried)
    assert (last.status, last.disable_destination) == (
        "dead",
        "every attempt failed for 27.6 h; the last: timed out",
    )


@given(status=st.integers(400, 499).filter(lambda s: s not in (403, 404, 410, 429)))
def test_other_client_errors_end_the_delivery_but_not_the_webhook(status: int) -> None:
    decision = decide_webhook(failed(status), 1, NOW, DEFAULT_SCHEDULE_S, 0.0)
    assert (decision.status, decision.disable_destination) == ("dead", None)


def test_a_webhook_its_rules_forbid_stops_its_destination_at_once() -> None:
    refusal = "plain http:// webhooks are not allowed here"
    forbidden = Outcome(None, refusal, None, 0.0, forbidden=True)
    decision = decide_webhook(forbidden, 1, NOW, DEFAULT_SCHEDULE_S, 0.0)
    assert (decision.status, decision.disable_destination) == ("dead", refusal)
    unresolved = decide_webhook(failed(None), 1, NOW, DEFAULT_SCHEDULE_S, 0.0)
    assert (unresolved.status, unresolved.disable_destination) == ("pending", None)
