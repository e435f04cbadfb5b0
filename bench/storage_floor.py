"""The storage floor of a catch-up: how fast any watcher could go on this machine and database.

It fetches the logs as the raw path does and stores what Blockbell stores for each: an event
row and a delivery row, through the outbox's own `insert_rows` (multi-row INSERTs on SQLite,
COPY on PostgreSQL), one transaction per range, a range stored while the next is fetched. It
checks nothing, decodes only by slicing the address topics, and matches nothing. The share of
the raw fetch it reaches bounds the share the watcher can reach with this storage on the same
machine, whatever it does to read, decode and match faster.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson

from bench.common import CHAIN, CpuUse, get_logs, measured_cpu
from storage.db import db_time, transaction
from storage.models import Delivery
from storage.outbox import DELIVERY_COLUMNS, EVENT_COLUMNS, insert_rows, new_ids

TABLES = (("events", EVENT_COLUMNS), ("deliveries", DELIVERY_COLUMNS))
Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
"""One range's event rows and delivery rows."""


def floor_rows(logs: Sequence[dict[str, Any]], now: Any, target: tuple[int, int]) -> Rows:
    """An event row and a delivery row to `target` (subscription id, destination id) for each
    Transfer log, made with the least work."""
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
        deliveries.append((next(ids), event_id, *target, now, now, "event", "pending", 0, False))
    return events, deliveries


async def store(rows: Rows) -> None:
    """One range's rows in one transaction, through the outbox's own insert."""
    async with transaction() as conn:
        for (table, columns), table_rows in zip(TABLES, rows, strict=True):
            await insert_rows(conn, table, columns, iter(table_rows))


async def time_storage_floor(
    node_url: str,
    query: dict[str, Any],
    ranges: Sequence[tuple[int, int]],
    target: tuple[int, int],
) -> tuple[float, CpuUse]:
    """Seconds and CPU use of one floor run into the open (fresh, migrated) database; `query`
    is the eth_getLogs filter without its block range, `target` a stored subscription's
    (id, destination id)."""
    now = db_time(Delivery, "created_at", datetime.now(UTC))
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        storing: asyncio.Future[None] | None = None
        with measured_cpu() as cpu:
            for first, last in ranges:
                logs = await get_logs(session, node_url, query, first, last)
                rows = floor_rows(logs, now, target)
                if storing is not None:
                    await storing
                storing = asyncio.ensure_future(store(rows))
            if storing is not None:
                await storing
            seconds = time.perf_counter() - started
    return seconds, cpu[0]
