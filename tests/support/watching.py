"""Runs a real ChainWatcher against a node in the test's event loop, and compares what it
stored with what the node says is canonical."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from storage.models import ChainCursor, Event
from storage.subscription_changes import SubscriptionChanges
from tests.support.anvil import AnvilNode
from watcher.crawl import ChainWatcher
from watcher.evm_reader import evm_reader
from watcher.newheads import NewHeadsListener
from watcher.rpc import RpcClient
from watcher.status import ChainStatus
from watcher.types import ChainSpec

LogKey = tuple[str, str, int]


def anvil_spec(url: str, **overrides: Any) -> ChainSpec:
    spec = ChainSpec(
        name="anvil",
        family="evm",
        chain_id=31337,
        rpc_urls=(url,),
        poll_interval_s=0.05,
        max_block_range=2000,
        start_block=1,
        max_reorg_depth=64,
    )
    return replace(spec, **overrides)


@dataclass
class Running:
    watcher: ChainWatcher
    status: ChainStatus
    task: asyncio.Task[None]
    cursors: list[int] = field(default_factory=list)
    commits: int = 0


@asynccontextmanager
async def running_watcher(
    spec: ChainSpec,
    *,
    attempts: int = 8,
    timeout_s: float = 2.0,
    changes: SubscriptionChanges | None = None,
) -> AsyncIterator[Running]:
    status = ChainStatus(spec.name)
    newheads = NewHeadsListener(spec.ws_url) if spec.ws_url else None
    async with RpcClient(
        spec.rpc_urls, chain=spec.name, attempts=attempts, timeout_s=timeout_s
    ) as rpc:
        if newheads is not None:
            await newheads.start()
        holder: list[Running] = []

        def committed() -> None:
            holder[0].commits += 1

        reader = evm_reader(spec, rpc)
        watcher = ChainWatcher(
            spec, reader, status, newheads=newheads, on_commit=committed, changes=changes
        )
        running = Running(watcher, status, asyncio.create_task(watcher.run()))
        holder.append(running)
        sampler = asyncio.create_task(_sample_cursor(running))
        try:
            yield running
        finally:
            for task in (running.task, sampler):
                task.cancel()
            await asyncio.gather(running.task, sampler, return_exceptions=True)
            if newheads is not None:
                await newheads.close()


async def _sample_cursor(running: Running) -> None:
    while True:
        if running.status.cursor is not None:
            running.cursors.append(running.status.cursor)
        await asyncio.sleep(0.01)


async def wait_until(predicate: Callable[[], Any], timeout_s: float = 30.0) -> None:
    """Waits until `predicate()` (a value, or an awaitable of one) is true."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        outcome = predicate()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def cursor_at_least(chain: str, number: int) -> bool:
    cursor = await ChainCursor.get_or_none(chain=chain)
    return cursor is not None and cursor.block_number >= number


async def canonical_logs(node: AnvilNode, address: str, to_block: int) -> set[LogKey]:
    """The node's logs of `address` up to `to_block`, once they agree with its block hashes.

    Right after anvil_reorg, eth_getLogs may still answer with logs of orphaned blocks for a
    moment; a test's notion of the truth must not be such an answer.
    """
    for _ in range(200):
        logs = await node.rpc(
            "eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(to_block), "address": address}
        )
        numbers = {int(log["blockNumber"], 16) for log in logs}
        hashes = {n: await node.block_hash(n) for n in numbers}
        if all(hashes[int(log["blockNumber"], 16)] == log["blockHash"] for log in logs):
            return {
                (log["blockHash"], log["transactionHash"], int(log["logIndex"], 16)) for log in logs
            }
        await asyncio.sleep(0.05)
    raise AssertionError("the node's logs never agreed with its block hashes")


async def stored_logs(status: str = "active") -> set[LogKey]:
    rows = await Event.filter(status=status).values_list(
        "block_hash", "transaction_hash", "log_index"
    )
    return {(str(b), str(t), int(i)) for b, t, i in rows}
