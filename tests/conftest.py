"""Fixtures shared by the whole suite: databases on both backends and a real anvil node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.anvil import AnvilNode
from tests.support.database import opened_database, templates
from tests.support.token import Token

BACKENDS = ["sqlite", "postgres"]


def pytest_sessionfinish(session: pytest.Session) -> None:
    templates.remove()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An opened, migrated database (SQLite file or fresh PostgreSQL database); yields its URL."""
    async with opened_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
async def anvil() -> AsyncIterator[AnvilNode]:
    node = await AnvilNode().start()
    try:
        yield node
    finally:
        await node.stop()


@pytest.fixture
async def token(anvil: AnvilNode) -> Token:
    return await Token.deploy(anvil)
