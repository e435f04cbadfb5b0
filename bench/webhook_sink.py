"""A loopback webhook receiver fast enough for throughput runs: it verifies each signature,
counts webhook-ids and answers 200 at once, keeping no bodies."""

from __future__ import annotations

import socket
import time
from collections import Counter

from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.fakes.webhook_receiver import new_secret


class WebhookSink:
    """`sink = await WebhookSink.start()`; point a destination at `sink.url` with `sink.secret`."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.ids: Counter[str] = Counter()
        self.invalid_signatures = 0
        self.first_at: float | None = None
        """perf_counter() when the first request arrived."""
        self._verifier = Webhook(secret)
        self._runner: web.AppRunner | None = None
        self._port = 0

    @classmethod
    async def start(cls) -> WebhookSink:
        sink = cls(new_secret())
        app = web.Application()
        app.router.add_post("/hook", sink._handle)
        sink._runner = web.AppRunner(app, access_log=None)
        await sink._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sink._port = sock.getsockname()[1]
        await web.SockSite(sink._runner, sock, backlog=1024).start()
        return sink

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hook"

    @property
    def requests(self) -> int:
        return self.ids.total()

    @property
    def duplicates(self) -> int:
        """Requests beyond the first for their webhook-id: sends of a delivery already sent."""
        return self.requests - len(self.ids)

    def reset(self) -> None:
        self.ids.clear()
        self.invalid_signatures = 0
        self.first_at = None

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.first_at is None:
            self.first_at = time.perf_counter()
        self.ids[request.headers.get("webhook-id", "")] += 1
        try:
            self._verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.invalid_signatures += 1
        return web.Response(text="ok")
