"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per test.

Migrating takes far longer than copying, so each test process migrates one template per
backend, the first time a test asks for it, and every test gets its own copy: a file copy on
SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. The migrations themselves are still run by
the tests that are about them, on databases nothing has migrated (`database_url`).

PostgreSQL is required, never skipped: when the server cannot be reached the tests that use
it fail with the reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from storage.db import close_database, open_database
from storage.secret_box import use_secret_keys
from tests.support.secret_watch import secret

ADMIN_URL = os.environ.get(
    "BLOCKBELL_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
SQLITE_NAME = "blockbell.sqlite3"
LOCAL_SECRET_KEY = secret("n0uqsd4DTxTsSVIlBuvVYUe2YQ8dQsBRtP55Hm7vtE4=")
"""Seals webhook secrets in tests and benchmarks, in-process and in the services they start,
so that each side opens what the other sealed."""


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _new_database_name() -> str:
    return f"blockbell_test_{uuid.uuid4().hex[:12]}"


async def _admin(statement: str) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@asynccontextmanager
async def postgres_database_url(template: str | None = None) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (or a copy of `template`), dropped afterwards."""
    name = _new_database_name()
    copy_of = f' TEMPLATE "{template}"' if template else ""
    await _admin(f'CREATE DATABASE "{name}"{copy_of}')
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database nothing has migrated yet."""
    if backend == "postgres":
        async with postgres_database_url() as url:
            yield url
    else:
        yield f"sqlite://{tmp_path / SQLITE_NAME}"


class _MigratedTemplates:
    """The migrated template of each backend, made once per test process."""

    def __init__(self) -> None:
        self._sqlite_file: Path | None = None
        self._postgres_name: str | None = None

    async def sqlite_file(self) -> Path:
        if self._sqlite_file is None:
            path = Path(tempfile.mkdtemp(prefix="blockbell-template-")) / SQLITE_NAME
            await _migrate(f"sqlite://{path}")
            self._sqlite_file = path
        return self._sqlite_file

    async def postgres_name(self) -> str:
        if self._postgres_name is None:
            name = _new_database_name() + "_template"
            await _admin(f'CREATE DATABASE "{name}"')
            await _migrate(_with_database(ADMIN_URL, name))
            self._postgres_name = name
        return self._postgres_name

    def remove(self) -> None:
        if self._sqlite_file is not None:
            shutil.rmtree(self._sqlite_file.parent, ignore_errors=True)
        if self._postgres_name is not None:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{self._postgres_name}" WITH (FORCE)'))
        self._sqlite_file = self._postgres_name = None


async def _migrate(url: str) -> None:
    # Closing leaves a self-contained file behind (SQLite folds its write-ahead log back in),
    # and a PostgreSQL template must have no connection open while it is copied.
    await open_database(url)
    await close_database()


templates = _MigratedTemplates()


@asynccontextmanager
async def migrated_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own, already migrated to the latest schema."""
    if backend == "postgres":
        async with postgres_database_url(await templates.postgres_name()) as url:
            yield url
    else:
        path = tmp_path / SQLITE_NAME
        shutil.copyfile(await templates.sqlite_file(), path)
        yield f"sqlite://{path}"


@asynccontextmanager
async def opened_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    use_secret_keys([LOCAL_SECRET_KEY])
    async with migrated_database_url(backend, tmp_path) as url:
        await open_database(url)
        try:
            yield url
        finally:
            await close_database()
