"""Prometheus metrics of the notifier: attempts by resulting delivery state, and send latency."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DELIVERY_ATTEMPTS = Counter(
    "blockbell_delivery_attempts",
    "Delivery attempts by channel and the state the delivery moved to (delivered, retry, dead).",
    ["channel", "result"],
)

SEND_LATENCY = Histogram(
    "blockbell_send_latency_seconds",
    "Time from sending a notification to having its answer, per channel.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0),
)


def observe_attempt(channel: str, delivery_status: str, latency_ms: float) -> None:
    result = "retry" if delivery_status == "pending" else delivery_status
    DELIVERY_ATTEMPTS.labels(channel=channel, result=result).inc()
    if latency_ms > 0:  # zero means nothing was sent (refused address, missing configuration)
        SEND_LATENCY.labels(channel=channel).observe(latency_ms / 1000.0)
