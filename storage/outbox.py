"""The transactional outbox: events, their deliveries and the chain cursor move together.

Everything a watcher step produces is written in ONE transaction, and the cursor moves only
if it still holds the value the watcher read. A crash at any moment therefore loses nothing
and records nothing twice: either the step is stored whole, or it is done again.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from storage.db import Dialect, StorageError, db_time, dialect, transaction
from storage.leases import chain_lease_name
from storage.models import Delivery


class CursorMoved(StorageError):
    """The cursor is not where this writer last saw it: another writer moved it."""


class LeaseLost(StorageError):
    """The chain's lease has passed to another process: this writer must stop writing."""


class StoredEvent(Protocol):
    @property
    def chain(self) -> str: ...
    @property
    def block_number(self) -> int: ...
    @property
    def block_hash(self) -> str: ...
    @property
    def transaction_hash(self) -> str: ...
    @property
    def log_index(self) -> int: ...
    @property
    def emitter(self) -> str: ...
    @property
    def selector(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def args(self) -> dict[str, Any]: ...
    @property
    def topics(self) -> tuple[str, ...]: ...
    @property
    def data(self) -> str: ...
    @property
    def msg_index(self) -> int | None: ...


class MatchedEvent(Protocol):
    """An event with the (subscription_id, destination_id) pairs it is delivered to."""

    @property
    def event(self) -> StoredEvent: ...
    @property
    def targets(self) -> tuple[tuple[int, int], ...]: ...


@dataclass(frozen=True, slots=True)
class Step:
    """One watcher step: where the cursor was, where it goes, and the block hashes to keep."""

    chain: str
    expected: tuple[int, str]
    new: tuple[int, str]
    hashes: Sequence[tuple[int, str]]
    keep_hashes: int
    """How many of the newest stored hashes to keep (the reorg window)."""
    confirmed_through: int | None = None
    """Events in blocks up to this one have their confirmations; None: every block has."""
    unconfirmed_from: int = 0
    """The lowest block that may still hold an unconfirmed event."""
    instant: frozenset[int] = frozenset()
    """Subscriptions notified before their events are confirmed (provisionally)."""
    fence: int | None = None
    """The token of the chain's lease this writer holds; None where no lease is used."""

    def is_confirmed(self, block_number: int) -> bool:
        return self.confirmed_through is None or block_number <= self.confirmed_through


@dataclass(frozen=True, slots=True)
class RollbackResult:
    reverted_events: int
    cancelled_deliveries: int
    corrections: int


def new_ids(count: int) -> list[str]:
    """UUID-shaped ids for one batch: a random 96-bit prefix and a 32-bit sequence.

    uuid4() per row costs more than the rest of storing an event; ids only need to be unique,
    and two batches sharing a random 96-bit prefix is not a practical concern.
    """
    prefix = os.urandom(12).hex()
    head = f"{prefix[:8]}-{prefix[8:12]}-{prefix[12:16]}-{prefix[16:20]}-{prefix[20:]}"
    return [f"{head}{sequence:08x}" for sequence in range(count)]


async def commit_step(step: Step, matches: Sequence[MatchedEvent], now: datetime) -> int:
    """Store matched events, one delivery per target, and the new cursor, and confirm the
    events that have just reached their confirmations; returns the number of deliveries that
    became due.

    A delivery of an unconfirmed event is due at once, marked provisional, when its
    subscription is instant; otherwise it is `waiting` until its event is confirmed.
    """
    sql = _statements(dialect())
    db_now = db_time(Delivery, "created_at", now)
    async with transaction() as conn:
        await _move_cursor(conn, sql, step.chain, step.expected, step.new, step.fence)
        created = await _insert_matches(conn, sql, step, matches, db_now) if matches else 0
        if step.confirmed_through is not None:
            created += await _confirm(conn, sql, step, db_now)
        await _save_hashes(conn, sql, step)
    return created


async def _move_cursor(
    conn: BaseDBAsyncClient,
    sql: _Sql,
    chain: str,
    expected: tuple[int, str],
    new: tuple[int, str],
    fence: int | None,
) -> None:
    """Move the cursor from where this writer saw it, under the lease token it holds: a writer
    whose lease has passed on writes nothing, and the cursor never moves under a token older
    than the last one it moved under (the fencing token's order)."""
    where = [chain, expected[0], expected[1]]
    if fence is None:
        moved, _ = await conn.execute_query(sql.move_cursor, [new[0], new[1], *where])
    else:
        _, held = await conn.execute_query(sql.lease_token, [chain_lease_name(chain)])
        if not held or int(held[0]["token"]) != fence:
            raise LeaseLost(f"{chain}: the chain's lease has passed to another process")
        values = [new[0], new[1], fence, *where, fence]
        moved, _ = await conn.execute_query(sql.move_cursor_fenced, values)
    if moved != 1:
        raise CursorMoved(f"{chain}: the cursor is no longer at block {expected[0]}")


async def _insert_matches(
    conn: BaseDBAsyncClient, sql: _Sql, step: Step, matches: Sequence[MatchedEvent], now: Any
) -> int:
    low = min(m.event.block_number for m in matches)
    high = max(m.event.block_number for m in matches)
    _, rows = await conn.execute_query(sql.existing_events, [step.chain, low, high])
    existing = {(r["block_hash"], r["transaction_hash"], r["log_index"]): r for r in rows}
    rows_of = _StepRows(step, matches, existing, now)
    # The event rows are made while they are sent, so the database stores the first ones
    # while the later ones are still being made; the delivery rows come out of the same pass.
    await insert_rows(conn, "events", EVENT_COLUMNS, rows_of.events())
    for event_id, confirmed in rows_of.reactivated:
        await conn.execute_query(sql.reactivate_event, [confirmed, event_id])
    await insert_rows(conn, "deliveries", DELIVERY_COLUMNS, iter(rows_of.deliveries))
    return rows_of.due


class _StepRows:
    """The rows one step stores: new events, their deliveries, events a reorg brought back."""

    def __init__(
        self,
        step: Step,
        matches: Sequence[MatchedEvent],
        existing: dict[tuple[str, str, int], Any],
        now: Any,
    ) -> None:
        self.step = step
        self.matches = matches
        self.existing = existing
        self.ids = iter(new_ids(len(matches) + sum(len(m.targets) for m in matches)))
        self.now = now
        self.deliveries: list[list[Any]] = []
        self.reactivated: list[tuple[str, bool]] = []
        self.due = 0

    def events(self) -> Iterator[list[Any]]:
        """The rows of the new events; the deliveries fill up as they are made."""
        step, existing, ids, now = self.step, self.existing, self.ids, self.now
        for match in self.matches:
            event = match.event
            known = existing.get((event.block_hash, event.transaction_hash, event.log_index))
            if known is not None and known["status"] == "active":
                continue  # stored by an earlier pass over these blocks: never twice
            confirmed = step.is_confirmed(event.block_number)
            if known is not None:
                event_id = str(known["id"])
                # A reorg took it away and another brought it back.
                self.reactivated.append((event_id, confirmed))
            else:
                event_id = next(ids)
                yield _event_row(event_id, event, now, confirmed)
            for subscription_id, destination_id in match.targets:
                provisional = not confirmed and subscription_id in step.instant
                due = confirmed or provisional
                status = "pending" if due else "waiting"
                self.deliveries.append(
                    [next(ids), event_id, subscription_id, destination_id, now, now, "event",
                     status, 0, provisional]
                )  # fmt: skip
                self.due += due


async def _confirm(conn: BaseDBAsyncClient, sql: _Sql, step: Step, now: Any) -> int:
    """Confirm the events whose blocks now have their confirmations: waiting deliveries become
    due, provisional ones not yet sent lose the mark, and each provisional notification already
    sent (or being sent) gets an `event.confirmed` delivery that settles it."""
    assert step.confirmed_through is not None
    _, rows = await conn.execute_query(
        sql.unconfirmed_events, [step.chain, step.unconfirmed_from, step.confirmed_through]
    )
    due = 0
    for row in rows:
        event_id = str(row["id"])
        await conn.execute_query(sql.confirm_event, [event_id])
        released, _ = await conn.execute_query(sql.release_waiting, [now, event_id])
        _, sent = await conn.execute_query(sql.provisional_sent_or_in_flight, [event_id, now])
        for target in sent:
            values = [new_ids(1)[0], event_id, target["subscription_id"]]
            await conn.execute_query(
                sql.insert_confirmation, [*values, target["destination_id"], now, now]
            )
        await conn.execute_query(sql.unmark_provisional, [event_id, now])
        due += released + len(sent)
    return due


async def insert_rows(
    conn: BaseDBAsyncClient, table: str, columns: tuple[str, ...], rows: Iterator[Sequence[Any]]
) -> None:
    """Rows of one table, each the values of `columns`, in the transaction `conn` holds."""
    sql = _statements(dialect())
    if sql.dialect.is_postgres:
        # COPY is several times faster than INSERT for the thousands of rows of a catch-up.
        first = next(rows, None)
        if first is None:
            return
        async with conn.acquire_connection() as raw:
            records = itertools.chain((first,), rows)
            await raw.copy_records_to_table(table, records=records, columns=columns)
        return
    # Many rows per statement: sqlite3 lets go of the GIL once per statement, so a
    # thousand-row INSERT leaves the event loop free to decode the next range meanwhile,
    # where executemany would contend for the GIL on every row.
    per_statement = SQLITE_MAX_VARIABLES // len(columns)
    while chunk := list(itertools.islice(rows, per_statement)):
        values = list(itertools.chain.from_iterable(chunk))
        await conn.execute_query(sql.multi_insert(table, columns, len(chunk)), values)


def _event_row(event_id: str, event: StoredEvent, now: Any, confirmed: bool) -> list[Any]:
    return [
        event_id,
        event.chain,
        event.block_number,
        event.block_hash,
        event.transaction_hash,
        event.log_index,
        event.emitter,
        event.selector,
        event.name,
        orjson.dumps(event.args).decode(),
        orjson.dumps(event.topics).decode(),
        event.data,
        event.msg_index,
        now,
        "active",
        confirmed,
    ]


async def _save_hashes(conn: BaseDBAsyncClient, sql: _Sql, step: Step) -> None:
    if step.hashes:
        await conn.execute_many(
            sql.upsert_hash,
            [[step.chain, number, block_hash] for number, block_hash in step.hashes],
        )
    await conn.execute_query(sql.prune_hashes, [step.chain, step.chain, step.keep_hashes - 1])


async def rollback(
    chain: str,
    expected: tuple[int, str],
    fork: tuple[int, str],
    orphaned_block_hashes: Sequence[str],
    now: datetime,
    fence: int | None = None,
) -> RollbackResult:
    """Undo everything above the fork point in one transaction.

    Events of orphaned blocks become `reverted`; their pending and waiting deliveries are
    cancelled; deliveries already sent (or being sent) get a correction delivery of kind
    `event.reverted`.
    """
    sql = _statements(dialect())
    db_now = db_time(Delivery, "created_at", now)
    reverted = cancelled = corrections = 0
    async with transaction() as conn:
        await _move_cursor(conn, sql, chain, expected, fork, fence)
        for block_hash in orphaned_block_hashes:
            _, rows = await conn.execute_query(
                sql.active_events_of_block, [chain, fork[0], block_hash]
            )
            for row in rows:
                counts = await _revert_event(conn, sql, str(row["id"]), db_now)
                reverted += 1
                cancelled += counts[0]
                corrections += counts[1]
        await conn.execute_query(sql.delete_hashes_above, [chain, fork[0]])
    return RollbackResult(reverted, cancelled, corrections)


async def _revert_event(
    conn: BaseDBAsyncClient, sql: _Sql, event_id: str, now: Any
) -> tuple[int, int]:
    await conn.execute_query(sql.revert_event, [event_id])
    _, sent = await conn.execute_query(sql.sent_or_in_flight, [event_id, now])
    for row in sent:
        await conn.execute_query(
            sql.insert_correction,
            [new_ids(1)[0], event_id, row["subscription_id"], row["destination_id"], now, now],
        )
    cancelled, _ = await conn.execute_query(sql.cancel_pending, [event_id])
    return cancelled, len(sent)


EVENT_COLUMNS = (
    "id", "chain", "block_number", "block_hash", "transaction_hash", "log_index", "contract",
    "selector", "event_name", "args", "topics", "data", "msg_index", "created_at", "status",
    "confirmed",
)  # fmt: skip
DELIVERY_COLUMNS = (
    "id", "event_id", "subscription_id", "destination_id", "next_attempt_at", "created_at",
    "kind", "status", "attempts", "provisional",
)  # fmt: skip


SQLITE_MAX_VARIABLES = 32_766
"""SQLite's default limit on the parameters of one statement (since 3.32)."""


@functools.cache
def _statements(d: Dialect) -> _Sql:
    return _Sql(d)


class _Sql:
    """The statements above in the dialect of the open database."""

    def __init__(self, d: Dialect) -> None:
        self.dialect = d
        p = d.placeholder
        self.move_cursor = (
            f"UPDATE chain_cursors SET block_number = {p(1)}, block_hash = {p(2)} "
            f"WHERE chain = {p(3)} AND block_number = {p(4)} AND block_hash = {p(5)}"
        )
        self.lease_token = f"SELECT token FROM leases WHERE name = {p(1)}"
        self.move_cursor_fenced = (
            f"UPDATE chain_cursors SET block_number = {p(1)}, block_hash = {p(2)}, "
            f"lease_token = {p(3)} WHERE chain = {p(4)} AND block_number = {p(5)} "
            f"AND block_hash = {p(6)} AND lease_token <= {p(7)}"
        )
        self.existing_events = (
            "SELECT id, block_hash, transaction_hash, log_index, status FROM events "
            f"WHERE chain = {p(1)} AND block_number BETWEEN {p(2)} AND {p(3)}"
        )
        self.reactivate_event = (
            f"UPDATE events SET status = 'active', confirmed = {p(1)} WHERE id = {p(2)}"
        )
        self.upsert_hash = (
            f"INSERT INTO block_hashes (chain, number, hash) VALUES ({d.placeholders(3)}) "
            "ON CONFLICT (chain, number) DO UPDATE SET hash = excluded.hash"
        )
        self.prune_hashes = (
            f"DELETE FROM block_hashes WHERE chain = {p(1)} AND number < (SELECT number "
            f"FROM block_hashes WHERE chain = {p(2)} ORDER BY number DESC LIMIT 1 OFFSET {p(3)})"
        )
        self.delete_hashes_above = (
            f"DELETE FROM block_hashes WHERE chain = {p(1)} AND number > {p(2)}"
        )
        self.active_events_of_block = (
            # Orphaned blocks lie above the fork: the bound lets the unique key serve.
            f"SELECT id FROM events WHERE chain = {p(1)} AND block_number > {p(2)} "
            f"AND block_hash = {p(3)} AND status = 'active'"
        )
        self.revert_event = f"UPDATE events SET status = 'reverted' WHERE id = {p(1)}"
        sent_or_in_flight = (
            f"(status = 'delivered' OR (status = 'pending' AND claimed_until IS NOT NULL "
            f"AND claimed_until > {p(2)}))"
        )
        self.sent_or_in_flight = (
            "SELECT subscription_id, destination_id FROM deliveries "
            f"WHERE event_id = {p(1)} AND kind = 'event' AND {sent_or_in_flight}"
        )
        insert_notice = (
            "INSERT INTO deliveries (id, event_id, subscription_id, destination_id, "
            "next_attempt_at, created_at, kind, status, attempts, provisional) "
            f"VALUES ({d.placeholders(6)}, '{{kind}}', 'pending', 0, false)"
        )
        self.insert_correction = insert_notice.format(kind="event.reverted")
        self.insert_confirmation = insert_notice.format(kind="event.confirmed")
        self.unconfirmed_events = (
            f"SELECT id FROM events WHERE chain = {p(1)} AND block_number BETWEEN {p(2)} "
            f"AND {p(3)} AND status = 'active' AND confirmed = false"
        )
        self.confirm_event = f"UPDATE events SET confirmed = true WHERE id = {p(1)}"
        self.release_waiting = (
            f"UPDATE deliveries SET status = 'pending', next_attempt_at = {p(1)} "
            f"WHERE event_id = {p(2)} AND status = 'waiting'"
        )
        self.provisional_sent_or_in_flight = (
            "SELECT subscription_id, destination_id FROM deliveries "
            f"WHERE event_id = {p(1)} AND kind = 'event' AND provisional = true "
            f"AND {sent_or_in_flight}"
        )
        self.unmark_provisional = (
            "UPDATE deliveries SET provisional = false "
            f"WHERE event_id = {p(1)} AND kind = 'event' AND status = 'pending' "
            f"AND (claimed_until IS NULL OR claimed_until <= {p(2)})"
        )
        self._multi_inserts: dict[tuple[str, int], str] = {}
        self.cancel_pending = (
            "UPDATE deliveries SET status = 'cancelled' "
            f"WHERE event_id = {p(1)} AND kind = 'event' AND status IN ('pending', 'waiting')"
        )

    def multi_insert(self, table: str, columns: tuple[str, ...], rows: int) -> str:
        """INSERT of `rows` rows; the full-size statement of each table is built only once."""
        key = (table, rows)
        if key in self._multi_inserts:
            return self._multi_inserts[key]
        group = f"({self.dialect.placeholders(len(columns))})"
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([group] * rows)}"
        if rows == SQLITE_MAX_VARIABLES // len(columns):
            self._multi_inserts[key] = statement
        return statement
