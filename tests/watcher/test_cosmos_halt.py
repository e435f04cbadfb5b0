"""A Cosmos chain that halts, a node that restarts or comes back behind, and a network relaunched
from a new genesis: what the watcher stores, delivers and shows while it happens and after."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from storage.models import Delivery, Event
from tests.fakes.cometbft_rpc import FakeCometBft
from tests.support.cosmos_chain import CosmosChain, transfer
from tests.support.watching import wait_until
from tests.watcher.test_cosmos_crawl import (
    CHAIN,
    cursor,
    hub_spec,
    reached,
    received,
    subscribe_to_transfers_to,
    watching,
)
from watcher.health_reporter import next_snapshot

Received = list[tuple[int, str, str]]


@pytest.fixture
async def node() -> AsyncIterator[FakeCometBft]:
    fake = await FakeCometBft.start(CosmosChain("blockbell-1"), seed=5)
    yield fake
    await fake.stop()


class Payments:
    """Transfers from alice to bob on the node's chain, each with the next amount (1, 2, 3 …),
    so what was stored shows at a glance what was missed or repeated."""

    def __init__(self, node: FakeCometBft) -> None:
        self.node = node
        self.sent: Received = []

    def pay(self, count: int) -> int:
        """Mines `count` blocks of one payment each; returns the newest height."""
        chain = self.node.chain
        alice, bob = chain.account("alice"), chain.account("bob")
        for _ in range(count):
            amount = len(self.sent) + 1
            height = chain.mine(transfer(alice, bob, amount, "uatom", sequence=amount)).height
            self.sent.append((height, bob, f"{amount}uatom"))
        return chain.height


async def delivered_once_each() -> bool:
    """Every stored event has exactly one delivery (the subscription has one destination)."""
    events = await Event.filter(chain=CHAIN).values_list("id", flat=True)
    deliveries = await Delivery.all().values_list("event_id", flat=True)
    return sorted(map(str, events)) == sorted(map(str, deliveries))


def status_calls(node: FakeCometBft, more: int) -> Callable[[], bool]:
    """A condition: the node answered `more` further /status calls than it has so far."""
    target = node.calls["status"] + more
    return lambda: node.calls["status"] >= target


def watcher_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_halted_chain_is_polled_quietly_and_every_transfer_after_it_is_stored_once(
    db: str, node: FakeCometBft, caplog: pytest.LogCaptureFixture
) -> None:
    payments = Payments(node)
    await subscribe_to_transfers_to(node.chain.account("bob"))
    halt_height = payments.pay(3)
    node.halt()  # an upgrade height: no new block, and /status keeps telling this one
    caplog.set_level(logging.INFO)
    async with watching(hub_spec(node.url)) as running:
        await wait_until(lambda: reached(halt_height))
        caplog.clear()
        await wait_until(status_calls(node, 10))
        assert [r.getMessage() for r in caplog.records] == []  # ten polls, not one line logged
        health = running.status.as_dict()
        assert {key: health[key] for key in ("head", "cursor", "lag", "healthy")} == {
            "head": halt_height,
            "cursor": halt_height,
            "lag": 0,
            "healthy": True,
        }
        assert (health["halted"], health["error"], health["last_gap"]) == (None, None, None)
        assert health["chain_quiet"] is None  # this chain's settings name no quiet_after
        # A watcher at the tip of a chain that makes no blocks is not stuck: nothing is due.
        snapshot = next_snapshot(None, running.status, 0, datetime.now(UTC))
        assert (snapshot.healthy, snapshot.stuck_since) == (True, None)
        node.resume()  # the upgrade is done
        tip = payments.pay(4)
        await wait_until(lambda: reached(tip))
        assert not running.task.done()
    assert await received() == payments.sent
    assert await delivered_once_each()
    assert watcher_warnings(caplog) == []


async def test_a_node_that_restarts_on_the_same_url_loses_and_repeats_nothing(
    db: str, node: FakeCometBft
) -> None:
    payments = Payments(node)
    await subscribe_to_transfers_to(node.chain.account("bob"))
    before = payments.pay(2)
    async with watching(hub_spec(node.url)) as running:
        await wait_until(lambda: reached(before))
        node.latency_s = 0.05  # a slow node: it goes down in the middle of the catch-up
        first_tip = payments.pay(10)
        await wait_until(lambda: reached(before + 2))
        await node.crash()
        await wait_until(lambda: running.status.error is not None)
        assert not running.status.as_dict()["healthy"]
        assert "connect" in (running.status.error or "").lower()
        stood = await cursor()
        assert stood < first_tip
        payments.pay(3)  # the other validators go on while this node is down
        node.latency_s = 0.0
        await node.restart()
        await wait_until(lambda: reached(node.chain.height))
        await wait_until(lambda: running.status.healthy)
        assert (running.status.error, running.task.done()) == (None, False)
    assert await received() == payments.sent
    assert await delivered_once_each()


async def test_a_node_restored_behind_the_cursor_is_waited_for_not_taken_for_a_reorg(
    db: str, node: FakeCometBft, caplog: pytest.LogCaptureFixture
) -> None:
    payments = Payments(node)
    await subscribe_to_transfers_to(node.chain.account("bob"))
    seen = payments.pay(6)
    async with watching(hub_spec(node.url)) as running:
        await wait_until(lambda: reached(seen))
        node.prune(below=4)
        await node.crash()
        payments.pay(4)
        # Restored from an older snapshot of a node that pruned less: an earlier earliest
        # height, and three blocks behind what the watcher has already stored.
        node.fall_behind(seen - 3, earliest=1)
        await node.restart()
        await wait_until(lambda: running.status.head == seen - 3)
        await wait_until(status_calls(node, 5))
        assert await cursor() == seen
        assert (running.status.lag, running.status.healthy) == (0, True)
        node.fall_behind(seen + 1)  # synced part of the way
        await wait_until(lambda: reached(seen + 1))
        node.catch_up()
        await wait_until(lambda: reached(node.chain.height))
    assert await received() == payments.sent
    assert await Event.filter(chain=CHAIN, status="reverted").count() == 0
    assert await delivered_once_each()
    assert not [message for message in watcher_warnings(caplog) if "reorg" in message]


@pytest.mark.parametrize("new_blocks", [2, 12], ids=["below-the-cursor", "past-the-cursor"])
async def test_a_network_relaunched_under_a_new_chain_id_is_refused_until_ours_is_back(
    db: str, node: FakeCometBft, new_blocks: int
) -> None:
    payments = Payments(node)
    await subscribe_to_transfers_to(node.chain.account("bob"))
    seen = payments.pay(5)
    ours = node.chain
    async with watching(hub_spec(node.url)) as running:
        await wait_until(lambda: reached(seen))
        node.relaunch(CosmosChain("blockbell-2"))
        Payments(node).pay(new_blocks)  # bob is paid on the new chain too, from height 1
        await wait_until(lambda: running.status.error is not None)
        await wait_until(status_calls(node, 7))  # a further step refused
        assert running.status.error == (
            f"{node.url}: the node is on chain 'blockbell-2', not on 'blockbell-1' as configured"
        )
        assert running.status.as_dict()["healthy"] is False
        assert await cursor() == seen
        assert await received() == payments.sent
        # The URL serves our chain again (the operator pointed it back): the watcher goes on.
        node.relaunch(ours)
        tip = payments.pay(3)
        await wait_until(lambda: reached(tip))
        assert running.status.healthy
    assert await received() == payments.sent
    assert await Event.filter(chain=CHAIN, status="reverted").count() == 0
    assert await delivered_once_each()


async def test_a_node_on_another_chain_among_the_urls_is_passed_over(
    db: str, node: FakeCometBft
) -> None:
    stray = await FakeCometBft.start(CosmosChain("blockbell-2"))
    try:
        Payments(stray).pay(30)  # bob is paid there too, at the same heights and beyond
        payments = Payments(node)
        await subscribe_to_transfers_to(node.chain.account("bob"))
        tip = payments.pay(6)
        async with watching(hub_spec(stray.url, rpc_urls=(stray.url, node.url))) as running:
            await wait_until(lambda: reached(tip))
            await wait_until(lambda: running.status.healthy)
    finally:
        await stray.stop()
    assert await received() == payments.sent
    assert await Event.filter(chain=CHAIN, status="reverted").count() == 0
