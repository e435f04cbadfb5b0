"""The benchmark commands run end to end in a tiny configuration; their timings are not judged."""

from __future__ import annotations

import re

import pytest

from bench import catchup, cosmos_crawl, delivery, head_latency, matching, telegram_fanout
from bench.common import BACKENDS


def test_catchup_benchmark_reads_and_stores_every_log_on_every_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    catchup.main(["--txs", "2", "--logs-per-tx", "1000", "--gap-blocks", "9", "--runs", "1"])
    out = capsys.readouterr().out

    assert "Catch-up over 2,000 Transfer logs in 20 blocks" in out
    paths = ["web3.py get_logs", "raw eth_getLogs"]
    paths += [f"{kind} {name}" for kind in ("blockbell", "storage floor") for name in BACKENDS]
    for path in paths:
        assert re.search(rf"^\| {path} +\| [\d,]+ ", out, re.MULTILINE), path
    for backend in BACKENDS:
        assert re.search(rf"^\| {backend} .*\| 2,000 = 2,000: met +\|$", out, re.MULTILINE)
        # Beside the share of raw, the share the storage floor reached.
        assert re.search(
            rf"^\| {backend} +\| .*\| \d+%: [A-Za-z ]+ \(floor \d+%\) +\|", out, re.MULTILINE
        )
        # The seconds table: the wall time, then the time the watcher's steps spent storing.
        seconds = rf"^\| blockbell {backend} +\| \d+\.\d\d +\| \d+\.\d\d +\|"
        assert re.search(seconds, out, re.MULTILINE), backend


def test_head_latency_benchmark_delivers_each_block_exactly_once_in_both_modes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    head_latency.main(["--blocks", "8", "--warmup", "2", "--runs", "1"])
    out = capsys.readouterr().out

    for backend in BACKENDS:
        for mode in ("ws", "poll"):
            row = re.search(rf"^\| {backend} +\| {mode} +\| 8 +\|.*$", out, re.MULTILINE)
            assert row is not None, (backend, mode)
            assert "| yes (10 webhooks)" in row.group(0)


def test_benchmark_options_reject_an_unknown_database() -> None:
    with pytest.raises(SystemExit):
        catchup.parse_options(["--backends", "mysql"])


def test_telegram_fanout_benchmark_sends_one_message_per_chat_without_a_429(
    capsys: pytest.CaptureFixture[str],
) -> None:
    telegram_fanout.main(["--chats", "20", "--groups", "2", "--runs", "1"])
    out = capsys.readouterr().out

    for backend in ("sqlite", "postgres"):
        row = re.search(rf"^\| {backend} +\| 22 +\|.*$", out, re.MULTILINE)
        assert row is not None, backend
        assert re.search(r"\| 0 +\| yes +\| [\d.]+, 0 429s: ", row.group(0)), row.group(0)


def test_cosmos_crawl_benchmark_stores_every_transfer_in_both_fetch_modes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cosmos_crawl.main(["--blocks", "4", "--txs", "3", "--latency-ms", "1", "--runs", "1"])
    out = capsys.readouterr().out

    assert "Cosmos crawl of 5 blocks with 3 transfers each" in out
    for backend in BACKENDS:
        for mode in ("sequential", "concurrent"):
            row = re.search(rf"^\| {backend} +\| {mode} +\| 5 +\|.*$", out, re.MULTILINE)
            assert row is not None, (backend, mode)
            assert "| 12 = 12: met" in row.group(0)


def test_delivery_benchmark_delivers_each_webhook_once_with_every_attempt_recorded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    delivery.main(["--deliveries", "300", "--processes", "1,2", "--runs", "1"])
    out = capsys.readouterr().out

    assert "Delivery of 300 due webhook deliveries" in out
    for processes in (1, 2):
        row = re.search(rf"^\| {processes} +\| [\d,]+ .*$", out, re.MULTILINE)
        assert row is not None, processes
        # attempts recorded = delivered, then no duplicate and no bad signature
        assert re.search(r"\| 300 = 300 +\| 0 +\| 0 +\|$", row.group(0)), row.group(0)
    assert "no duplicates" in out


def test_matching_benchmark_loads_every_subscription_and_times_each_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    matching.main(["--users", "30", "--logs", "2000", "--runs", "1"])
    out = capsys.readouterr().out

    assert "Matching with 300 active subscriptions of 30 users" in out
    for path in ("MatchIndex.match, the mix", "look-up only", "decoding only"):
        assert re.search(rf"^\| {re.escape(path)} .*\| 2,000 +\| [\d.]+ ", out, re.MULTILINE), path
    rows = (
        "fetch_active_subscriptions",
        "MatchIndex(chain, sources)",
        "one change: fetch_index_changes",
        "one change: MatchIndex.updated",
        "the index, records",
    )
    for row in rows:
        assert re.search(rf"^\| {re.escape(row)}.*\| [\d.,]+( [\d.,]+)* +\|$", out, re.M), row
    assert re.search(r"^\| a change in the index within 1 s .*: met", out, re.MULTILINE)
