"""Catch-up throughput over many ERC-20 Transfer logs: web3.py, a raw fetch and Blockbell."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from web3 import HTTPProvider, Web3

from app.gc_tuning import tune_garbage_collector
from bench.common import (
    BACKENDS,
    CpuUse,
    bench_spec,
    get_logs,
    measured_cpu,
    median,
    met,
    opened_bench_database,
    parse_backends,
    profiled,
    render_table,
    rpc_calls_of,
    running_chain_watcher,
    started_anvil,
    store_seconds,
)
from bench.storage_floor import time_storage_floor
from storage.models import Delivery, Event
from tests.support.anvil import AnvilNode
from tests.support.builders import TRANSFER_TOPIC, make_subscription
from tests.support.token import TOKEN_ABI, Token

GAS_PER_TRANSFER = 30_000
CATCH_UP_TIMEOUT_S = 600.0
WEB3_FACTOR_TARGET = 10.0
RAW_SHARE_TARGET = 0.5
CALLS_PER_BLOCK_TARGET = 0.01
WEB3_PATH = "web3.py get_logs"
RAW_PATH = "raw eth_getLogs"
CORES = os.cpu_count() or 1
RECIPIENTS = "0x" + "11" * 20


@dataclass(frozen=True)
class CatchupOptions:
    txs: int = 100
    logs_per_tx: int = 1000
    gap_blocks: int = 49
    max_block_range: int = 2000
    runs: int = 3
    web3_runs: int = 3
    backends: tuple[str, ...] = BACKENDS
    profile: str | None = None


@dataclass(frozen=True)
class BenchChain:
    """The blocks the benchmark reads: [first_block..last_block] hold exactly `logs` Transfers."""

    url: str
    token: str
    first_block: int
    last_block: int
    logs: int

    @property
    def blocks(self) -> int:
        return self.last_block - self.first_block + 1

    @property
    def query(self) -> dict[str, Any]:
        """The eth_getLogs filter of the benchmark's logs, without a block range."""
        return {"address": [self.token], "topics": [[TRANSFER_TOPIC]]}


@dataclass(frozen=True)
class PathRun:
    seconds: float
    logs: int
    rpc_calls: int | None = None
    log_calls: int | None = None
    cpu: CpuUse | None = None
    storing_s: float | None = None
    """Blockbell: the time its steps spent storing (the next range is read meanwhile)."""


@dataclass(frozen=True)
class CatchupReport:
    options: CatchupOptions
    chain: BenchChain
    runs: dict[str, list[PathRun]] = field(default_factory=dict)

    def logs_per_s(self, path: str) -> float:
        return median([run.logs / run.seconds for run in self.runs[path]])


def blockbell_path(backend: str) -> str:
    return f"blockbell {backend}"


def floor_path(backend: str) -> str:
    return f"storage floor {backend}"


async def build_chain(node: AnvilNode, options: CatchupOptions) -> BenchChain:
    """Deploy the token, then emit the logs in big transactions with empty blocks between."""
    token = await Token.deploy(node)
    first_block = await node.block_number() + 1
    gas = options.logs_per_tx * GAS_PER_TRANSFER + 200_000
    for _ in range(options.txs):
        # The same recipients every time: new storage slots would slow anvil's every block.
        await token.batch_transfer(RECIPIENTS, options.logs_per_tx, 1, gas=gas)
        if options.gap_blocks:
            await node.mine(options.gap_blocks)
    last_block = await node.block_number()
    return BenchChain(
        node.url, token.address, first_block, last_block, options.txs * options.logs_per_tx
    )


def block_ranges(first: int, last: int, width: int) -> list[tuple[int, int]]:
    return [(start, min(last, start + width - 1)) for start in range(first, last + 1, width)]


def time_web3(chain: BenchChain, width: int) -> PathRun:
    """web3.py's ordinary path: contract.events.Transfer.get_logs over each range."""
    w3 = Web3(HTTPProvider(chain.url, request_kwargs={"timeout": 300}))
    contract = w3.eth.contract(address=Web3.to_checksum_address(chain.token), abi=TOKEN_ABI)
    started = time.perf_counter()
    count = 0
    for first, last in block_ranges(chain.first_block, chain.last_block, width):
        count += len(contract.events.Transfer.get_logs(from_block=first, to_block=last))
    return PathRun(time.perf_counter() - started, count)


async def time_raw(chain: BenchChain, width: int) -> PathRun:
    """The floor: eth_getLogs over aiohttp, answers parsed with orjson, nothing else."""
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        count = 0
        with measured_cpu() as cpu:
            for first, last in block_ranges(chain.first_block, chain.last_block, width):
                count += len(await get_logs(session, chain.url, chain.query, first, last))
            seconds = time.perf_counter() - started
        return PathRun(seconds, count, cpu=cpu[0])


