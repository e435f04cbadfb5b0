"""Opening, migrating and closing the database, and the dialect facts raw SQL needs."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise import Model, Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionContext
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.migrations.executor import MigrationExecutor
from tortoise.transactions import in_transaction

from storage.models import Event
from storage.wal_checkpoint import WalCheckpointer

MODELS_MODULE = "storage.models"
IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000
MIGRATIONS_MODULE = "storage.migrations"
SQLITE_PRAGMAS = {"synchronous": "NORMAL", "cache_size": "-65536", "wal_autocheckpoint": "0"}

_checkpointer: WalCheckpointer | None = None

# sqlite3 looks for an adapter for every value it binds whose type is not exactly int, float,
# str or bytearray, and for a type without one the look-up raises and clears two
# AttributeErrors: 0.3 µs a value, in the writer thread and holding the GIL, for three values
# of each stored event. These adapters bind what sqlite3 binds without them.
sqlite3.register_adapter(bool, int)
sqlite3.register_adapter(type(None), lambda value: value)


DATABASE_AWAY: tuple[type[Exception], ...] = (
    DBConnectionError,
    OperationalError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
)
"""What a query raises while the database restarts or cannot be reached: worth a retry."""


class StorageError(Exception):
    """Root of the errors this package raises."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between SQLite and PostgreSQL in the raw statements of the hot paths."""

    name: str

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"

    def placeholders(self, count: int, start: int = 1) -> str:
        if self.is_postgres:
            return ", ".join(f"${i}" for i in range(start, start + count))
        return ", ".join("?" for _ in range(count))

    def placeholder(self, index: int) -> str:
        return f"${index}" if self.is_postgres else "?"

    @property
    def epoch_now(self) -> str:
        """The database's clock in seconds since the epoch, as an SQL expression."""
        if self.is_postgres:
            return "extract(epoch FROM clock_timestamp())::float8"
        return "((julianday('now') - 2440587.5) * 86400.0)"


def normalize_database_url(url: str) -> str:
    """Accept the spellings people use for PostgreSQL URLs and give the one Tortoise knows.

    SQLite runs in WAL mode with synchronous=NORMAL unless the URL says otherwise: a crash of
    the process loses nothing committed, and a power cut can only lose whole transactions,
    which the outbox simply does again. Its page cache is 64 MiB, so that the thousands of rows
    of one catch-up step do not spill to disk before their commit, and its commits leave
    checkpoints to `storage.wal_checkpoint`.
    """
    for prefix in ("postgresql+asyncpg://", "postgresql://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    if url.startswith("sqlite://"):
        for name, value in SQLITE_PRAGMAS.items():
            if f"{name}=" not in url:
                url += ("&" if "?" in url else "?") + f"{name}={value}"
    return url


def sqlite_file(database_url: str) -> Path | None:
    """The file of an SQLite URL (sqlite://relative/path or sqlite:///absolute/path)."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def connection_name(database_url: str) -> str:
    """Named after the backend: Tortoise caches compiled statements per connection name, so one
    process that opens SQLite and later PostgreSQL (as the test suite does) must not reuse one."""
    return "postgres" if normalize_database_url(database_url).startswith("postgres") else "sqlite"


def tortoise_config(database_url: str) -> dict[str, Any]:
    name = connection_name(database_url)
    url = normalize_database_url(database_url)
    return {
        "connections": {name: _postgres_connection(url) if name == "postgres" else url},
        "apps": _apps_config(name),
        "use_tz": True,
        "timezone": "UTC",
    }


def _postgres_connection(url: str) -> dict[str, Any]:
    connection = expand_db_url(url)
    settings = connection["credentials"].setdefault("server_settings", {})
    # A process stopped (SIGSTOP, a frozen VM) inside a transaction keeps its row locks, and a
    # standby that took over its chain would wait on them for ever: the server ends such a
    # session instead. No transaction of Blockbell waits on anything but the database.
    settings["idle_in_transaction_session_timeout"] = str(IDLE_IN_TRANSACTION_TIMEOUT_MS)
    return connection


def _apps_config(name: str) -> dict[str, Any]:
    return {
        "models": {
            "models": [MODELS_MODULE],
            "default_connection": name,
            "migrations": MIGRATIONS_MODULE,
        }
    }


async def open_database(database_url: str, *, apply_migrations: bool = True) -> None:
    """Connect (creating the SQLite file and its folder if needed) and bring the schema up to
    date."""
    sqlite_path = sqlite_file(database_url)
    if sqlite_path is not None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    config = tortoise_config(database_url)
    await Tortoise.init(config=config)
    if sqlite_path is not None:
        global _checkpointer
        _checkpointer = WalCheckpointer(sqlite_path)
        _checkpointer.start()
    if apply_migrations:
        await MigrationExecutor(connection(), config["apps"]).migrate()


async def pending_migrations() -> list[str]:
    """Names ("app.migration") of the migrations the open database has not applied yet."""
    client = connection()
    executor = MigrationExecutor(client, _apps_config(client.connection_name))
    return [f"{step.migration.app_label}.{step.migration.name}" for step in await executor.plan()]


async def close_database() -> None:
    global _checkpointer
    await Tortoise.close_connections()
    if _checkpointer is not None:
        await _checkpointer.stop()
        _checkpointer = None


def connection() -> BaseDBAsyncClient:
    client: BaseDBAsyncClient = Event._meta.db
    return client


def dialect() -> Dialect:
    return Dialect("postgres" if connection().capabilities.dialect == "postgres" else "sqlite")


def db_time(model: type[Model], column: str, value: datetime) -> Any:
    """A datetime as the driver stores it in the model's field.

    On SQLite this is the text that the sqlite3 adapter Tortoise registers would make from it.
    Made here once, it spares that adapter's Python call for every parameter of a multi-row
    INSERT, each made holding the GIL in the database's thread.
    """
    stored = model._meta.fields_map[column].to_db_value(value, model)
    if isinstance(stored, datetime) and not dialect().is_postgres:
        return stored.isoformat(" ")
    return stored


@asynccontextmanager
async def transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """One transaction on the open database (`using_db=` the client it yields)."""
    context = in_transaction(connection().connection_name)
    try:
        client = await context.__aenter__()
    except BaseException as error:
        await _abandon(context, error)
        raise
    async with _exited(context):
        yield client


async def _abandon(context: TransactionContext, error: BaseException) -> None:
    """Undo an entry interrupted while BEGIN was under way.

    Tortoise holds a pooled connection (PostgreSQL) or its transaction lock (SQLite) from
    before BEGIN, and gives neither back when the task is cancelled during BEGIN: the lock
    would block every later transaction, and the pool would wait for the lost connection
    whenever it closes. The context's token is set just before BEGIN, so it tells.
    """
    if hasattr(context, "token"):
        with contextlib.suppress(Exception):
            await context.__aexit__(type(error), error, error.__traceback__)


@asynccontextmanager
async def _exited(context: TransactionContext) -> AsyncIterator[None]:
    try:
        yield
    except BaseException as error:
        await context.__aexit__(type(error), error, error.__traceback__)
        raise
    await context.__aexit__(None, None, None)
