"""Delivery throughput: 1, 2 and 4 `blockbell run --roles notifier` processes send due webhook
deliveries to a loopback receiver, recording every attempt in PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from app.gc_tuning import tune_garbage_collector
from bench.common import CHAIN, measured_cpu, opened_bench_database, profiled, running_notifier
from bench.delivery_report import DeliveryOptions, DeliveryReport, DeliveryRun, render_report
from bench.notifier_processes import NotifierProcesses
from bench.process_cpu import cpu_of, cpu_spent_s
from bench.webhook_sink import WebhookSink
from storage.db import connection
from storage.outbox import Step, commit_step
from storage.progress import create_progress
from tests.support.builders import ERC20_ABI, TOKEN, TRANSFER_TOPIC, block_hash, make_subscription
from watcher.types import ChainEvent, Match

LOGS_PER_BLOCK = 100
# Distinct senders; every recipient is new, as in a token's ordinary traffic.
SENDERS = 100
DELIVERY_TIMEOUT_S = 600.0
POLL_S = 0.05
# Whether any delivery is still pending; far cheaper than counting them many times a second.
STILL_PENDING_SQL = (
    "SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE status = 'pending' LIMIT 1) AS pending"
)
# The database's own processes: their CPU counts with that of the backends serving the run.
POSTGRES_PIDS_SQL = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database()
   OR backend_type IN ('walwriter', 'checkpointer', 'background writer')
"""


def transfer_matches(count: int, subscription_id: int, destination_id: int) -> list[Match]:
    """`count` ERC-20 Transfers of TOKEN, LOGS_PER_BLOCK a block from block 1 on, each matching
    the one subscription: from one of SENDERS accounts to an account of its own."""
    matches = []
    for index in range(count):
        number, log_index = divmod(index, LOGS_PER_BLOCK)
        sender, recipient = f"{index % SENDERS + 1:040x}", f"{SENDERS + index + 1:040x}"
        value = 10**18 + index
        event = ChainEvent(
            chain=CHAIN,
            block_number=number + 1,
            block_hash=block_hash(number + 1),
            transaction_hash="0x" + f"{index:064x}",
            log_index=log_index,
            emitter=TOKEN,
            selector=TRANSFER_TOPIC,
            name="Transfer",
            args={"from": "0x" + sender, "to": "0x" + recipient, "value": str(value)},
            topics=(TRANSFER_TOPIC, "0x" + "00" * 12 + sender, "0x" + "00" * 12 + recipient),
            data="0x" + f"{value:064x}",
        )
        matches.append(Match(event, ((subscription_id, destination_id),)))
    return matches


async def save_due_deliveries(count: int, sink: WebhookSink) -> None:
    """One webhook subscription and `count` due deliveries to it, stored by the watcher's own
    transaction (the outbox's commit_step) as one step over the blocks that hold them."""
    sub = await make_subscription(address=TOKEN, abi=ERC20_ABI, url=sink.url, secret=sink.secret)
    await create_progress(CHAIN, 0, block_hash(0))
    last = (count - 1) // LOGS_PER_BLOCK + 1
    step = Step(
        chain=CHAIN,
        expected=(0, block_hash(0)),
        new=(last, block_hash(last)),
        hashes=[(n, block_hash(n)) for n in range(1, last + 1)],
        keep_hashes=64,
    )
    matches = transfer_matches(count, sub.subscription_id, sub.destination_id)
    await commit_step(step, matches, datetime.now(UTC))


async def count_rows(sql: str) -> int:
    [row] = await connection().execute_query_dict(sql)
    return int(row["count"])


async def postgres_pids() -> list[int]:
    return [int(row["pid"]) for row in await connection().execute_query_dict(POSTGRES_PIDS_SQL)]


async def wait_until_delivered(processes: NotifierProcesses) -> None:
    """Poll until no delivery is pending; a notifier that exits early fails the run."""
    deadline = time.perf_counter() + DELIVERY_TIMEOUT_S
    while await count_rows(STILL_PENDING_SQL):
        processes.check_running()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"deliveries still pending after {DELIVERY_TIMEOUT_S:g} s")
        await asyncio.sleep(POLL_S)


