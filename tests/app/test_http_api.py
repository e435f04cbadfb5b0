"""The HTTP endpoint over real loopback HTTP: /health status codes and /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from prometheus_client import Counter

from app.http_api import build_http_app, serve_http
from tests.support.anvil import free_port

PROBE = Counter("blockbell_test_http_probe", "Touched by the HTTP endpoint tests.")

OK = {
    "status": "ok",
    "chains": {"anvil": {"head": 12, "cursor": 12, "lag": 0, "healthy": True, "halted": None}},
}
DEGRADED = {
    "status": "degraded",
    "chains": {
        "anvil": {"head": 40, "cursor": 12, "lag": 28, "healthy": False, "halted": "reorg deeper"}
    },
}


async def served(health: Callable[[], dict[str, Any]]) -> AsyncIterator[str]:
    port = free_port()
    task = asyncio.create_task(serve_http(build_http_app(health), f"127.0.0.1:{port}"))
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(base + "/health"):
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
    try:
        yield base
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def report() -> dict[str, Any]:
    return dict(OK)


@pytest.fixture
async def base_url(report: dict[str, Any]) -> AsyncIterator[str]:
    async for url in served(lambda: report):
        yield url


async def test_health_answers_200_with_the_report_when_ok(base_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(base_url + "/health") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == OK


async def test_health_answers_503_when_degraded(base_url: str, report: dict[str, Any]) -> None:
    report.update(DEGRADED)
    async with aiohttp.ClientSession() as session, session.get(base_url + "/health") as response:
        assert response.status == 503
        assert await response.json() == DEGRADED


async def test_metrics_exposes_the_default_registry_in_prometheus_format(base_url: str) -> None:
    PROBE.inc()
    async with aiohttp.ClientSession() as session, session.get(base_url + "/metrics") as response:
        body = await response.text()
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert "blockbell_test_http_probe_total " in body


async def test_unknown_paths_are_404(base_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(base_url + "/admin") as response:
        assert response.status == 404


async def test_cancelling_serve_http_closes_the_port() -> None:
    port = free_port()
    task = asyncio.create_task(serve_http(build_http_app(lambda: OK), f"127.0.0.1:{port}"))
    await asyncio.sleep(0.2)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