async def time_blockbell(chain: BenchChain, backend: str, width: int) -> PathRun:
    """The real watcher catching up from the first block; stored rows are counted afterwards."""
    async with opened_bench_database(backend):
        await make_subscription(address=chain.token, abi=TOKEN_ABI)
        spec = bench_spec(chain.url, start_block=chain.first_block, max_block_range=width)
        log_calls_before = rpc_calls_of("eth_getLogs")
        storing_before = store_seconds(spec.name)
        started = time.perf_counter()
        with measured_cpu() as cpu:
            async with running_chain_watcher(spec) as running:
                await running.wait_for_cursor(chain.last_block, CATCH_UP_TIMEOUT_S)
                seconds = time.perf_counter() - started
            calls = running.rpc.calls_made
            log_calls = rpc_calls_of("eth_getLogs") - log_calls_before
            storing_s = store_seconds(spec.name) - storing_before
        events = await Event.filter(chain=spec.name, status="active").count()
        deliveries = await Delivery.filter(status="pending").count()
    if events != chain.logs or deliveries != chain.logs:
        raise AssertionError(
            f"blockbell-{backend} stored {events} events and {deliveries} deliveries"
            f" for {chain.logs} logs"
        )
    return PathRun(seconds, events, calls, log_calls, cpu[0], storing_s)


async def time_floor(chain: BenchChain, backend: str, width: int) -> PathRun:
    """bench/storage_floor.py into a fresh database; stored rows are counted afterwards."""
    async with opened_bench_database(backend):
        sub = await make_subscription(address=chain.token, abi=TOKEN_ABI)
        ranges = block_ranges(chain.first_block, chain.last_block, width)
        target = (sub.subscription_id, sub.destination_id)
        seconds, cpu = await time_storage_floor(chain.url, chain.query, ranges, target)
        events = await Event.filter(status="active").count()
        deliveries = await Delivery.filter(status="pending").count()
    if events != chain.logs or deliveries != chain.logs:
        raise AssertionError(
            f"the {backend} storage floor stored {events} events and {deliveries} deliveries"
            f" for {chain.logs} logs"
        )
    return PathRun(seconds, events, cpu=cpu)


async def run_benchmark(options: CatchupOptions) -> CatchupReport:
    """Build the chain once, then run every path in turn, round after round."""
    async with started_anvil() as node:
        chain = await build_chain(node, options)
        report = CatchupReport(options, chain)
        for round_number in range(options.runs):
            if round_number < options.web3_runs:
                web3_run = await asyncio.to_thread(time_web3, chain, options.max_block_range)
                _record(report, WEB3_PATH, web3_run)
            _record(report, RAW_PATH, await time_raw(chain, options.max_block_range))
            for backend in options.backends:
                run = await time_blockbell(chain, backend, options.max_block_range)
                _record(report, blockbell_path(backend), run)
                floor = await time_floor(chain, backend, options.max_block_range)
                _record(report, floor_path(backend), floor)
        if options.profile:
            with profiled(f"Blockbell catch-up on {options.profile}"):
                await time_blockbell(chain, options.profile, options.max_block_range)
    return report


def _record(report: CatchupReport, path: str, run: PathRun) -> None:
    if run.logs != report.chain.logs:
        raise AssertionError(f"{path} read {run.logs} logs, expected {report.chain.logs}")
    report.runs.setdefault(path, []).append(run)


def render_report(report: CatchupReport) -> str:
    chain, options = report.chain, report.options
    web3 = report.logs_per_s(WEB3_PATH)
    raw = report.logs_per_s(RAW_PATH)
    title = (
        f"Catch-up over {chain.logs:,} Transfer logs in {chain.blocks:,} blocks"
        f" ({options.txs} txs x {options.logs_per_tx} logs, {options.gap_blocks} empty blocks"
        f" after each), ranges of {options.max_block_range} blocks, median of {options.runs}"
        f" runs (web3.py: {min(options.runs, options.web3_runs)})"
    )
    speeds = [_speed_row(report, path, web3, raw) for path in report.runs]
    targets = [_target_row(report, backend, web3, raw) for backend in options.backends]
    cpu_rows = [_cpu_row(report, path) for path in report.runs if path != WEB3_PATH]
    return "\n".join([
        title, "",
        render_table(["path", "logs/s (median)", "each run", "x web3.py", "share of raw"], speeds),
        "",
        "Storage floor: the logs fetched as the raw path fetches them, and an event and a"
        " delivery stored for each as Blockbell stores them, with no checks, decoding or matching"
        " (bench/storage_floor.py): the share of raw that storing these rows leaves reachable.",
        "",
        render_table(
            ["Blockbell on", f">= {WEB3_FACTOR_TARGET:g}x web3.py", f">= {RAW_SHARE_TARGET:.0%}"
             f" of raw", f"RPC calls/block <= {CALLS_PER_BLOCK_TARGET}", "stored events = logs"],
            targets,
        ),
        "",
        f"Seconds per run (medians). Storing: the watcher's steps storing their events (the next"
        f" range is read meanwhile). CPU: {CORES} cores, so no run can take less wall time than"
        " the machine's busy CPU seconds divided by the cores:",
        "",
        render_table(
            ["path", "wall s", "storing s", "this process CPU s", "machine busy CPU s",
             "busy / cores s"],
            cpu_rows,
        ),
    ])  # fmt: skip


