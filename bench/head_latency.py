"""Head latency of the whole service: block mined -> signed webhook received, ws and polling."""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
import orjson

from app.gc_tuning import tune_garbage_collector
from bench.common import (
    BACKENDS,
    HeadsTap,
    RunningWatcher,
    bench_spec,
    idle_head_polls,
    median,
    met,
    opened_bench_database,
    parse_backends,
    parse_choices,
    percentile,
    render_table,
    rpc_calls_of,
    running_chain_watcher,
    running_notifier,
    started_anvil,
    tapped_heads,
)
from bench.latency_crowd import add_unmatched_subscription, save_crowd
from storage.models import Delivery
from tests.fakes.webhook_receiver import ReceivedRequest, WebhookReceiver
from tests.support.anvil import AnvilNode
from tests.support.builders import make_subscription
from tests.support.token import TOKEN_ABI, Token
from watcher.types import ChainSpec

MODES = ("ws", "poll")
RECIPIENT = "0x" + "22" * 20
WEBHOOK_WAIT_S = 10.0
# Longer than the notifier's idle poll, so a duplicate sent late would still be counted.
SETTLE_S = 1.0
WS_P99_TARGET_S = 0.050
POLL_MARGIN_TARGET_S = 0.030
CALLS_PER_BLOCK_TARGET = 2.0


@dataclass(frozen=True)
class LatencyOptions:
    blocks: int = 200
    warmup: int = 5
    runs: int = 3
    poll_interval_s: float = 0.1
    ws_poll_interval_s: float = 2.0
    backends: tuple[str, ...] = BACKENDS
    modes: tuple[str, ...] = MODES
    max_gap_s: float | None = None
    """The widest random pause before each transfer; by default the poll interval, so blocks
    fall at every phase of the poll loop."""
    extra_subscriptions: tuple[int, ...] = (0,)
    """Other users' subscriptions on the chain besides the measured one (bench/latency_crowd);
    with several counts, each round measures every count in turn."""

    @property
    def gap_s(self) -> float:
        return self.poll_interval_s if self.max_gap_s is None else self.max_gap_s


@dataclass(frozen=True)
class Sample:
    latency_s: float
    """eth_sendTransaction sent -> the receiver has the webhook."""
    announced_s: float | None
    """eth_sendTransaction sent -> the node announced the block on newHeads (the floor)."""


@dataclass(frozen=True)
class Delivered:
    """What arrived at the receiver, and what the database says was delivered."""

    webhooks: int
    unique_ids: int
    valid_signatures: int
    delivered_rows: int

    @classmethod
    def of(cls, requests: Sequence[ReceivedRequest], delivered_rows: int) -> Delivered:
        ids = [{k.lower(): v for k, v in r.headers.items()}["webhook-id"] for r in requests]
        valid = sum(r.signature_valid for r in requests)
        return cls(len(ids), len(set(ids)), valid, delivered_rows)

    @property
    def exactly_once(self) -> bool:
        counts = {self.webhooks, self.unique_ids, self.valid_signatures, self.delivered_rows}
        return len(counts) == 1


@dataclass(frozen=True)
class LatencyRun:
    backend: str
    mode: str
    samples: tuple[Sample, ...]
    rpc_calls: int
    log_calls: int
    idle_polls: int
    delivered: Delivered
    extra_subscriptions: int = 0
    after_change: Sample | None = None
    """The block mined right after a subscription change, which makes the watcher reload."""

    def p(self, fraction: float) -> float:
        return percentile([s.latency_s for s in self.samples], fraction)

    def floor(self, fraction: float) -> float:
        announced = [s.announced_s for s in self.samples if s.announced_s is not None]
        return percentile(announced, fraction)


@dataclass(frozen=True)
class LatencyReport:
    options: LatencyOptions
    runs: list[LatencyRun] = field(default_factory=list)

    def of(self, backend: str, mode: str, extra: int = 0) -> list[LatencyRun]:
        return [
            run
            for run in self.runs
            if (run.backend, run.mode, run.extra_subscriptions) == (backend, mode, extra)
        ]


async def measure_block(
    token: Token, receiver: WebhookReceiver, tap: HeadsTap, max_gap_s: float
) -> Sample:
    """One transfer in its own block; t0 just before eth_sendTransaction, t1 at the receiver."""
    await asyncio.sleep(random.uniform(0.0, max_gap_s))
    seen = len(receiver.requests)
    sent_at = time.time()
    tx_hash = await token.transfer(RECIPIENT, 1, wait=False)
    await receiver.wait_for_requests(seen + 1, WEBHOOK_WAIT_S)
    request = receiver.requests[seen]
    body = orjson.loads(request.body)
    if body["transaction_hash"].lower() != tx_hash.lower():
        raise AssertionError(f"webhook for {body['transaction_hash']}, expected {tx_hash}")
    announced = tap.announced_at.get(int(body["block_number"]))
    return Sample(
        request.received_at.timestamp() - sent_at,
        None if announced is None else announced - sent_at,
    )


