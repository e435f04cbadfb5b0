"""A loopback webhook endpoint: records requests, checks signatures, answers as scripted."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import ssl
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class Reply:
    """One scripted answer; `delay_s` is waited before answering."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay_s: float = 0.0

    @classmethod
    def retry_after(cls, seconds: float, status: int = 429) -> Reply:
        return cls(status, {"Retry-After": f"{seconds:g}"}, b"slow down")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, {"Location": location}, b"")

    @classmethod
    def slow(cls, delay_s: float) -> Reply:
        return cls(delay_s=delay_s)


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: datetime
    signature_valid: bool


class WebhookReceiver:
    """`receiver = await WebhookReceiver.start(); receiver.script([500, 500, 200])`."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.requests: list[ReceivedRequest] = []
        self._script: deque[Reply] = deque()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._scheme = "http"
        self._arrived = asyncio.Condition()

    @classmethod
    async def start(
        cls, secret: str | None = None, ssl_context: ssl.SSLContext | None = None
    ) -> WebhookReceiver:
        receiver = cls(secret or new_secret())
        receiver._scheme = "https" if ssl_context else "http"
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", receiver._handle)
        # Cancel handlers whose client hung up, so slow scripted answers do not delay stop().
        receiver._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await receiver._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        receiver._port = sock.getsockname()[1]
        await web.SockSite(receiver._runner, sock, ssl_context=ssl_context).start()
        return receiver

    @property
    def url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._port}/hook"

    @property
    def port(self) -> int:
        return self._port

    def script(self, replies: Iterable[int | Reply]) -> None:
        """Answer the next requests with these; once they are used up, answer 200."""
        self._script.extend(Reply(r) if isinstance(r, int) else r for r in replies)

    async def wait_for_requests(self, count: int, timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        self.requests.append(
            ReceivedRequest(
                request.method,
                request.path,
                headers,
                body,
                datetime.now(UTC),
                self._verifies(body, headers),
            )
        )
        async with self._arrived:
            self._arrived.notify_all()
        reply = self._script.popleft() if self._script else Reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return web.Response(status=reply.status, headers=dict(reply.headers), body=reply.body)

    def _verifies(self, body: bytes, headers: dict[str, str]) -> bool:
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True
