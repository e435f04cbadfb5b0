"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per test.

PostgreSQL is required, never skipped: when the server cannot be reached the tests that use
it fail with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from storage.db import close_database, open_database

ADMIN_URL = os.environ.get(
    "BLOCKBELL_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@asynccontextmanager
async def postgres_database_url() -> AsyncIterator[str]:
    name = f"blockbell_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "postgres":
        async with postgres_database_url() as url:
            yield url
    else:
        yield f"sqlite://{tmp_path / 'blockbell.sqlite3'}"


@asynccontextmanager
async def opened_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(backend, tmp_path) as url:
        await open_database(url)
        try:
            yield url
        finally:
            await close_database()
