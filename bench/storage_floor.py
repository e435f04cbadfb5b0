"""The storage floor of a catch-up: how fast any watcher could go on this machine and database.

It fetches the logs as the raw path does and stores what Blockbell stores for each (an event
row and a delivery row, with the product's schema, columns and way of inserting: multi-row
INSERTs on SQLite, COPY on PostgreSQL, one transaction per range, a range stored while the
next is fetched). It checks nothing, decodes only by slicing the address topics, and matches
nothing. The share of the raw fetch it reaches bounds the share the watcher can reach with
this storage on the same machine, whatever it does to read, decode and match faster.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson

from bench.common import CHAIN, CpuUse, get_logs, measured_cpu
from storage.db import SQLITE_PRAGMAS, db_time, sqlite_file
from storage.models import Delivery
from storage.outbox import DELIVERY_COLUMNS, EVENT_COLUMNS, SQLITE_MAX_VARIABLES, new_ids

TABLES = (("events", EVENT_COLUMNS), ("deliveries", DELIVERY_COLUMNS))
Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
"""One range's event rows and delivery rows."""


def floor_rows(logs: Sequence[dict[str, Any]], now: Any) -> Rows:
    """An event row and a delivery row for each Transfer log, made with the least work."""
    ids = iter(new_ids(2 * len(logs)))
    events, deliveries = [], []
    for item in logs:
        topics, data, event_id = item["topics"], item["data"], next(ids)
        args = {"from": "0x" + topics[1][26:], "to": "0x" + topics[2][26:],
                "value": str(int(data, 16))}  # fmt: skip
        events.append((
            event_id, CHAIN, int(item["blockNumber"], 16), item["blockHash"],
            item["transactionHash"], int(item["logIndex"], 16), item["address"], topics[0],
            "Transfer", orjson.dumps(args).decode(), orjson.dumps(topics).decode(), data, None,
            now, "active", True,
        ))  # fmt: skip
        deliveries.append((next(ids), event_id, 1, 1, now, now, "event", "pending", 0, False))
    return events, deliveries


def store_in_sqlite(path: Path, rows: Rows) -> None:
    """One range's rows in one transaction, as the outbox writes them (run in a thread)."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        for name, value in SQLITE_PRAGMAS.items():
            db.execute(f"PRAGMA {name}={value}")
        db.execute("BEGIN")
        for (table, columns), table_rows in zip(TABLES, rows, strict=True):
            group = f"({', '.join('?' * len(columns))})"
            per_statement = SQLITE_MAX_VARIABLES // len(columns)
            for start in range(0, len(table_rows), per_statement):
                chunk = table_rows[start : start + per_statement]
                values = ", ".join([group] * len(chunk))
                db.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}",
                    list(itertools.chain.from_iterable(chunk)),
                )
        db.execute("COMMIT")
    finally:
        db.close()


async def store_in_postgres(connection: asyncpg.Connection, rows: Rows) -> None:
    async with connection.transaction():
        for (table, columns), table_rows in zip(TABLES, rows, strict=True):
            await connection.copy_records_to_table(table, records=table_rows, columns=columns)


async def time_storage_floor(
    database_url: str, node_url: str, query: dict[str, Any], ranges: Sequence[tuple[int, int]]
) -> tuple[float, CpuUse]:
    """Seconds and CPU use of one floor run into the open (fresh, migrated) database; `query`
    is the eth_getLogs filter without its block range."""
    now = db_time(Delivery, "created_at", datetime.now(UTC))
    path = sqlite_file(database_url)
    postgres = None if path else await asyncpg.connect(database_url)

    async def store(rows: Rows) -> None:
        if path is not None:
            await asyncio.to_thread(store_in_sqlite, path, rows)
        else:
            await store_in_postgres(postgres, rows)

    try:
        async with aiohttp.ClientSession() as session:
            started = time.perf_counter()
            storing: asyncio.Future[None] | None = None
            with measured_cpu() as cpu:
                for first, last in ranges:
                    rows = floor_rows(await get_logs(session, node_url, query, first, last), now)
                    if storing is not None:
                        await storing
                    storing = asyncio.ensure_future(store(rows))
                if storing is not None:
                    await storing
                seconds = time.perf_counter() - started
    finally:
        if postgres is not None:
            await postgres.close()
    return seconds, cpu[0]
