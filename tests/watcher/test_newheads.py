"""The newHeads listener against anvil's websocket: wake-ups, a dead node, and reconnection."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest

from tests.fakes.rpc_proxy import RpcProxy
from tests.support.anvil import AnvilNode, free_port
from watcher.newheads import NewHeadsListener


class AnvilOnPort(AnvilNode):
    """An anvil node on a port chosen by the test, to restart a node where it was."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"


async def until_connected(listener: NewHeadsListener, expected: bool = True) -> None:
    deadline = time.monotonic() + 5.0
    while listener.connected is not expected:
        assert time.monotonic() < deadline, f"listener.connected never became {expected}"
        await asyncio.sleep(0.02)


@pytest.fixture
async def listener(anvil: AnvilNode) -> AsyncIterator[NewHeadsListener]:
    started = NewHeadsListener(anvil.ws_url, max_backoff_s=0.5)
    await started.start()
    await until_connected(started)
    yield started
    await started.close()


async def test_a_mined_block_wakes_wait_within_a_fraction_of_a_second(
    anvil: AnvilNode, listener: NewHeadsListener
) -> None:
    waiting = asyncio.create_task(listener.wait(5.0))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await anvil.mine(1)
    head = await waiting
    assert time.monotonic() - started < 0.5
    assert head is not None
    assert head.number == await anvil.block_number()
    assert head.hash == await anvil.block_hash(head.number)


async def test_wait_returns_none_when_no_block_comes(listener: NewHeadsListener) -> None:
    started = time.monotonic()
    assert await listener.wait(0.2) is None
    assert time.monotonic() - started >= 0.2


async def test_a_head_that_arrived_between_waits_is_returned_at_once(
    anvil: AnvilNode, listener: NewHeadsListener
) -> None:
    await anvil.mine(2)
    await asyncio.sleep(0.2)
    head = await listener.wait(0)
    assert head is not None and head.number == await anvil.block_number()
    assert await listener.wait(0.05) is None


async def test_after_the_node_stops_wait_times_out_cleanly(
    anvil: AnvilNode, listener: NewHeadsListener
) -> None:
    await anvil.stop()
    await until_connected(listener, expected=False)
    assert await listener.wait(0.2) is None
    assert await listener.wait(0.2) is None


async def test_the_listener_reconnects_when_the_node_restarts_on_the_same_port(
    anvil: AnvilNode, listener: NewHeadsListener
) -> None:
    await anvil.stop()
    await until_connected(listener, expected=False)
    restarted = await AnvilOnPort(anvil.port).start()
    try:
        await until_connected(listener)
        await restarted.mine(3)
        head = await listener.wait(2.0)
        assert head is not None and head.number == 3
    finally:
        await restarted.stop()


async def test_a_listener_for_a_node_that_never_ran_only_times_out() -> None:
    listener = NewHeadsListener(f"ws://127.0.0.1:{free_port()}/ws/secret", max_backoff_s=0.1)
    await listener.start()
    try:
        assert await listener.wait(0.3) is None
        assert not listener.connected
    finally:
        await listener.close()


async def test_a_refused_handshake_is_logged_without_the_secret_in_the_url(
    anvil: AnvilNode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="watcher.newheads")
    proxy = await RpcProxy.start(anvil.url)
    secret_url = proxy.url.replace("http://", "ws://") + "/SECRET-KEY?token=SECRET-TOKEN"
    listener = NewHeadsListener(secret_url, max_backoff_s=0.1)
    await listener.start()
    try:
        assert await listener.wait(0.3) is None
    finally:
        await listener.close()
        await proxy.stop()
    assert "WSServerHandshakeError" in caplog.text
    assert "SECRET" not in caplog.text
