"""What the benchmarks share: a node, a fresh database, the service's roles, statistics, tables."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import math
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from prometheus_client import REGISTRY

from notifier.channels.webhook import WebhookChannel
from notifier.loop import ChainInfo, Notifier
from notifier.webhook_targets import LOCAL_TARGETS
from storage.db import close_database, open_database
from storage.secret_box import use_secret_keys
from tests.support.anvil import AnvilNode
from tests.support.database import LOCAL_SECRET_KEY, postgres_database_url
from watcher.crawl import ChainWatcher
from watcher.evm_reader import evm_reader
from watcher.newheads import NewHeadsListener
from watcher.rpc import RpcClient
from watcher.status import ChainStatus
from watcher.types import ChainSpec

BACKENDS = ("sqlite", "postgres")
CHAIN = "anvil"
CHAIN_ID = 31337
SUBSCRIBE_TIMEOUT_S = 10.0
SUBSCRIBE_NEW_HEADS = orjson.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
).decode()
# High enough for one transaction that emits thousands of Transfer logs.
BENCH_GAS_LIMIT = 1_000_000_000
JSON_HEADERS = {"content-type": "application/json"}


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds spent during one timed run: by this process (all its threads) and by every
    process of the machine (the node and PostgreSQL included)."""

    process_s: float
    machine_s: float


@contextmanager
def measured_cpu() -> Iterator[list[CpuUse]]:
    """Yields a list that holds the run's CpuUse once the block ends."""
    result: list[CpuUse] = []
    process, machine = time.process_time(), machine_busy_s()
    yield result
    result.append(CpuUse(time.process_time() - process, machine_busy_s() - machine))


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy since boot (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]  # idle and iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else math.nan


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of them at or below."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def parse_choices(text: str, allowed: Sequence[str]) -> tuple[str, ...]:
    """A comma-separated command-line list whose every item is one of `allowed`."""
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    if not chosen or any(name not in allowed for name in chosen):
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {','.join(allowed)}"
        )
    return chosen


def parse_backends(text: str) -> tuple[str, ...]:
    return parse_choices(text, BACKENDS)


def metric_so_far(sample: str, chain: str = CHAIN, **labels: str) -> float:
    """One of the chain's Prometheus samples, as the process has counted it so far."""
    return REGISTRY.get_sample_value(sample, {"chain": chain, **labels}) or 0.0


def rpc_calls_of(method: str, chain: str = CHAIN) -> int:
    """The watcher's JSON-RPC calls of one method so far."""
    return int(metric_so_far("blockbell_rpc_calls_total", chain, method=method))


def idle_head_polls(chain: str = CHAIN) -> int:
    """The watcher's polls for the newest block that found no new block, so far."""
    return int(metric_so_far("blockbell_watcher_head_polls_total", chain, result="idle"))


def store_seconds(chain: str = CHAIN) -> float:
    """The watcher's time spent storing its steps so far."""
    return metric_so_far("blockbell_watcher_store_seconds_sum", chain)


async def get_logs(
    session: aiohttp.ClientSession, url: str, query: dict[str, Any], first: int, last: int
) -> list[dict[str, Any]]:
    """One plain eth_getLogs over [first..last], parsed with orjson and not checked."""
    params = [{**query, "fromBlock": hex(first), "toBlock": hex(last)}]
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": params}
    async with session.post(url, data=orjson.dumps(body), headers=JSON_HEADERS) as response:
        logs: list[dict[str, Any]] = orjson.loads(await response.read())["result"]
    return logs


def met(condition: bool) -> str:
    return "met" if condition else "NOT met"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, so a run's output can be pasted into RESULTS.md as it is."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


@contextmanager
def profiled(title: str, top: int = 25) -> Iterator[None]:
    """Profile this thread while the block runs; print the top functions by own and total time.

    Database drivers that run in their own thread (aiosqlite) show up as waits here.
    """
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        for order in ("tottime", "cumulative"):
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats(order).print_stats(top)
            print(f"\n## Profile of {title}, by {order}\n{text.getvalue()}")


@asynccontextmanager
async def started_anvil(gas_limit: int = BENCH_GAS_LIMIT) -> AsyncIterator[AnvilNode]:
    node = await AnvilNode(extra_args=("--gas-limit", str(gas_limit))).start()
    try:
        yield node
    finally:
        await node.stop()


