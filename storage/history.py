"""The notifications an owner's subscriptions produced, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.models import Delivery


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One notification: the event it was about and how its delivery went."""

    subscription_id: int
    created_at: datetime
    status: str
    kind: str
    chain: str
    event_name: str | None
    block_number: int
    transaction_hash: str


@dataclass(frozen=True, slots=True)
class HistoryPage:
    rows: tuple[HistoryRow, ...]
    total: int


async def fetch_history(owner_id: int, offset: int, limit: int) -> HistoryPage:
    """`limit` notifications of the owner's subscriptions after skipping the `offset` newest."""
    # A confirmation edits the notification it confirms: it is not one of its own.
    query = Delivery.filter(subscription__user_id=owner_id).exclude(kind="event.confirmed")
    total = await query.count()
    rows = (
        await query.order_by("-created_at", "-id")
        .offset(offset)
        .limit(limit)
        .values(
            "subscription_id",
            "created_at",
            "status",
            "kind",
            chain="event__chain",
            event_name="event__event_name",
            block_number="event__block_number",
            transaction_hash="event__transaction_hash",
        )
    )
    return HistoryPage(tuple(HistoryRow(**row) for row in rows), total)