async def measure_run(options: DeliveryOptions, count: int, sink: WebhookSink) -> DeliveryRun:
    """A fresh database; the notifiers start first, then the deliveries are committed, and the
    clock runs from the first webhook received until every delivery is recorded delivered."""
    sink.reset()
    with tempfile.TemporaryDirectory(prefix="blockbell-bench-") as folder:
        async with opened_bench_database("postgres") as url:
            processes = NotifierProcesses(url, Path(folder))
            try:
                await processes.start(count)
                await save_due_deliveries(options.deliveries, sink)
                notifiers, postgres = cpu_of(processes.pids), cpu_of(await postgres_pids())
                with measured_cpu() as cpu:
                    await wait_until_delivered(processes)
                    finished = time.perf_counter()
                    notifiers_after = cpu_of(processes.pids)
                    postgres_after = cpu_of(await postgres_pids())
            finally:
                await processes.stop()
            delivered = await count_rows(
                "SELECT count(*) FROM deliveries WHERE status = 'delivered'"
            )
            attempts = await count_rows("SELECT count(*) FROM delivery_attempts")
    assert sink.first_at is not None
    return DeliveryRun(
        seconds=finished - sink.first_at,
        delivered=delivered,
        attempts=attempts,
        duplicates=sink.duplicates,
        invalid_signatures=sink.invalid_signatures,
        notifier_cpu_s=cpu_spent_s(notifiers, notifiers_after),
        postgres_cpu_s=cpu_spent_s(postgres, postgres_after),
        receiver_cpu_s=cpu[0].process_s,
        machine_cpu_s=cpu[0].machine_s,
    )


async def profile_in_process(options: DeliveryOptions, sink: WebhookSink) -> None:
    """One notifier in this process, as app/runtime.py builds it, under cProfile (the receiver
    runs in this process too and shows in the profile as aiohttp's server)."""
    sink.reset()
    async with opened_bench_database("postgres"), aiohttp.ClientSession() as session:
        await save_due_deliveries(options.deliveries, sink)
        started = time.perf_counter()
        with profiled(f"one in-process notifier, {options.deliveries:,} deliveries"):
            async with running_notifier(session):
                while await count_rows(STILL_PENDING_SQL):
                    await asyncio.sleep(POLL_S)
        seconds = time.perf_counter() - started
    print(f"\nIn-process notifier: {options.deliveries / seconds:,.0f} deliveries/s")


async def run_benchmark(options: DeliveryOptions) -> DeliveryReport:
    """Run after run, each process count in turn, so noise on the machine touches them alike."""
    report = DeliveryReport(options)
    sink = await WebhookSink.start()
    try:
        for _ in range(options.runs):
            for count in options.processes:
                run = await measure_run(options, count, sink)
                _check(run, options.deliveries)
                report.runs.setdefault(count, []).append(run)
        if options.profile:
            await profile_in_process(options, sink)
    finally:
        await sink.stop()
    return report


def _check(run: DeliveryRun, deliveries: int) -> None:
    if run.delivered != deliveries or run.attempts < deliveries or run.invalid_signatures:
        raise AssertionError(
            f"{run.delivered} of {deliveries} delivered with {run.attempts} attempts recorded,"
            f" {run.invalid_signatures} bad signatures"
        )


def parse_process_counts(text: str) -> tuple[int, ...]:
    """A comma-separated list of positive process counts, such as 1,2,4."""
    try:
        counts = tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected comma-separated numbers, e.g. 1,2,4") from exc
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("expected positive process counts, e.g. 1,2,4")
    return counts


def parse_options(argv: Sequence[str] | None = None) -> DeliveryOptions:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__)
    defaults = DeliveryOptions()
    parser.add_argument("--deliveries", type=int, default=defaults.deliveries)
    parser.add_argument(
        "--processes",
        type=parse_process_counts,
        default=defaults.processes,
        help="comma-separated notifier process counts, e.g. 1,2,4",
    )
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the runs, profile one notifier running in this process",
    )
    args = parser.parse_args(argv)
    if args.deliveries < 1 or args.runs < 1:
        parser.error("at least one delivery and one run")
    return DeliveryOptions(args.deliveries, args.processes, args.runs, args.profile)


def main(argv: Sequence[str] | None = None) -> None:
    print(render_report(asyncio.run(run_benchmark(parse_options(argv)))))


if __name__ == "__main__":
    tune_garbage_collector()  # as `blockbell run` does
    main()
