"""Watchers learn of subscription changes at once, on SQLite and PostgreSQL, even across a lost
listener connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from storage.db import normalize_database_url
from storage.subscription_changes import APPLICATION_NAME, SubscriptionChanges
from storage.subscriptions import (
    fetch_index_version,
    set_subscription_status,
)
from tests.support.builders import subscribe_transfers_by_webhook
from tests.support.database import ADMIN_URL, opened_database

WAIT_S = 60.0
"""Longer than any test may take: a wait that ends did so because of a change."""
WITHIN_S = 3.0
"""Generous for a change that should arrive within a second, and shorter than CHECK_S."""
BUMP_WITHOUT_NOTIFY = (
    "INSERT INTO index_versions (name, version) VALUES ('subscriptions', 1) "
    "ON CONFLICT (name) DO UPDATE SET version = index_versions.version + 1"
)


async def subscribe() -> int:
    return await subscribe_transfers_by_webhook()


async def waiting(changes: SubscriptionChanges, known_version: int) -> asyncio.Task[bool]:
    """A watcher's wait, already under way when this returns."""
    task = asyncio.create_task(changes.wait_for_change(known_version, WAIT_S))
    await asyncio.sleep(0.2)
    assert not task.done()
    return task


async def test_a_new_subscription_wakes_a_waiting_watcher(db: str) -> None:
    async with SubscriptionChanges(db) as changes:
        known = await fetch_index_version()
        watcher = await waiting(changes, known)
        await subscribe()
        assert await asyncio.wait_for(watcher, WITHIN_S)
        assert changes.version == await fetch_index_version()
        # A watcher still on the old version is not made to wait at all.
        assert await changes.wait_for_change(known, 0)


async def test_every_waiting_watcher_is_woken_by_one_change(db: str) -> None:
    subscription_id = await subscribe()
    async with SubscriptionChanges(db) as changes:
        known = await fetch_index_version()
        watchers = [await waiting(changes, known) for _ in range(3)]
        await set_subscription_status(subscription_id, "paused")
        assert await asyncio.wait_for(asyncio.gather(*watchers), WITHIN_S) == [True] * 3


async def test_a_change_made_just_before_the_wait_ends_it(db: str) -> None:
    async with SubscriptionChanges(db) as changes:
        known = await fetch_index_version()
        await subscribe()
        assert await asyncio.wait_for(changes.wait_for_change(known, WAIT_S), WITHIN_S)


async def test_without_a_change_the_wait_ends_at_its_timeout(db: str) -> None:
    await subscribe()
    async with SubscriptionChanges(db) as changes:
        current = await fetch_index_version()
        assert not await asyncio.wait_for(changes.wait_for_change(current, 0.3), WITHIN_S)


async def test_close_leaves_no_task_running(db: str) -> None:
    before = asyncio.all_tasks()
    changes = SubscriptionChanges(db)
    await changes.start()
    watcher = asyncio.create_task(changes.wait_for_change(await fetch_index_version(), 0.5))
    assert not await watcher
    await changes.close()
    assert asyncio.all_tasks() - before == set()


async def test_a_change_while_the_listener_is_cut_off_still_wakes_the_watcher(
    tmp_path: Path,
) -> None:
    async with opened_database("postgres", tmp_path) as url:
        admin = await asyncpg.connect(normalize_database_url(url))
        try:
            async with SubscriptionChanges(url) as changes:
                cut_off = await listener_pid(admin)
                watcher = await waiting(changes, await fetch_index_version())
                await admin.fetchval("SELECT pg_terminate_backend($1)", cut_off)
                await subscribe()
                assert await asyncio.wait_for(watcher, WITHIN_S)
                assert await eventually_listening(admin, other_than=cut_off)
                # The new connection hears the next change too.
                watcher = await waiting(changes, changes.version)
                await subscribe()
                assert await asyncio.wait_for(watcher, WITHIN_S)
        finally:
            await admin.close()


async def test_a_change_made_while_nothing_listens_is_read_on_reconnect(tmp_path: Path) -> None:
    async with opened_database("postgres", tmp_path) as url:
        admin = await asyncpg.connect(normalize_database_url(url))
        try:
            async with SubscriptionChanges(url) as changes:
                known = await fetch_index_version()
                cut_off = await listener_pid(admin)
                async with connections_refused(admin):
                    await admin.fetchval("SELECT pg_terminate_backend($1)", cut_off)
                    # No NOTIFY at all: only the counter tells.
                    await admin.execute(BUMP_WITHOUT_NOTIFY)
                # Nobody waits, so nothing polls: only the read after reconnecting can tell,
                # well before the listener's periodic check would.
                assert await eventually_known(changes, above=known)
                assert await asyncio.wait_for(changes.wait_for_change(known, WAIT_S), WITHIN_S)
        finally:
            await admin.close()


async def test_close_ends_the_listener_connection(tmp_path: Path) -> None:
    async with opened_database("postgres", tmp_path) as url:
        admin = await asyncpg.connect(normalize_database_url(url))
        try:
            async with SubscriptionChanges(url):
                await listener_pid(admin)
            assert await eventually_not_listening(admin)
            # Closed at once, before its tasks ever ran.
            changes = SubscriptionChanges(url)
            await changes.start()
            await changes.close()
            assert await eventually_not_listening(admin)
        finally:
            await admin.close()


@asynccontextmanager
async def connections_refused(admin: asyncpg.Connection) -> AsyncIterator[None]:
    """The test database refuses new connections (those open stay)."""
    name = await admin.fetchval("SELECT current_database()")
    server = await asyncpg.connect(ADMIN_URL)  # a database cannot close itself to connections
    try:
        await server.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        try:
            yield
        finally:
            await server.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    finally:
        await server.close()


async def listener_pids(admin: asyncpg.Connection) -> set[int]:
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = $1",
        APPLICATION_NAME,
    )
    return {int(row["pid"]) for row in rows}


async def listener_pid(admin: asyncpg.Connection) -> int:
    (pid,) = await listener_pids(admin)
    return pid


async def eventually_listening(admin: asyncpg.Connection, *, other_than: int) -> bool:
    for _ in range(50):
        pids = await listener_pids(admin)
        if pids and other_than not in pids:
            return True
        await asyncio.sleep(0.1)
    return False


async def eventually_known(changes: SubscriptionChanges, *, above: int) -> bool:
    for _ in range(30):
        if changes.version > above:
            return True
        await asyncio.sleep(0.1)
    return False


async def eventually_not_listening(admin: asyncpg.Connection) -> bool:
    for _ in range(50):
        if not await listener_pids(admin):
            return True
        await asyncio.sleep(0.1)
    return False
