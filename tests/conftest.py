"""Fixtures shared by the whole suite: databases on both backends and a real anvil node."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.anvil import AnvilNode
from tests.support.database import opened_database, templates
from tests.support.secret_watch import WATCH
from tests.support.token import Token

BACKENDS = ["sqlite", "postgres"]


def pytest_sessionfinish(session: pytest.Session) -> None:
    templates.remove()
    if late := WATCH.take_findings():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nSecrets showed after the last test:", *late, sep="\n")
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["secret_watch"] = dict(WATCH.read)


def pytest_testnodedown(node: object, error: object) -> None:
    WATCH.read.update(getattr(node, "workeroutput", {}).get("secret_watch", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if hasattr(terminalreporter.config, "workeroutput") or not WATCH.read:
        return
    read = ", ".join(f"{count:,} {kind}" for kind, count in sorted(WATCH.read.items()))
    terminalreporter.write_line(f"secret watch: read {read}; a secret in any fails its test")


@pytest.fixture(autouse=True)
def no_secret_shows() -> Iterator[None]:
    """Fails the test in whose logs, process output or bot messages a secret showed."""
    WATCH.read_logs()
    yield
    if found := WATCH.take_findings():
        pytest.fail("secrets showed:\n" + "\n".join(map(str, found)), pytrace=False)


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
