"""The outbox transaction: events, deliveries and cursor move together, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.db import connection
from storage.models import BlockHash, ChainCursor, Delivery, Event
from storage.outbox import CursorMoved, Step, commit_step, rollback
from storage.progress import create_progress, fetch_event_blocks_above, fetch_recent_hashes
from tests.support.builders import block_hash, make_subscription, transfer_match

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def step(frm: int, to: int, fork: str = "a") -> Step:
    return Step(
        chain="anvil",
        expected=(frm, block_hash(frm)),
        new=(to, block_hash(to, fork)),
        hashes=[(n, block_hash(n, fork)) for n in range(frm + 1, to + 1)],
        keep_hashes=3,
    )


async def test_commit_stores_events_deliveries_and_moves_the_cursor(db: str) -> None:
    sub = await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    matches = [transfer_match(sub, block_number=11, block_hash=block_hash(11), value=10**30)]

    created = await commit_step(step(10, 12), matches, NOW)

    assert created == 1
    event = await Event.get()
    assert event.args["value"] == str(10**30)
    delivery = await Delivery.get()
    assert (delivery.status, delivery.kind, delivery.attempts) == ("pending", "event", 0)
    assert delivery.next_attempt_at == NOW
    cursor = await ChainCursor.get(chain="anvil")
    assert (cursor.block_number, cursor.block_hash) == (12, block_hash(12))
    assert [n for n, _ in await fetch_recent_hashes("anvil", 10)] == [12, 11, 10]
    await commit_step(step(12, 14), [], NOW)
    assert [n for n, _ in await fetch_recent_hashes("anvil", 10)] == [14, 13, 12]


async def test_times_are_stored_as_the_orm_stores_them(db: str) -> None:
    sub = await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    matches = [transfer_match(sub, block_number=11, block_hash=block_hash(11))]
    await commit_step(step(10, 12), matches, NOW)
    # SQLite compares stored times as text: the ORM's own filters find them only if the
    # outbox wrote them exactly as the ORM would.
    assert await Delivery.filter(created_at=NOW, next_attempt_at=NOW).count() == 1
    assert await Event.filter(created_at=NOW).count() == 1
    assert await Delivery.filter(next_attempt_at__lt=NOW).count() == 0


async def test_replaying_the_same_blocks_records_nothing_twice(db: str) -> None:
    sub = await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    matches = [transfer_match(sub, block_number=11, block_hash=block_hash(11))]
    await commit_step(step(10, 11), matches, NOW)
    await ChainCursor.filter(chain="anvil").update(block_number=10, block_hash=block_hash(10))

    assert await commit_step(step(10, 11), matches, NOW) == 0
    assert await Event.all().count() == 1
    assert await Delivery.all().count() == 1


async def test_a_stale_writer_cannot_move_the_cursor(db: str) -> None:
    sub = await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    await commit_step(step(10, 11), [], NOW)

    with pytest.raises(CursorMoved):
        await commit_step(
            step(10, 11), [transfer_match(sub, block_number=11, block_hash=block_hash(11))], NOW
        )
    assert await Event.all().count() == 0


async def test_rollback_reverts_orphaned_events_and_corrects_sent_ones(db: str) -> None:
    sub = await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    matches = [
        transfer_match(sub, block_number=11, block_hash=block_hash(11), log_index=0),
        transfer_match(sub, block_number=12, block_hash=block_hash(12), log_index=0),
    ]
    await commit_step(step(10, 12), matches, NOW)
    sent = await Delivery.filter(event__block_number=11).get()
    sent.status = "delivered"
    await sent.save()

    assert await fetch_event_blocks_above("anvil", 10) in (
        [(11, block_hash(11)), (12, block_hash(12))],
        [(12, block_hash(12)), (11, block_hash(11))],
    )
    result = await rollback(
        "anvil", (12, block_hash(12)), (10, block_hash(10)), [block_hash(11), block_hash(12)], NOW
    )

    assert (result.reverted_events, result.cancelled_deliveries, result.corrections) == (2, 1, 1)
    assert set(await Event.all().values_list("status", flat=True)) == {"reverted"}
    statuses = sorted(await Delivery.all().values_list("kind", "status"))
    assert statuses == [
        ("event", "cancelled"),
        ("event", "delivered"),
        ("event.reverted", "pending"),
    ]
    assert await BlockHash.filter(number__gt=10).count() == 0
    cursor = await ChainCursor.get(chain="anvil")
    assert cursor.block_number == 10


async def test_an_event_brought_back_by_a_second_reorg_is_delivered_again(db: str) -> None:
    sub = await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    matches = [transfer_match(sub, block_number=11, block_hash=block_hash(11))]
    await commit_step(step(10, 11), matches, NOW)
    await rollback("anvil", (11, block_hash(11)), (10, block_hash(10)), [block_hash(11)], NOW)

    assert await commit_step(step(10, 11), matches, NOW) == 1
    assert await Event.filter(status="active").count() == 1
    assert await Delivery.filter(status="pending").count() == 1


def head_step(frm: int, to: int, *, head: int, instant: frozenset[int]) -> Step:
    """A step of a watcher that follows the head of a chain with two confirmations."""
    return Step(
        chain="anvil",
        expected=(frm, block_hash(frm)),
        new=(to, block_hash(to)),
        hashes=[(n, block_hash(n)) for n in range(frm + 1, to + 1)],
        keep_hashes=10,
        confirmed_through=head - 2,
        unconfirmed_from=0,
        instant=instant,
    )


async def kinds_and_states() -> list[tuple[int, str, str, bool]]:
    rows = await Delivery.all().order_by("created_at", "kind")
    return sorted((r.subscription_id, r.kind, r.status, r.provisional) for r in rows)  # type: ignore[attr-defined]


async def test_unconfirmed_events_wait_unless_instant_and_confirmation_settles_both(
    db: str,
) -> None:
    instant, patient = await make_subscription(), await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    match = transfer_match(instant, block_number=11, block_hash=block_hash(11))
    both = type(match)(
        match.event, (*match.targets, (patient.subscription_id, patient.destination_id))
    )

    due = await commit_step(
        head_step(10, 11, head=11, instant=frozenset({instant.subscription_id})), [both], NOW
    )
    assert due == 1
    assert not (await Event.get()).confirmed
    assert await kinds_and_states() == [
        (instant.subscription_id, "event", "pending", True),
        (patient.subscription_id, "event", "waiting", False),
    ]
    await Delivery.filter(subscription_id=instant.subscription_id).update(status="delivered")

    due = await commit_step(
        head_step(11, 13, head=13, instant=frozenset({instant.subscription_id})), [], NOW
    )
    assert due == 2  # the patient chat's notification, and the confirmation of the instant one
    assert (await Event.get()).confirmed
    assert await kinds_and_states() == [
        (instant.subscription_id, "event", "delivered", True),
        (instant.subscription_id, "event.confirmed", "pending", False),
        (patient.subscription_id, "event", "pending", False),
    ]


async def test_flags_and_missing_values_are_stored_as_the_orm_stores_them(db: str) -> None:
    instant, patient = await make_subscription(), await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    match = transfer_match(instant, block_number=11, block_hash=block_hash(11))
    both = type(match)(
        match.event, (*match.targets, (patient.subscription_id, patient.destination_id))
    )
    await commit_step(
        head_step(10, 11, head=11, instant=frozenset({instant.subscription_id})), [both], NOW
    )
    # SQL written by hand (the outbox's own statements among it) compares flags with the
    # literals true and false and looks for missing values with IS NULL; the ORM's filters
    # would not tell, since they bind their values as the outbox does.
    sql = connection().execute_query_dict
    unconfirmed = "SELECT id FROM events WHERE confirmed = false AND msg_index IS NULL"
    assert len(await sql(unconfirmed)) == 1
    for flag, subscription in (("true", instant), ("false", patient)):
        found = await sql(f"SELECT subscription_id FROM deliveries WHERE provisional = {flag}")
        assert [row["subscription_id"] for row in found] == [subscription.subscription_id]


async def test_a_reorg_cancels_waiting_deliveries_without_a_correction(db: str) -> None:
    patient = await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    match = transfer_match(patient, block_number=11, block_hash=block_hash(11))
    await commit_step(head_step(10, 11, head=11, instant=frozenset()), [match], NOW)

    await rollback("anvil", (11, block_hash(11)), (10, block_hash(10)), [block_hash(11)], NOW)

    assert await kinds_and_states() == [(patient.subscription_id, "event", "cancelled", False)]