@asynccontextmanager
async def opened_bench_database(backend: str) -> AsyncIterator[str]:
    """A fresh, migrated database: a SQLite file in a temporary folder or a new PostgreSQL one."""
    use_secret_keys([LOCAL_SECRET_KEY])
    if backend == "postgres":
        async with postgres_database_url() as url, _opened(url):
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="blockbell-bench-") as folder:
        async with _opened(f"sqlite://{Path(folder) / 'bench.sqlite3'}") as url:
            yield url


@asynccontextmanager
async def _opened(url: str) -> AsyncIterator[str]:
    await open_database(url)
    try:
        yield url
    finally:
        await close_database()


def bench_spec(node_url: str, **overrides: Any) -> ChainSpec:
    """The anvil chain with the product's defaults, except where a benchmark says otherwise."""
    spec = ChainSpec(name=CHAIN, family="evm", chain_id=CHAIN_ID, rpc_urls=(node_url,))
    return replace(spec, **overrides)


@dataclass(frozen=True)
class RunningWatcher:
    watcher: ChainWatcher
    status: ChainStatus
    rpc: RpcClient
    task: asyncio.Task[None]

    async def wait_for_cursor(self, number: int, timeout_s: float, tick_s: float = 0.002) -> None:
        """Return once the cursor is at `number` or beyond; a crashed watcher raises its error."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.status.cursor is None or self.status.cursor < number:
            if self.task.done():
                self.task.result()
                raise RuntimeError("the watcher stopped before reaching the block")
            if loop.time() > deadline:
                raise TimeoutError(f"cursor {self.status.cursor} did not reach block {number}")
            await asyncio.sleep(tick_s)


@asynccontextmanager
async def running_chain_watcher(
    spec: ChainSpec, on_commit: Callable[[], None] = lambda: None
) -> AsyncIterator[RunningWatcher]:
    """The chain's watcher wired as the service wires it (app/runtime.py), in this event loop."""
    status = ChainStatus(spec.name)
    newheads = NewHeadsListener(spec.ws_url) if spec.ws_url else None
    async with RpcClient(spec.rpc_urls, chain=spec.name) as rpc:
        if newheads is not None:
            await newheads.start()
        watcher = ChainWatcher(
            spec, evm_reader(spec, rpc), status, newheads=newheads, on_commit=on_commit
        )
        task = asyncio.create_task(watcher.run(), name=f"watcher {spec.name}")
        try:
            yield RunningWatcher(watcher, status, rpc, task)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if newheads is not None:
                await newheads.close()


@asynccontextmanager
async def running_notifier(session: aiohttp.ClientSession) -> AsyncIterator[Notifier]:
    """The notifier as app/runtime.py builds it, with webhooks to loopback allowed."""
    channel = WebhookChannel(session, targets=LOCAL_TARGETS)
    notifier = Notifier({CHAIN: ChainInfo(CHAIN_ID, None)}, channel)
    task = asyncio.create_task(notifier.run(), name="notifier")
    try:
        yield notifier
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class HeadsTap:
    """Notes when the node announces each block on a newHeads subscription of its own."""

    def __init__(self) -> None:
        self.announced_at: dict[int, float] = {}
        self.subscribed = asyncio.Event()

    async def listen(self, session: aiohttp.ClientSession, ws_url: str) -> None:
        async with session.ws_connect(ws_url) as socket:
            await socket.send_str(SUBSCRIBE_NEW_HEADS)
            async for message in socket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._on_message(orjson.loads(message.data), time.time())

    def _on_message(self, message: dict[str, Any], now: float) -> None:
        if message.get("id") == 1:
            self.subscribed.set()
        elif message.get("method") == "eth_subscription":
            number = int(message["params"]["result"]["number"], 16)
            self.announced_at.setdefault(number, now)


@asynccontextmanager
async def tapped_heads(session: aiohttp.ClientSession, ws_url: str) -> AsyncIterator[HeadsTap]:
    tap = HeadsTap()
    task = asyncio.create_task(tap.listen(session, ws_url))
    try:
        await asyncio.wait_for(tap.subscribed.wait(), SUBSCRIBE_TIMEOUT_S)
        yield tap
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
