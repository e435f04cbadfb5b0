"""Dropped database connections under a running watcher cost a retry, never the watcher: the
crawl goes on, nothing missed or recorded twice."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest

from storage.db import normalize_database_url
from storage.models import Event
from tests.support.anvil import AnvilNode
from tests.support.builders import make_subscription
from tests.support.database import ADMIN_URL
from tests.support.token import TOKEN_ABI, Token
from tests.support.watching import (
    anvil_spec,
    canonical_logs,
    cursor_at_least,
    running_watcher,
    wait_until,
)

RECIPIENT = "0x" + "2b" * 20


async def cut_every_connection(database_url: str) -> int:
    name = normalize_database_url(database_url).rsplit("/", 1)[1]
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()
    return len(rows)


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_watcher_whose_database_connections_are_cut_goes_on_crawling(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    await make_subscription(address=token.address, abi=TOKEN_ABI)
    async with running_watcher(anvil_spec(anvil.url)) as running:
        for value in range(1, 4):
            await token.transfer(RECIPIENT, value)
        await wait_until(lambda: Event.filter().count())
        for _ in range(3):
            assert await cut_every_connection(db) > 0
            await token.transfer(RECIPIENT, 7)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head))
        assert not running.task.done()

    events = await Event.all()
    keys = {(e.block_hash, e.transaction_hash, e.log_index) for e in events}
    assert len(events) == len(keys)
    assert keys == await canonical_logs(anvil, token.address, head)
