"""Wakes the watcher as soon as a node announces a new head on a newHeads websocket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import aiohttp
import orjson

from watcher.evm import parse_header
from watcher.rpc import BACKOFF_FIRST_S, describe_failure
from watcher.rpc_errors import RpcTransient, redact_url
from watcher.types import BlockHeader

log = logging.getLogger(__name__)

# A silent socket (a proxy that dropped it without a FIN) is noticed within two heartbeats.
HEARTBEAT_S = 20.0
CONNECT_TIMEOUT_S = 10.0
SUBSCRIBE = orjson.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
).decode()


class NewHeadsListener:
    """Keeps a newHeads subscription alive in the background; wait() returns the newest head.

    The websocket only shortens the time to notice a block: while it is down, wait() times
    out and the caller polls over HTTP as it would without it.
    """

    def __init__(self, ws_url: str, *, max_backoff_s: float = 5.0) -> None:
        self._ws_url = ws_url
        self._endpoint = redact_url(ws_url)
        self._max_backoff_s = max_backoff_s
        self._arrived = asyncio.Event()
        self._newest: BlockHeader | None = None
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = False

    async def start(self) -> None:
        if self._task is None:
            timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT_S)
            self._session = aiohttp.ClientSession(timeout=timeout)
            self._task = asyncio.create_task(self._run(), name=f"newHeads {self._endpoint}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.connected = False

    async def wait(self, timeout_s: float) -> BlockHeader | None:
        """The newest head announced since the last wait(), or None after `timeout_s`."""
        if not self._arrived.is_set():
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout_s)
            except TimeoutError:
                return None
        self._arrived.clear()
        return self._newest

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen()
            except Exception as exc:  # the listener must outlive any failure; polling covers it
                level = logging.WARNING if self.connected or failures == 0 else logging.DEBUG
                detail = describe_failure(exc)
                log.log(level, "newHeads websocket %s failed: %s", self._endpoint, detail)
            failures = 1 if self.connected else failures + 1
            self.connected = False
            ceiling_s = min(self._max_backoff_s, BACKOFF_FIRST_S * 2**failures)
            await asyncio.sleep(random.uniform(0.0, ceiling_s))

    async def _listen(self) -> None:
        assert self._session is not None
        async with self._session.ws_connect(self._ws_url, heartbeat=HEARTBEAT_S) as socket:
            await socket.send_str(SUBSCRIBE)
            async for message in socket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._on_text(message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    raise RpcTransient(f"websocket error: {socket.exception()}", kind="network")
        log.info("newHeads websocket %s closed", self._endpoint)

    def _on_text(self, text: str) -> None:
        try:
            message: Any = orjson.loads(text)
        except orjson.JSONDecodeError:
            log.debug("newHeads websocket %s sent a frame that is not JSON", self._endpoint)
            return
        if not isinstance(message, dict):
            return
        if message.get("id") == 1:
            self._on_subscribed(message)
        elif message.get("method") == "eth_subscription":
            params = message.get("params")
            if isinstance(params, dict) and isinstance(params.get("result"), dict):
                self._on_head(params["result"])

    def _on_subscribed(self, message: dict[str, Any]) -> None:
        if message.get("error") is not None or not message.get("result"):
            raise RpcTransient(f"eth_subscribe refused: {message.get('error')}", kind="rpc_error")
        self.connected = True
        log.info("newHeads websocket %s subscribed", self._endpoint)

    def _on_head(self, block: dict[str, Any]) -> None:
        try:
            self._newest = parse_header(block)
        except RpcTransient as exc:
            log.debug("newHeads websocket %s: %s", self._endpoint, exc)
            return
        self._arrived.set()
