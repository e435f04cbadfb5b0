"""Cosmos crawl throughput: blocks per second read, matched and stored from a CometBFT node,
fetching one height at a time against several at once.

The node is the test suite's fake CometBFT (tests/fakes/cometbft_rpc.py) serving a chain of
blocks with `--txs` bank transfers each, every one of them matching a subscription; each answer
takes `--latency-ms`, as a node across a network would. Both fetch modes run in the same
process, interleaved run by run, so their ratio holds on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import aiohttp

from app.gc_tuning import tune_garbage_collector
from bench.common import (
    BACKENDS,
    median,
    met,
    opened_bench_database,
    parse_backends,
    render_table,
)
from storage.models import Event
from tests.fakes.cometbft_rpc import FakeCometBft
from tests.support.builders import make_subscription
from tests.support.cosmos_chain import CosmosChain, transfer
from watcher.cometbft_rpc import CometBftClient
from watcher.cosmos_blocks import assemble_block
from watcher.cosmos_denoms import Denom
from watcher.cosmos_reader import cosmos_reader
from watcher.crawl import ChainWatcher
from watcher.status import ChainStatus
from watcher.types import ChainSpec

CRAWL_TIMEOUT_S = 600.0
SEQUENTIAL, CONCURRENT = "sequential", "concurrent"


@dataclass(frozen=True)
class CrawlOptions:
    blocks: int = 100
    txs: int = 50
    latency_ms: float = 20.0
    concurrency: int = 8
    batch: int = 50
    runs: int = 3
    backends: tuple[str, ...] = BACKENDS


@dataclass(frozen=True)
class CrawlRun:
    backend: str
    mode: str
    seconds: float
    events: int


def build_chain(options: CrawlOptions) -> tuple[CosmosChain, str]:
    """The chain to crawl, and the address every transfer goes to."""
    chain = CosmosChain("bench-1")
    senders = [chain.account(f"sender-{i}") for i in range(options.txs)]
    recipient = chain.account("recipient")
    for height in range(options.blocks):
        chain.mine(
            *(
                transfer(sender, recipient, 1_000 + i, "uatom", sequence=height)
                for i, sender in enumerate(senders)
            )
        )
    return chain, recipient


def crawl_spec(name: str, url: str, options: CrawlOptions, concurrency: int) -> ChainSpec:
    return ChainSpec(
        name=name,
        family="cosmos",
        chain_id="bench-1",
        rpc_urls=(url,),
        poll_interval_s=0.05,
        max_block_range=options.batch,
        start_block=1,
        max_reorg_depth=16,
        fetch_concurrency=concurrency,
        bech32_prefix="cosmos",
        denoms=(Denom("uatom", "ATOM", 6),),
    )


async def crawl_once(spec: ChainSpec, recipient: str, tip: int) -> float:
    """Seconds from the watcher's start until every block up to `tip` is stored."""
    await make_subscription(
        chain=spec.name,
        address="",
        event_name="transfer",
        selector=None,
        filter_expr=f"recipient == {recipient}",
    )
    status = ChainStatus(spec.name)
    async with aiohttp.ClientSession() as session:
        client = CometBftClient(session, spec.rpc_urls, chain=spec.name)
        watcher = ChainWatcher(spec, cosmos_reader(spec, client), status)
        started = time.perf_counter()
        task = asyncio.create_task(watcher.run())
        try:
            deadline = started + CRAWL_TIMEOUT_S
            while status.cursor is None or status.cursor < tip:
                if task.done():
                    task.result()
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"the crawl did not reach height {tip}")
                await asyncio.sleep(0.002)
            return time.perf_counter() - started
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def run_benchmark(options: CrawlOptions) -> list[CrawlRun]:
    chain, recipient = build_chain(options)
    # The first decode imports every message type cosmpy ships: not part of any run.
    first = chain.block(chain.start_height)
    assemble_block(first.block_json(), first.block_results_json("0.38"))
    node = await FakeCometBft.start(chain)
    node.latency_s = options.latency_ms / 1000.0
    runs: list[CrawlRun] = []
    try:
        for backend in options.backends:
            async with opened_bench_database(backend):
                for run in range(options.runs):
                    for mode, concurrency in ((SEQUENTIAL, 1), (CONCURRENT, options.concurrency)):
                        name = f"hub-{mode}-{run}"
                        spec = crawl_spec(name, node.url, options, concurrency)
                        seconds = await crawl_once(spec, recipient, chain.height)
                        events = await Event.filter(chain=name).count()
                        runs.append(CrawlRun(backend, mode, seconds, events))
    finally:
        await node.stop()
    return runs


def render_report(options: CrawlOptions, runs: Sequence[CrawlRun]) -> str:
    blocks = options.blocks + 1  # the node's own first block is crawled too
    expected = options.blocks * options.txs
    rows = []
    for backend in options.backends:
        medians = {}
        for mode in (SEQUENTIAL, CONCURRENT):
            mine = [r for r in runs if r.backend == backend and r.mode == mode]
            medians[mode] = median([r.seconds for r in mine])
            events = {r.events for r in mine}
            ratio = medians[SEQUENTIAL] / medians[mode]
            rows.append(
                [
                    backend,
                    mode,
                    f"{blocks:,}",
                    f"{medians[mode]:.2f}",
                    f"{blocks / medians[mode]:,.1f}",
                    f"{ratio:.2f}x",
                    f"{min(events):,} = {expected:,}: {met(events == {expected})}",
                ]
            )
    headers = ["database", "fetch", "blocks", "median s", "blocks/s", "vs sequential", "events"]
    title = (
        f"Cosmos crawl of {blocks:,} blocks with {options.txs} transfers each, every answer "
        f"taking {options.latency_ms:g} ms; concurrent = {options.concurrency} heights at once, "
        f"{options.batch} heights per commit; {options.runs} runs each, medians"
    )
    return f"{title}\n\n{render_table(headers, rows)}"


def parse_options(argv: Sequence[str] | None = None) -> CrawlOptions:
    parser = argparse.ArgumentParser(prog="python -m bench.cosmos_crawl", description=__doc__)
    defaults = CrawlOptions()
    parser.add_argument("--blocks", type=int, default=defaults.blocks)
    parser.add_argument("--txs", type=int, default=defaults.txs, help="transfers per block")
    parser.add_argument("--latency-ms", type=float, default=defaults.latency_ms)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--batch", type=int, default=defaults.batch, help="heights per commit")
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument(
        "--backends",
        type=parse_backends,
        default=defaults.backends,
        help="comma-separated: sqlite,postgres",
    )
    args = parser.parse_args(argv)
    if min(args.blocks, args.txs, args.concurrency, args.batch, args.runs) < 1:
        parser.error("blocks, txs, concurrency, batch and runs must be at least 1")
    if args.latency_ms < 0:
        parser.error("latency must be >= 0")
    return replace(
        defaults,
        blocks=args.blocks,
        txs=args.txs,
        latency_ms=args.latency_ms,
        concurrency=args.concurrency,
        batch=args.batch,
        runs=args.runs,
        backends=args.backends,
    )


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_options(argv)
    print(render_report(options, asyncio.run(run_benchmark(options))))


if __name__ == "__main__":
    tune_garbage_collector()  # as `blockbell run` does
    main()
