"""The retry policy: after one attempt, whether a delivery is done, retried later or dead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

# Delay before attempts 1..8 (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h): the
# schedule of the large webhook senders, about a day and a half in all. There is no attempt 9.
DEFAULT_SCHEDULE_S: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)

# Callers draw jitter uniformly from [-MAX_JITTER, MAX_JITTER] so that deliveries that failed
# together (an endpoint outage) do not all come back at the same instant.
MAX_JITTER = 0.2

HTTP_GONE = 410
# Answers that say a webhook endpoint refuses every delivery or is not there: retrying cannot
# help, and sending it more would only cost both sides.
WEBHOOK_REFUSALS = {403: "Forbidden", 404: "Not Found", HTTP_GONE: "Gone"}
HTTP_TOO_MANY_REQUESTS = 429

DeliveryStatus = Literal["delivered", "pending", "dead"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt produced; `status` is None when no HTTP response came back.
    `message_ref` is the id of the chat message it posted or edited, where there is one."""

    status: int | None
    error: str | None
    retry_after_s: float | None
    latency_ms: float
    message_ref: str | None = None
    forbidden: bool = False
    """Nothing was sent because the destination itself is refused; no retry changes that."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The delivery's next state; `disable_destination` holds the reason when it must stop."""

    status: DeliveryStatus
    next_attempt_at: datetime | None
    disable_destination: str | None = None


def decide(
    outcome: Outcome,
    attempts_made: int,
    now: datetime,
    schedule_s: Sequence[float],
    jitter: float,
) -> Decision:
    """Decide after attempt number `attempts_made` (this one included) what happens next."""
    if is_success(outcome.status):
        return Decision("delivered", None)
    if outcome.status == HTTP_GONE:
        return Decision("dead", None, "the endpoint answered 410 Gone")
    if not is_retryable(outcome.status) or attempts_made >= len(schedule_s):
        return Decision("dead", None)
    delay_s = schedule_s[attempts_made] * (1 + jitter)
    if outcome.retry_after_s is not None:
        delay_s = max(delay_s, outcome.retry_after_s)
    return Decision("pending", now + timedelta(seconds=delay_s))


def decide_webhook(
    outcome: Outcome,
    attempts_made: int,
    now: datetime,
    schedule_s: Sequence[float],
    jitter: float,
) -> Decision:
    """The retry policy, plus what stops a webhook destination: a URL or secret it may not be
    sent with, an answer that it refuses or is gone (403, 404, 410), or a delivery that failed
    through the whole schedule (an endpoint down for days)."""
    if outcome.forbidden:
        return Decision("dead", None, outcome.error or "the destination is refused")
    if outcome.status in WEBHOOK_REFUSALS:
        reason = f"the endpoint answered {outcome.status} {WEBHOOK_REFUSALS[outcome.status]}"
        return Decision("dead", None, reason)
    decision = decide(outcome, attempts_made, now, schedule_s, jitter)
    if decision.status == "dead" and is_retryable(outcome.status):
        hours = sum(schedule_s) / 3600
        reason = f"every attempt failed for {hours:.3g} h; the last: {outcome.error or '?'}"
        return Decision("dead", None, reason)
    return decision


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def is_retryable(status: int | None) -> bool:
    """Network errors, timeouts, rate limits and server errors may pass; other answers will not.

    Redirects are not followed (the endpoint must be configured with its final URL) and other
    4xx answers mean the request itself is refused, so repeating it cannot help.
    """
    return status is None or status == HTTP_TOO_MANY_REQUESTS or 500 <= status < 600


def classify_attempt(outcome: Outcome) -> str:
    """The attempt's outcome as stored: success, http_error or network_error."""
    if is_success(outcome.status):
        return "success"
    return "network_error" if outcome.status is None else "http_error"
