"""Telling a process's watchers at once when the subscriptions change, with none ever missed.

On PostgreSQL one connection LISTENs for what `bump_index_version` NOTIFYs; on SQLite (one
process) the version is polled while someone waits. Notifications only hurry things: the
version counter is what decides, so a change whose notification was lost (the listener was
reconnecting) is still seen, at the read that follows every (re)connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self

import asyncpg  # type: ignore[import-untyped]
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_random_exponential
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import BaseORMException

from storage.db import normalize_database_url
from storage.subscriptions import INDEX_NAME, NOTIFY_CHANNEL, fetch_index_version

log = logging.getLogger(__name__)

POLL_S = 0.5
"""How often the version is read while someone waits and nothing listens: always on SQLite, on
PostgreSQL while the listener reconnects."""
CHECK_S = 10.0
"""How often the listener reads the version anyway, so that a connection that died without a
word is noticed."""
QUERY_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 2.0
RECONNECT_FIRST_S = 0.5
RECONNECT_CAP_S = 30.0
APPLICATION_NAME = "blockbell-subscription-changes"
"""How the listener's connection shows in pg_stat_activity."""
VERSION_QUERY = "SELECT version FROM index_versions WHERE name = $1"

_CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
_READ_ERRORS = (*_CONNECTION_ERRORS, BaseORMException)


class SubscriptionChanges:
    """The newest version of the subscriptions this process knows of, and a wait for it to move.

    A process holds one, and every chain watcher in it waits here. The counter only grows (each
    change bumps it), so the newest version anyone saw is the truth, whoever saw it.
    """

    def __init__(self, database_url: str) -> None:
        normalized = normalize_database_url(database_url)
        self._listens = normalized.startswith("postgres")
        self._connect_args = _connect_args(normalized) if self._listens else {}
        self._version = -1
        self._changed = asyncio.Event()
        self._waiters = 0
        self._poll_needed = asyncio.Event()
        self._read_requested = asyncio.Event()
        self._connection: Any = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def version(self) -> int:
        """The newest version known here; -1 before any was read."""
        return self._version

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Follow changes from now on. On PostgreSQL the listener is connected when this returns,
        unless the database cannot be reached: it then keeps trying while the version is polled."""
        if self._listens:
            try:
                await self._connect()
            except _CONNECTION_ERRORS as error:
                log.warning("cannot listen for subscription changes yet: %s", error)
            self._start_task(self._listen_forever(), "subscription changes listener")
        self._start_task(self._poll_while_needed(), "subscription changes poller")

    async def close(self) -> None:
        """Stop following changes and close the listener's connection."""
        for task in self._tasks:
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._disconnect()
        for result in results:
            if isinstance(result, Exception):
                log.error("subscription changes stopped by an error", exc_info=result)

    async def wait_for_change(self, known_version: int, timeout_s: float) -> bool:
        """Whether the subscriptions' version moves past `known_version` (the one the caller
        loaded) within `timeout_s`; True at once when it already has."""
        # The caller read it from the database, so it is true; taking it spares the caller a
        # wake-up for a version it has when the notification is still on its way here.
        self._adopt(known_version)
        if self._version != known_version:
            return True
        self._count_waiter(1)
        try:
            async with asyncio.timeout(timeout_s):
                while self._version == known_version:
                    await self._changed.wait()
        except TimeoutError:
            return False
        finally:
            self._count_waiter(-1)
        return True

    def _adopt(self, version: int) -> None:
        if version > self._version:
            self._version = version
            # Each version gets an event of its own: waking every waiter of the old one.
            self._changed.set()
            self._changed = asyncio.Event()

    def _count_waiter(self, delta: int) -> None:
        self._waiters += delta
        self._update_polling()

    def _update_polling(self) -> None:
        if self._waiters and self._connection is None:
            self._poll_needed.set()
        else:
            self._poll_needed.clear()

    def _start_task(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    async def _poll_while_needed(self) -> None:
        while True:
            await self._poll_needed.wait()
            try:
                async with asyncio.timeout(QUERY_TIMEOUT_S):
                    self._adopt(await fetch_index_version())
            except _READ_ERRORS as error:
                log.debug("subscriptions version unreadable: %s", error)
            await asyncio.sleep(POLL_S)

    async def _listen_forever(self) -> None:
        while True:
            connection = self._connection
            if connection is None:
                connection = await self._reconnect()
            try:
                await self._follow(connection)
            except _CONNECTION_ERRORS as error:
                log.warning("subscription changes listener lost its connection: %s", error)
            finally:
                await self._disconnect()

    async def _reconnect(self) -> Any:
        retrying = AsyncRetrying(
            wait=wait_random_exponential(multiplier=RECONNECT_FIRST_S, max=RECONNECT_CAP_S),
            retry=retry_if_exception_type(_CONNECTION_ERRORS),
            before_sleep=_log_failed_attempt,
        )
        connection: Any = await retrying(self._connect)
        log.info("listening for subscription changes again")
        return connection

    async def _connect(self) -> Any:
        """A connection that listens; the version is read after LISTEN, so that a change made
        before it (while nothing listened) is seen here and one made after it is notified."""
        connection = await asyncpg.connect(**self._connect_args, timeout=CONNECT_TIMEOUT_S)
        try:
            self._read_requested.clear()
            connection.add_termination_listener(self._on_termination)
            await connection.add_listener(NOTIFY_CHANNEL, self._on_notification)
            self._adopt(await _read_version(connection))
        except BaseException:
            await _close_quietly(connection)
            raise
        self._connection = connection
        self._update_polling()
        return connection

    async def _follow(self, connection: Any) -> None:
        """Read the version when a notification without one asks for it, or the connection
        ends, and every CHECK_S anyway: a read on a lost connection raises."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CHECK_S):
                    await self._read_requested.wait()
            self._read_requested.clear()
            self._adopt(await _read_version(connection))

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        self._update_polling()
        if connection is not None:
            await _close_quietly(connection)

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._adopt(int(payload))
        except ValueError:  # sent by something else than bump_index_version
            self._read_requested.set()

    def _on_termination(self, _connection: Any) -> None:
        self._read_requested.set()


def _connect_args(database_url: str) -> dict[str, Any]:
    """asyncpg's arguments for the database Tortoise is told to use (the URL read Tortoise's way,
    without the pool's settings)."""
    credentials = expand_db_url(database_url)["credentials"]
    names = ("host", "port", "user", "password", "database", "ssl")
    args = {name: credentials[name] for name in names if name in credentials}
    server_settings = {"application_name": APPLICATION_NAME}
    if credentials.get("schema"):
        server_settings["search_path"] = credentials["schema"]
    return {**args, "server_settings": server_settings}


async def _read_version(connection: Any) -> int:
    version = await connection.fetchval(VERSION_QUERY, INDEX_NAME, timeout=QUERY_TIMEOUT_S)
    return 0 if version is None else int(version)


async def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(*_CONNECTION_ERRORS):
        await connection.close(timeout=CLOSE_TIMEOUT_S)


def _log_failed_attempt(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    log.debug("listener reconnect attempt %d failed: %s", state.attempt_number, error)
