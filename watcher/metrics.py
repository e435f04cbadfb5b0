"""Prometheus metrics of the watcher, registered once in the default registry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""From a fast node's answer or a small step (milliseconds) to a long batch or a large step."""

RPC_CALLS = Counter(
    "blockbell_rpc_calls",
    "JSON-RPC calls sent to chain nodes; each member of a batch counts once.",
    ["chain", "method"],
)
RPC_ERRORS = Counter(
    "blockbell_rpc_errors",
    "Failed JSON-RPC requests by kind (timeout, network, http_5xx, rate_limited, malformed, "
    "rpc_error, null_result, range, fatal).",
    ["chain", "kind"],
)
RPC_REQUEST_SECONDS = Histogram(
    "blockbell_rpc_request_seconds",
    "Latency of one HTTP request to a chain node; a batch is labelled method=batch.",
    ["chain", "method"],
    buckets=SECONDS_BUCKETS,
)
WATCHER_BLOCKS = Counter(
    "blockbell_watcher_blocks", "Blocks fully processed by the watcher.", ["chain"]
)
WATCHER_MATCHES = Counter(
    "blockbell_watcher_matches", "Events that matched at least one subscription.", ["chain"]
)
WATCHER_REORGS = Counter(
    "blockbell_watcher_reorgs", "Reorganizations rolled back by the watcher.", ["chain"]
)
WATCHER_GAP_BLOCKS = Counter(
    "blockbell_watcher_gap_blocks",
    "Blocks passed unread because no node had them any more (pruned); each gap is logged and "
    "recorded.",
    ["chain"],
)
WATCHER_HEAD_POLLS = Counter(
    "blockbell_watcher_head_polls",
    "Requests for the node's newest block; result=idle when it brought no new block (polling "
    "faster than the chain makes blocks).",
    ["chain", "result"],
)
WATCHER_STORE_SECONDS = Histogram(
    "blockbell_watcher_store_seconds",
    "Time to store one watcher step: its events, their deliveries and the cursor, in one "
    "transaction. In a catch-up the next range is read meanwhile, so the sum against the "
    "catch-up's time tells whether the database is what it waits for.",
    ["chain"],
    buckets=SECONDS_BUCKETS,
)
WATCHER_LAG = Gauge(
    "blockbell_watcher_lag_blocks", "Blocks between the node's head and the cursor.", ["chain"]
)