def _speed_row(report: CatchupReport, path: str, web3: float, raw: float) -> list[str]:
    speed = report.logs_per_s(path)
    each = " ".join(f"{run.logs / run.seconds:,.0f}" for run in report.runs[path])
    return [path, f"{speed:,.0f}", each, f"{speed / web3:.1f}x", f"{speed / raw:.0%}"]


def _cpu_row(report: CatchupReport, path: str) -> list[str]:
    runs = report.runs[path]
    machine = median([run.cpu.machine_s for run in runs if run.cpu])
    storing = [run.storing_s for run in runs if run.storing_s is not None]
    return [
        path,
        f"{median([run.seconds for run in runs]):.2f}",
        f"{median(storing):.2f}" if storing else "",
        f"{median([run.cpu.process_s for run in runs if run.cpu]):.2f}",
        f"{machine:.2f}",
        f"{machine / CORES:.2f}",
    ]


def _target_row(report: CatchupReport, backend: str, web3: float, raw: float) -> list[str]:
    runs, blocks = report.runs[blockbell_path(backend)], report.chain.blocks
    speed = report.logs_per_s(blockbell_path(backend))
    calls = median([run.rpc_calls or 0 for run in runs])
    log_calls = median([run.log_calls or 0 for run in runs])
    stored = min(run.logs for run in runs)
    return [
        backend,
        f"{speed / web3:.1f}x: {met(speed >= WEB3_FACTOR_TARGET * web3)}",
        f"{speed / raw:.0%}: {met(speed >= RAW_SHARE_TARGET * raw)}"
        f" (floor {report.logs_per_s(floor_path(backend)) / raw:.0%})",
        f"{calls / blocks:.4f} ({calls:g} calls, {log_calls:g} eth_getLogs):"
        f" {met(calls / blocks <= CALLS_PER_BLOCK_TARGET)}",
        f"{stored:,} = {report.chain.logs:,}: {met(stored == report.chain.logs)}",
    ]


def parse_options(argv: Sequence[str] | None = None) -> CatchupOptions:
    parser = argparse.ArgumentParser(prog="python -m bench.catchup", description=__doc__)
    defaults = CatchupOptions()
    parser.add_argument("--txs", type=int, default=defaults.txs, help="batch transactions")
    parser.add_argument("--logs-per-tx", type=int, default=defaults.logs_per_tx)
    parser.add_argument(
        "--gap-blocks",
        type=int,
        default=defaults.gap_blocks,
        help="empty blocks mined after each transaction",
    )
    parser.add_argument("--max-block-range", type=int, default=defaults.max_block_range)
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument(
        "--web3-runs",
        type=int,
        default=defaults.web3_runs,
        help="runs of the (slow) web3.py path; at most --runs",
    )
    parser.add_argument(
        "--backends",
        type=parse_backends,
        default=defaults.backends,
        help="comma-separated: sqlite,postgres",
    )
    parser.add_argument(
        "--profile",
        choices=BACKENDS,
        default=None,
        help="after the runs, profile one Blockbell catch-up on this backend",
    )
    args = parser.parse_args(argv)
    return CatchupOptions(
        txs=args.txs,
        logs_per_tx=args.logs_per_tx,
        gap_blocks=args.gap_blocks,
        max_block_range=args.max_block_range,
        runs=args.runs,
        web3_runs=max(1, args.web3_runs),
        backends=args.backends,
        profile=args.profile,
    )


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_options(argv)
    print(render_report(asyncio.run(run_benchmark(options))))


if __name__ == "__main__":
    tune_garbage_collector()  # as `blockbell run` does
    main()
