"""The watcher core over the Cosmos reader, against the fake CometBFT node: what a subscriber
receives when the node serves blocks, restarts, forks, prunes, fails half its calls or answers
with fewer results than a block has transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest

from storage.models import ChainCursor, Delivery, Event
from storage.progress import fetch_gaps
from tests.fakes.cometbft_rpc import FakeCometBft
from tests.support.builders import make_subscription
from tests.support.cosmos_chain import CosmosChain, failed, transfer
from tests.support.watching import wait_until
from watcher.cometbft_rpc import CometBftClient
from watcher.cosmos_denoms import Denom
from watcher.cosmos_reader import cosmos_reader
from watcher.crawl import ChainWatcher
from watcher.status import ChainStatus
from watcher.types import ChainSpec

CHAIN = "hub"


def hub_spec(url: str, **overrides: Any) -> ChainSpec:
    spec = ChainSpec(
        name=CHAIN,
        family="cosmos",
        chain_id="blockbell-1",
        rpc_urls=(url,),
        poll_interval_s=0.05,
        max_block_range=4,
        start_block=1,
        max_reorg_depth=8,
        fetch_concurrency=3,
        bech32_prefix="cosmos",
        denoms=(Denom("uatom", "ATOM", 6),),
    )
    return replace(spec, **overrides)


@dataclass
class Watching:
    status: ChainStatus
    task: asyncio.Task[None]


@asynccontextmanager
async def watching(spec: ChainSpec) -> AsyncIterator[Watching]:
    status = ChainStatus(spec.name)
    async with aiohttp.ClientSession() as session:
        client = CometBftClient(session, spec.rpc_urls, 2.0, chain=spec.name, backoff_cap_s=0.05)
        watcher = ChainWatcher(spec, cosmos_reader(spec, client), status)
        task = asyncio.create_task(watcher.run())
        try:
            yield Watching(status, task)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def cursor() -> int:
    row = await ChainCursor.get_or_none(chain=CHAIN)
    return int(row.block_number) if row is not None else 0


async def reached(height: int) -> bool:
    return await cursor() >= height


async def received() -> list[tuple[int, str, str]]:
    """(height, recipient, amount) of each active transfer event stored, in chain order."""
    events = await Event.filter(chain=CHAIN, status="active").order_by(
        "block_number", "transaction_hash", "log_index"
    )
    return [(e.block_number, e.args["recipient"], e.args["amount"]) for e in events]


@pytest.fixture
async def node() -> AsyncIterator[FakeCometBft]:
    fake = await FakeCometBft.start(CosmosChain("blockbell-1"), seed=3)
    yield fake
    await fake.stop()


async def subscribe_to_transfers_to(recipient: str) -> None:
    await make_subscription(
        chain=CHAIN,
        address="",
        event_name="transfer",
        selector=None,
        filter_expr=f"recipient == {recipient}",
    )


async def test_transfers_to_an_address_are_recorded_once_each_with_their_message(
    db: str, node: FakeCometBft
) -> None:
    chain = node.chain
    alice, bob, carol = (chain.account(name) for name in ("alice", "bob", "carol"))
    await subscribe_to_transfers_to(bob)
    one = node.mine(transfer(alice, bob, 1_500_000, "uatom")).height
    node.mine(transfer(alice, carol, 7, "uatom"), failed(alice))
    node.chain.mine_empty(3)
    two = node.mine(transfer(carol, bob, 25, "uatom"), transfer(alice, bob, 3, "uatom", sequence=1))
    async with watching(hub_spec(node.url)):
        await wait_until(lambda: reached(node.chain.height))
    assert sorted(await received()) == [
        (one, bob, "1500000uatom"),
        (two.height, bob, "25uatom"),
        (two.height, bob, "3uatom"),
    ]
    first = await Event.filter(chain=CHAIN, block_number=one).first()
    assert first is not None
    assert (first.msg_index, first.event_name, first.contract) == (0, "transfer", "")
    assert first.transaction_hash == chain.block(one).txs[0].hash
    assert await Delivery.filter(status="pending").count() == 3


async def test_a_restart_mid_crawl_misses_nothing_and_repeats_nothing(
    db: str, node: FakeCometBft
) -> None:
    alice, bob = node.chain.account("alice"), node.chain.account("bob")
    await subscribe_to_transfers_to(bob)
    for sequence in range(24):
        node.mine(transfer(alice, bob, sequence + 1, "uatom", sequence=sequence))
    node.latency_s = 0.1  # a slow node: the first run is stopped well before the tip
    async with watching(hub_spec(node.url, max_block_range=2)):
        await wait_until(lambda: reached(7))
    assert await cursor() < node.chain.height
    node.latency_s = 0.0
    async with watching(hub_spec(node.url, max_block_range=2)):
        await wait_until(lambda: reached(node.chain.height))
    amounts = [amount for _, _, amount in await received()]
    assert amounts == [f"{value}uatom" for value in range(1, 25)]


async def test_a_forked_block_is_reverted_and_the_new_branch_recorded(
    db: str, node: FakeCometBft
) -> None:
    alice, bob = node.chain.account("alice"), node.chain.account("bob")
    await subscribe_to_transfers_to(bob)
    node.chain.mine_empty(3)
    node.mine(transfer(alice, bob, 10, "uatom"))
    tip = node.mine(transfer(alice, bob, 11, "uatom", sequence=1)).height
    async with watching(hub_spec(node.url)):
        await wait_until(lambda: reached(tip))
        node.fork(2, [[transfer(alice, bob, 12, "uatom", sequence=2)], []])
        node.mine()
        await wait_until(lambda: reached(tip + 1))
        await wait_until(lambda: Event.filter(chain=CHAIN, status="reverted").count())
    assert await received() == [(tip - 1, bob, "12uatom")]
    reverted = await Event.filter(chain=CHAIN, status="reverted").order_by("block_number")
    assert [e.args["amount"] for e in reverted] == ["10uatom", "11uatom"]


async def test_a_stretch_pruned_while_blockbell_was_down_is_a_recorded_gap(
    db: str, node: FakeCometBft
) -> None:
    alice, bob = node.chain.account("alice"), node.chain.account("bob")
    await subscribe_to_transfers_to(bob)
    one = node.mine(transfer(alice, bob, 1, "uatom")).height
    async with watching(hub_spec(node.url)):
        await wait_until(lambda: reached(one))
    node.mine(transfer(alice, bob, 2, "uatom", sequence=1))
    node.chain.mine_empty(17)
    three = node.mine(transfer(alice, bob, 3, "uatom", sequence=2)).height
    node.chain.mine_empty(5)
    node.prune(below=three - 5)
    async with watching(hub_spec(node.url)) as running:
        await wait_until(lambda: reached(node.chain.height))
    gap = (one + 1, three - 6)
    assert await fetch_gaps(CHAIN) == [(*gap, "pruned by every node")]
    assert running.status.last_gap == (
        f"blocks {gap[0]}-{gap[1]} were pruned by every node and could not be read"
    )
    assert await received() == [(one, bob, "1uatom"), (three, bob, "3uatom")]


async def test_a_node_failing_half_its_calls_loses_and_repeats_nothing(
    db: str, node: FakeCometBft
) -> None:
    alice, bob = node.chain.account("alice"), node.chain.account("bob")
    await subscribe_to_transfers_to(bob)
    for sequence in range(15):
        node.mine(transfer(alice, bob, sequence + 1, "uatom", sequence=sequence))
    node.faults.http_500.probability = 0.5
    async with watching(hub_spec(node.url)):
        await wait_until(lambda: reached(node.chain.height), timeout_s=60)
    amounts = [amount for _, _, amount in await received()]
    assert amounts == [f"{value}uatom" for value in range(1, 16)]


async def test_a_height_with_missing_tx_results_is_retried_not_passed(
    db: str, node: FakeCometBft
) -> None:
    alice, bob = node.chain.account("alice"), node.chain.account("bob")
    await subscribe_to_transfers_to(bob)
    node.chain.mine_empty(2)
    height = node.mine(
        transfer(alice, bob, 5, "uatom"), transfer(alice, bob, 6, "uatom", sequence=1)
    ).height
    node.chain.mine_empty(2)
    node.drop_tx_results(height)
    async with watching(hub_spec(node.url, max_block_range=1)) as running:
        await wait_until(lambda: running.status.error is not None)
        await asyncio.sleep(0.3)
        assert await cursor() == height - 1
        assert "block_results" in (running.status.error or "")
        node.restore_tx_results(height)
        await wait_until(lambda: reached(node.chain.height))
    assert sorted(await received()) == [(height, bob, "5uatom"), (height, bob, "6uatom")]
