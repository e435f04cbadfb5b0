"""The HTTP endpoint of a running process: /health for orchestrators, /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from app.setting_values import parse_host_port

log = logging.getLogger(__name__)

HEALTH_KEY: web.AppKey[Callable[[], dict[str, Any]]] = web.AppKey("health")


def build_http_app(health: Callable[[], dict[str, Any]]) -> web.Application:
    """GET /health answers the callable's report (503 unless its status is "ok"), GET /metrics
    the default Prometheus registry."""
    app = web.Application()
    app[HEALTH_KEY] = health
    app.router.add_get("/health", _health)
    app.router.add_get("/metrics", _metrics)
    return app


async def _health(request: web.Request) -> web.Response:
    report = request.app[HEALTH_KEY]()
    status = 200 if report.get("status") == "ok" else 503
    return web.Response(body=orjson.dumps(report), status=status, content_type="application/json")


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(
        body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def serve_http(app: web.Application, addr: str) -> None:
    """Serve the app on host:port until cancelled, then close every connection."""
    host, port = parse_host_port(addr)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("HTTP endpoint listening", extra={"addr": addr})
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