async def wait_until_ready(running: RunningWatcher, timeout_s: float = WEBHOOK_WAIT_S) -> None:
    """The watcher has its cursor and, with a websocket, its newHeads subscription."""
    newheads = running.watcher.newheads
    async with asyncio.timeout(timeout_s):
        while running.status.cursor is None or (newheads is not None and not newheads.connected):
            await asyncio.sleep(0.01)


async def measure_run(
    node: AnvilNode,
    token: Token,
    backend: str,
    mode: str,
    options: LatencyOptions,
    extra: int = 0,
) -> LatencyRun:
    """A fresh database and service, with `extra` other subscriptions on the chain; warm-up
    blocks first, then the measured ones."""
    receiver = await WebhookReceiver.start()
    try:
        async with opened_bench_database(backend), aiohttp.ClientSession() as session:
            if extra:
                await save_crowd(extra, token.address)
            await make_subscription(
                address=token.address, abi=TOKEN_ABI, url=receiver.url, secret=receiver.secret
            )
            spec = _spec(node, mode, options)
            samples, calls, log_calls, idle, after_change = await _measure_service(
                spec, token, receiver, session, options
            )
            delivered = await Delivery.filter(status="delivered").count()
        return LatencyRun(
            backend,
            mode,
            samples,
            calls,
            log_calls,
            idle,
            Delivered.of(receiver.requests, delivered),
            extra,
            after_change,
        )
    finally:
        await receiver.stop()


async def _measure_service(
    spec: ChainSpec,
    token: Token,
    receiver: WebhookReceiver,
    session: aiohttp.ClientSession,
    options: LatencyOptions,
) -> tuple[tuple[Sample, ...], int, int, int, Sample | None]:
    """The samples, the watcher's RPC calls (all, eth_getLogs, and polls that found no new
    block) while they were taken, and when comparing subscription counts, the sample of a block
    mined right after a subscription change."""
    gap_s = options.gap_s
    async with (
        running_notifier(session) as notifier,
        running_chain_watcher(spec, notifier.wake) as running,
        tapped_heads(session, token.node.ws_url) as tap,
    ):
        await wait_until_ready(running)
        for _ in range(options.warmup):
            await measure_block(token, receiver, tap, gap_s)
        calls, log_calls = running.rpc.calls_made, rpc_calls_of("eth_getLogs")
        idle = idle_head_polls()
        samples = [await measure_block(token, receiver, tap, gap_s) for _ in range(options.blocks)]
        calls, log_calls = running.rpc.calls_made - calls, rpc_calls_of("eth_getLogs") - log_calls
        idle = idle_head_polls() - idle
        after_change = None
        if _compares_crowds(options):
            await add_unmatched_subscription(receiver.url, receiver.secret)
            after_change = await measure_block(token, receiver, tap, 0.0)
        await asyncio.sleep(SETTLE_S)
    return tuple(samples), calls, log_calls, idle, after_change


def _spec(node: AnvilNode, mode: str, options: LatencyOptions) -> ChainSpec:
    if mode == "ws":
        return bench_spec(node.url, ws_url=node.ws_url, poll_interval_s=options.ws_poll_interval_s)
    return bench_spec(node.url, poll_interval_s=options.poll_interval_s)


async def run_benchmark(options: LatencyOptions) -> LatencyReport:
    """One node and token; every (database, mode, other subscriptions) in turn, round after
    round."""
    report = LatencyReport(options)
    async with started_anvil() as node:
        token = await Token.deploy(node)
        for _ in range(options.runs):
            for backend in options.backends:
                for mode in options.modes:
                    for extra in options.extra_subscriptions:
                        run = await measure_run(node, token, backend, mode, options, extra)
                        report.runs.append(run)
    return report


