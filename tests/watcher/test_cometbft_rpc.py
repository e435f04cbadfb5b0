"""The CometBFT client against fake nodes over real HTTP: answers, failover, and errors mapped to
what the watcher should do next."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.cometbft_rpc import FakeCometBft
from tests.support.anvil import free_port
from tests.support.cosmos_chain import CosmosChain, failed, transfer
from tests.support.secret_watch import secret
from watcher.cometbft_rpc import CometBftClient, HeightPruned
from watcher.rpc_errors import RpcTransient

CROESEID_BLOCK = Path(__file__).parents[1] / "fixtures/cosmos/cometbft-0.34"
CROESEID_BLOCK /= "block_croeseid_377673_msgsend.json"
SECRET = secret("k3y-5ecret-abc")


def build_chain(blocks: int = 30) -> CosmosChain:
    chain = CosmosChain("blockbell-1")
    alice, bob = chain.account("alice"), chain.account("bob")
    for height in range(1, blocks + 1):
        chain.mine(
            *([transfer(alice, bob, height, "uatom"), failed(bob)] if height % 3 == 0 else [])
        )
    return chain


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
async def node() -> AsyncIterator[FakeCometBft]:
    started = await FakeCometBft.start(build_chain(), seed=5)
    yield started
    await started.stop()


@pytest.fixture
async def spare() -> AsyncIterator[FakeCometBft]:
    """A second node of the same chain."""
    started = await FakeCometBft.start(build_chain(), seed=6)
    yield started
    await started.stop()


def dead_url() -> str:
    return f"http://user:{SECRET}@127.0.0.1:{free_port()}/rpc/{SECRET}?apikey={SECRET}"


def client(session: aiohttp.ClientSession, *urls: str, attempts: int = 4) -> CometBftClient:
    return CometBftClient(session, urls, 0.5, attempts=attempts, chain="test")


async def test_status_tells_the_chain_the_tip_and_the_oldest_height(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.prune(below=4)
    status = await client(session, node.url).fetch_status()
    assert (status.chain_id, status.latest_height, status.earliest_height) == ("blockbell-1", 30, 4)
    assert status.latest_hash == node.chain.tip.hash and status.catching_up is False
    assert status.latest_time.tzinfo is not None
    assert status.latest_time.isoformat().startswith(node.chain.tip.time[:19])


async def test_block_and_block_results_are_the_nodes_results_unchanged(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    rpc = client(session, node.url)
    assert await rpc.fetch_block(9) == node.chain.block(9).block_json()
    assert await rpc.fetch_block_results(9) == node.chain.block(9).block_results_json("0.38")
    assert node.calls["block"] == 1 and node.calls["block_results"] == 1


async def test_a_failing_node_fails_over_to_the_next_and_is_passed_over_afterwards(
    session: aiohttp.ClientSession, node: FakeCometBft, spare: FakeCometBft
) -> None:
    node.faults.http_500.probability = 1.0
    rpc = client(session, node.url, spare.url)
    assert await rpc.fetch_block(5) == spare.chain.block(5).block_json()
    assert await rpc.fetch_block(6) == spare.chain.block(6).block_json()
    assert node.requests == 1 and spare.calls["block"] == 2


async def test_a_node_that_cannot_be_reached_fails_over_without_leaking_its_key(
    session: aiohttp.ClientSession, node: FakeCometBft, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rpc = client(session, dead_url(), node.url)
    assert (await rpc.fetch_status()).latest_height == 30
    with pytest.raises(RpcTransient) as raised:
        await client(session, dead_url(), attempts=2).fetch_block(3)
    assert SECRET not in str(raised.value) and "127.0.0.1" in str(raised.value)
    assert raised.value.__cause__ is None or SECRET not in str(raised.value.__cause__)
    assert caplog.records and SECRET not in caplog.text


async def test_a_pruned_height_raises_height_pruned_with_the_lowest_height(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.prune(below=12)
    rpc = client(session, node.url)
    with pytest.raises(HeightPruned) as raised:
        await rpc.fetch_block_results(3)
    assert (raised.value.height, raised.value.lowest_height) == (3, 12)
    assert node.calls["block_results"] == 1  # no pointless retries
    assert (await rpc.fetch_block(12))["block_id"] == node.chain.block(12).block_json()["block_id"]


async def test_a_height_pruned_on_one_node_is_fetched_from_another_that_keeps_it(
    session: aiohttp.ClientSession, node: FakeCometBft, spare: FakeCometBft
) -> None:
    node.prune(below=12)
    rpc = client(session, node.url, spare.url)
    assert await rpc.fetch_block(3) == spare.chain.block(3).block_json()
    spare.prune(below=8)
    with pytest.raises(HeightPruned) as raised:
        await rpc.fetch_block(3)
    assert raised.value.lowest_height == 8


async def test_discarded_block_results_on_every_node_are_a_gap_of_unknown_extent(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.discard_results = True
    with pytest.raises(HeightPruned) as raised:
        await client(session, node.url).fetch_block_results(3)
    assert raised.value.lowest_height is None


async def test_a_height_not_yet_produced_is_transient_and_arrives_once_mined(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    with pytest.raises(RpcTransient, match="current blockchain height 30") as raised:
        await client(session, node.url, attempts=2).fetch_block(31)
    assert raised.value.kind == "height_ahead"

    async def mine_soon() -> None:
        await asyncio.sleep(0.1)
        node.mine()

    miner = asyncio.create_task(mine_soon())
    block = await client(session, node.url, attempts=8).fetch_block(31)
    await miner
    assert block["block_id"] == node.chain.block(31).block_json()["block_id"]


async def test_with_half_the_calls_failing_every_height_is_fetched_concurrently(
    session: aiohttp.ClientSession, node: FakeCometBft, spare: FakeCometBft
) -> None:
    for fake in (node, spare):
        fake.faults.reset.probability = 0.25
        fake.faults.http_500.probability = 1 / 3  # with the resets: half the calls fail
    rpc = CometBftClient(
        session, [node.url, spare.url], 0.5, attempts=20, backoff_cap_s=0.2, chain="test"
    )
    heights = range(1, 31)
    blocks = await asyncio.gather(*(rpc.fetch_block(h) for h in heights))
    results = await asyncio.gather(*(rpc.fetch_block_results(h) for h in heights))
    assert [b["block_id"] for b in blocks] == [
        node.chain.block(h).block_json()["block_id"] for h in heights
    ]
    assert results == [node.chain.block(h).block_results_json("0.38") for h in heights]
    assert node.requests + spare.requests > 60  # failures were retried


async def test_a_node_that_hangs_times_out_within_the_bound(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.faults.hang.probability = 1.0
    node.faults.hang_s = 30.0
    rpc = CometBftClient(session, [node.url], 0.2, attempts=3, chain="test")
    started = time.monotonic()
    with pytest.raises(RpcTransient) as raised:
        await rpc.fetch_block(3)
    assert raised.value.kind == "timeout"
    assert time.monotonic() - started < 2.0
    assert node.calls["block"] == 3


async def test_an_answer_for_another_height_is_not_accepted(
    session: aiohttp.ClientSession, node: FakeCometBft, spare: FakeCometBft
) -> None:
    node.serve_recorded(7, block=CROESEID_BLOCK)  # a caching proxy's mix-up: height 377673
    block = await client(session, node.url, spare.url).fetch_block(7)
    assert block == spare.chain.block(7).block_json()


async def test_retry_after_is_honoured_before_asking_the_same_node_again(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.faults.http_429.count = 1
    node.faults.retry_after = "0.5"
    started = time.monotonic()
    await client(session, node.url).fetch_block(2)
    assert time.monotonic() - started >= 0.5


async def test_a_url_that_is_not_http_is_refused_without_echoing_it(
    session: aiohttp.ClientSession,
) -> None:
    with pytest.raises(ValueError, match="#2") as raised:
        CometBftClient(session, ["http://127.0.0.1:1", f"ws://h/{SECRET}"])
    assert SECRET not in str(raised.value)
