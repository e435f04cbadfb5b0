"""The crawl loop behind unreliable and limited nodes: nothing missed, nothing twice."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from storage.models import Delivery, Event
from tests.fakes.rpc_proxy import RpcProxy
from tests.support.anvil import AnvilNode
from tests.support.builders import make_subscription
from tests.support.token import TOKEN_ABI, Token
from tests.support.watching import (
    anvil_spec,
    canonical_logs,
    cursor_at_least,
    running_watcher,
    stored_logs,
    wait_until,
)

RECIPIENT = "0x" + "22" * 20


@pytest.fixture
async def proxies(anvil: AnvilNode) -> AsyncIterator[tuple[RpcProxy, RpcProxy]]:
    first = await RpcProxy.start(anvil.url, seed=1)
    second = await RpcProxy.start(anvil.url, seed=2)
    try:
        yield first, second
    finally:
        await first.stop()
        await second.stop()


def make_unreliable(proxy: RpcProxy) -> None:
    faults = proxy.faults
    faults.http_500.probability = 0.05
    faults.http_429.probability = 0.05
    faults.retry_after = "0"
    faults.delay.probability = 0.02
    faults.delay_s = 2.0
    faults.truncated.probability = 0.05
    faults.rpc_error.probability = 0.05
    faults.null_blocks.probability = 0.3
    faults.null_blocks_depth = 2
    faults.empty_logs.probability = 0.5
    faults.empty_logs_depth = 2
    faults.behind.probability = 0.1
    faults.behind_blocks = 20


def make_reliable(proxy: RpcProxy) -> None:
    for name in (
        "http_500",
        "http_429",
        "delay",
        "truncated",
        "rpc_error",
        "null_blocks",
        "empty_logs",
        "behind",
        "dead",
    ):
        fault = getattr(proxy.faults, name)
        fault.count, fault.probability = 0, 0.0


async def test_unreliable_nodes_never_cause_a_missed_or_repeated_event(
    db: str, anvil: AnvilNode, token: Token, proxies: tuple[RpcProxy, RpcProxy]
) -> None:
    await make_subscription(address=token.address, abi=TOKEN_ABI)
    for proxy in proxies:
        make_unreliable(proxy)
    rng = random.Random(5)
    spec = anvil_spec(proxies[0].url, rpc_urls=(proxies[0].url, proxies[1].url))
    async with running_watcher(spec, attempts=6, timeout_s=0.5) as running:
        for value in range(1, 41):
            await token.transfer(RECIPIENT, value)
            if rng.random() < 0.3:
                await anvil.mine(rng.randint(1, 3))
            await asyncio.sleep(rng.random() * 0.05)
        await asyncio.sleep(1.0)
        for proxy in proxies:
            make_reliable(proxy)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head), timeout_s=60)
        assert sum(p.requests for p in proxies) > 0

    assert await stored_logs() == await canonical_logs(anvil, token.address, head)
    assert await Delivery.all().count() == await Event.all().count() == 41
    assert running.cursors == sorted(running.cursors), "the cursor moved backwards"


@pytest.mark.parametrize("suggest_same_range", [False, True])
async def test_a_long_backfill_through_provider_limits_stores_every_event_once(
    db: str, suggest_same_range: bool
) -> None:
    node = await AnvilNode(extra_args=("--gas-limit", "1000000000")).start()
    proxy = await RpcProxy.start(node.url)
    try:
        token = await Token.deploy(node)
        await make_subscription(address=token.address, abi=TOKEN_ABI)
        for batch in range(24):
            await token.batch_transfer(f"0x{batch + 1:040x}", 1000, 1, gas=900_000_000)
            await node.mine(30)
        head = await node.block_number()
        proxy.faults.max_block_range = 500
        proxy.faults.max_logs = 10_000
        proxy.faults.suggest_same_range = suggest_same_range

        async with running_watcher(anvil_spec(proxy.url, max_block_range=5000)):
            await wait_until(lambda: cursor_at_least("anvil", head), timeout_s=120)

        stored = await stored_logs()
        assert len(stored) == 24_001  # the mint plus 24 batches of 1,000
        assert stored == await canonical_logs(node, token.address, head)
        assert await Delivery.all().count() == 24_001
    finally:
        await proxy.stop()
        await node.stop()