def target_s(mode: str, options: LatencyOptions) -> float:
    return WS_P99_TARGET_S if mode == "ws" else options.poll_interval_s + POLL_MARGIN_TARGET_S


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _row(report: LatencyReport, backend: str, mode: str, extra: int) -> list[str]:
    runs = report.of(backend, mode, extra)
    p50, p99 = median([r.p(0.5) for r in runs]), median([r.p(0.99) for r in runs])
    floor50, floor99 = median([r.floor(0.5) for r in runs]), median([r.floor(0.99) for r in runs])
    calls = median([r.rpc_calls / len(r.samples) for r in runs])
    log_calls = median([r.log_calls / len(r.samples) for r in runs])
    idle = median([r.idle_polls / len(r.samples) for r in runs])
    target = target_s(mode, report.options)
    once = all(r.delivered.exactly_once for r in runs)
    return [
        backend, mode, str(sum(len(r.samples) for r in runs)), _ms(p50), _ms(p99),
        " ".join(_ms(r.p(0.99)) for r in runs), f"{_ms(floor50)} / {_ms(floor99)}",
        f"<= {_ms(target)}: {met(p99 <= target)}",
        f"{calls:.2f} ({log_calls:.2f} eth_getLogs, {idle:.2f} idle polls)",
        f"{calls - idle:.2f}: {met(calls - idle <= CALLS_PER_BLOCK_TARGET)}",
        f"{'yes' if once else 'NO'} ({sum(r.delivered.webhooks for r in runs)} webhooks)",
    ] + (_crowd_cells(runs, extra) if _compares_crowds(report.options) else [])  # fmt: skip


def _crowd_cells(runs: Sequence[LatencyRun], extra: int) -> list[str]:
    changed = [r.after_change.latency_s for r in runs if r.after_change is not None]
    return [f"{extra:,}", " ".join(_ms(latency) for latency in changed)]


def _compares_crowds(options: LatencyOptions) -> bool:
    return options.extra_subscriptions != (0,)


def render_report(report: LatencyReport) -> str:
    options = report.options
    title = (
        f"Head latency, block mined -> signed webhook received; {options.blocks} blocks per run"
        f" after {options.warmup} warm-up blocks, median of {options.runs} runs; ws mode polls"
        f" every {options.ws_poll_interval_s:g} s as a fallback, poll mode every"
        f" {options.poll_interval_s:g} s; a random pause of up to {options.gap_s:g} s before"
        " each transfer"
    )
    headers = [
        "database", "mode", "blocks", "p50 ms", "p99 ms", "p99 of each run",
        "newHeads floor p50 / p99 ms", "p99 target", "RPC calls/block, all",
        "RPC calls/block without idle polls (<= 2)", "exactly once",
    ] + (
        ["other subscriptions on the chain", "ms to the block after a subscription change"]
        if _compares_crowds(options) else []
    )  # fmt: skip
    rows = [
        _row(report, b, m, extra)
        for b in options.backends
        for m in options.modes
        for extra in options.extra_subscriptions
    ]
    return "\n".join([title, "", render_table(headers, rows)])


def parse_options(argv: Sequence[str] | None = None) -> LatencyOptions:
    parser = argparse.ArgumentParser(prog="python -m bench.head_latency", description=__doc__)
    defaults = LatencyOptions()
    parser.add_argument("--blocks", type=int, default=defaults.blocks)
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=defaults.poll_interval_s,
        help="seconds between head polls in poll mode",
    )
    parser.add_argument(
        "--max-gap",
        type=float,
        default=None,
        help="widest random pause before each transfer (default: the poll interval)",
    )
    parser.add_argument("--ws-poll-interval", type=float, default=defaults.ws_poll_interval_s)
    parser.add_argument(
        "--extra-subscriptions",
        type=_parse_counts,
        default=defaults.extra_subscriptions,
        help="comma-separated counts of other users' active subscriptions on the chain, stored"
        " before measuring, e.g. 0,10000 (default: 0)",
    )
    parser.add_argument("--backends", type=parse_backends, default=defaults.backends)
    parser.add_argument(
        "--modes", type=lambda text: parse_choices(text, MODES), default=defaults.modes
    )
    args = parser.parse_args(argv)
    return LatencyOptions(
        blocks=args.blocks,
        warmup=args.warmup,
        runs=args.runs,
        poll_interval_s=args.poll_interval,
        ws_poll_interval_s=args.ws_poll_interval,
        backends=args.backends,
        modes=args.modes,
        max_gap_s=args.max_gap,
        extra_subscriptions=args.extra_subscriptions,
    )


def _parse_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError:
        counts = ()
    if not counts or min(counts) < 0:
        raise argparse.ArgumentTypeError("expected comma-separated counts >= 0, e.g. 0,10000")
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    print(render_report(asyncio.run(run_benchmark(parse_options(argv)))))


if __name__ == "__main__":
    tune_garbage_collector()  # as `blockbell run` does
    main()
