"""Recording attempts: what each send of a delivery did, and the delivery's state after it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from storage.db import Dialect, db_time, dialect, transaction
from storage.models import Delivery, DeliveryAttempt, Destination
from storage.subscriptions import bump_index_version


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt at a delivery and the delivery's state after it; `message_ref` is the chat's
    id of the message the attempt produced."""

    delivery_id: str
    number: int
    started_at: datetime
    outcome: str
    response_code: int | None
    error: str | None
    latency_ms: float
    status: str
    next_attempt_at: datetime | None
    disable_destination_reason: str | None = None
    message_ref: str | None = None


async def record_attempt(
    delivery_id: str,
    number: int,
    started_at: datetime,
    outcome: str,
    response_code: int | None,
    error: str | None,
    latency_ms: float,
    *,
    status: str,
    next_attempt_at: datetime | None,
    disable_destination_reason: str | None = None,
    message_ref: str | None = None,
) -> None:
    """Store one attempt and the delivery's new state in one transaction."""
    await record_attempts(
        [
            AttemptRecord(
                delivery_id,
                number,
                started_at,
                outcome,
                response_code,
                error,
                latency_ms,
                status,
                next_attempt_at,
                disable_destination_reason,
                message_ref,
            )
        ]
    )


async def record_attempts(attempts: Sequence[AttemptRecord]) -> None:
    """Store attempts and their deliveries' new states in one transaction, with two prepared
    statements each sent for every attempt at once (executemany: one round trip, not one per
    row).

    A delivery is only updated while still pending: the watcher may have cancelled it (reorg)
    or another notifier may have finished it after this one's lease expired. Destinations are
    disabled after every delivery of the batch is updated, so a delivery sent in the same
    batch stays recorded as sent rather than cancelled.
    """
    if not attempts:
        return
    sql = _record_statements(dialect())
    async with transaction() as db:
        await db.execute_many(sql.insert_attempt, [_attempt_row(a) for a in attempts])
        await db.execute_many(sql.update_delivery, [_delivery_row(a) for a in attempts])
        for attempt in attempts:
            if attempt.disable_destination_reason is not None:
                await _disable_destination(
                    db, attempt.delivery_id, attempt.disable_destination_reason
                )


class _RecordSql:
    """The statements that record an attempt, in the dialect of the open database."""

    def __init__(self, d: Dialect) -> None:
        def p(index: int) -> str:
            return f"${index}" if d.is_postgres else f"?{index}"

        self.insert_attempt = (
            "INSERT INTO delivery_attempts (delivery_id, number, started_at, outcome, "
            f"response_code, error, latency_ms) VALUES ({d.placeholders(7)})"
        )
        # Parameters: id, number, status, error, response code, next attempt (None keeps the
        # delivery's), then sent_at, latency and message ref, each kept unless the last one,
        # whether the delivery was delivered, is true.
        delivered = p(10)
        self.update_delivery = (
            f"UPDATE deliveries SET attempts = {p(2)}, status = {p(3)}, claimed_until = NULL, "
            f"last_error = {p(4)}, response_code = {p(5)}, "
            f"next_attempt_at = COALESCE({p(6)}, next_attempt_at), "
            f"sent_at = CASE WHEN {delivered} THEN {p(7)} ELSE sent_at END, "
            f"latency_ms = CASE WHEN {delivered} THEN {p(8)} ELSE latency_ms END, "
            f"message_ref = CASE WHEN {delivered} THEN {p(9)} ELSE message_ref END "
            f"WHERE id = {p(1)} AND status = 'pending'"
        )


@cache
def _record_statements(d: Dialect) -> _RecordSql:
    return _RecordSql(d)


def _attempt_row(a: AttemptRecord) -> list[Any]:
    started_at = db_time(DeliveryAttempt, "started_at", a.started_at)
    return [
        a.delivery_id, a.number, started_at, a.outcome, a.response_code, a.error, a.latency_ms,
    ]  # fmt: skip


def _delivery_row(a: AttemptRecord) -> list[Any]:
    next_attempt_at = (
        None
        if a.next_attempt_at is None
        else db_time(Delivery, "next_attempt_at", a.next_attempt_at)
    )
    sent_at = db_time(Delivery, "sent_at", a.started_at)
    return [
        a.delivery_id, a.number, a.status, a.error, a.response_code, next_attempt_at, sent_at,
        a.latency_ms, a.message_ref, a.status == "delivered",
    ]  # fmt: skip


async def _disable_destination(db: BaseDBAsyncClient, delivery_id: str, reason: str) -> None:
    """Disable the delivery's destination and cancel everything still pending for it."""
    destination_ids = [
        int(row["destination_id"])
        for row in await Delivery.filter(id=delivery_id).using_db(db).values("destination_id")
    ]
    # Only a destination still active changes: its owner is told once, whatever else fails.
    disabled = await (
        Destination.filter(id__in=destination_ids, status="active")
        .using_db(db)
        .update(status="disabled", disabled_reason=reason, notice_owed=True)
    )
    if disabled:  # watchers stop matching its subscriptions
        await bump_index_version(db, destinations=destination_ids)
    await (
        Delivery.filter(destination_id__in=destination_ids, status="pending")
        .exclude(id=delivery_id)
        .using_db(db)
        .update(
            status="cancelled", claimed_until=None, last_error=f"destination disabled: {reason}"
        )
    )
