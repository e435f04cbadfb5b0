"""Claiming due deliveries and recording attempts, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.attempts import AttemptRecord, record_attempt, record_attempts
from storage.deliveries import AbiParam, claim_due, count_by_status, list_deliveries
from storage.models import Delivery, DeliveryAttempt, Destination, Subscription
from tests.support.builders import (
    ALICE,
    TRANSFER_TOPIC,
    make_subscribed_destination,
    make_transfer_delivery,
    record_gone,
)

NOW = datetime.now(UTC).replace(microsecond=0)
# ERC-20 and ERC-721 both call their event Transfer; only the indexed count tells them apart.
ABI = [
    {"type": "function", "name": "transfer", "inputs": []},
    {
        "type": "event",
        "name": "Transfer",
        "anonymous": False,
        "inputs": [
            {"name": "from", "type": "address", "indexed": True},
            {"name": "to", "type": "address", "indexed": True},
            {"name": "tokenId", "type": "uint256", "indexed": True},
        ],
    },
    {
        "type": "event",
        "name": "Transfer",
        "anonymous": False,
        "inputs": [
            {"name": "from", "type": "address", "indexed": True},
            {"name": "to", "type": "address", "indexed": True},
            {"name": "", "type": "uint256", "indexed": False},
        ],
    },
]


async def new_destination(kind: str = "webhook") -> tuple[Subscription, Destination]:
    return await make_subscribed_destination(kind=kind, abi=ABI)


async def new_delivery(
    subscription: Subscription,
    destination: Destination,
    *,
    due_at: datetime = NOW,
    log_index: int = 0,
    event_name: str | None = "Transfer",
) -> Delivery:
    return await make_transfer_delivery(
        subscription,
        destination,
        due_at=due_at,
        created_at=NOW + timedelta(milliseconds=log_index),
        log_index=log_index,
        event_name=event_name,
        recipient=ALICE,
        value=5,
        value_name="arg2",  # the ABI leaves the value unnamed
    )


async def test_claim_returns_everything_needed_to_send(db: str) -> None:
    subscription, destination = await new_destination()
    delivery = await new_delivery(subscription, destination)
    [due] = await claim_due(NOW, 10, 60)
    assert due.id == str(delivery.id)
    assert (due.kind, due.attempts, due.subscription_id) == ("event", 0, subscription.id)
    assert (due.destination.id, due.destination.kind) == (destination.id, "webhook")
    assert due.destination.target == "https://example.com/hook"
    assert due.destination.secret == "whsec_c2VjcmV0"
    assert "whsec" not in repr(due)
    assert due.event.block_number == 7
    assert due.event.args == {"from": ALICE, "to": ALICE, "arg2": "5"}
    assert due.event.topics[0] == TRANSFER_TOPIC
    assert due.event.data.endswith("05")
    assert due.abi_inputs == (
        AbiParam("from", "address", indexed=True),
        AbiParam("to", "address", indexed=True),
        AbiParam("arg2", "uint256", indexed=False),
    )


async def test_abi_inputs_are_empty_when_the_event_is_undecoded(db: str) -> None:
    subscription, destination = await new_destination()
    await new_delivery(subscription, destination, event_name=None)
    [due] = await claim_due(NOW, 10, 60)
    assert due.event.event_name is None
    assert due.abi_inputs == ()


async def test_only_due_pending_webhook_deliveries_are_claimed(db: str) -> None:
    subscription, destination = await new_destination()
    due_now = await new_delivery(subscription, destination, log_index=0)
    await new_delivery(subscription, destination, log_index=1, due_at=NOW + timedelta(seconds=1))
    delivered = await new_delivery(subscription, destination, log_index=2)
    await Delivery.filter(id=delivered.id).update(status="delivered")
    telegram_subscription, telegram = await new_destination(kind="telegram")
    await new_delivery(telegram_subscription, telegram, log_index=3)
    claimed = await claim_due(NOW, 10, 60)
    assert [d.id for d in claimed] == [str(due_now.id)]


async def test_claim_takes_the_oldest_due_first_up_to_the_limit(db: str) -> None:
    subscription, destination = await new_destination()
    deliveries = [
        await new_delivery(subscription, destination, log_index=i, due_at=NOW - timedelta(hours=i))
        for i in range(5)
    ]
    claimed = await claim_due(NOW, 2, 60)
    assert [d.id for d in claimed] == [str(deliveries[4].id), str(deliveries[3].id)]


async def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_expires(db: str) -> None:
    subscription, destination = await new_destination()
    delivery = await new_delivery(subscription, destination)
    assert len(await claim_due(NOW, 10, 60)) == 1
    assert await claim_due(NOW + timedelta(seconds=59), 10, 60) == []
    [reclaimed] = await claim_due(NOW + timedelta(seconds=61), 10, 60)
    assert reclaimed.id == str(delivery.id)


async def test_concurrent_claimers_never_claim_the_same_delivery(db: str) -> None:
    subscription, destination = await new_destination()
    for i in range(60):
        await new_delivery(subscription, destination, log_index=i)

    async def claimer() -> list[str]:
        mine: list[str] = []
        while batch := await claim_due(NOW, 7, 60):
            mine.extend(d.id for d in batch)
        return mine

    claims = await asyncio.gather(*(claimer() for _ in range(4)))
    every_claim = [delivery_id for claim in claims for delivery_id in claim]
    assert len(every_claim) == len(set(every_claim)) == 60


async def test_recording_a_delivered_attempt_sets_sent_at_and_latency(db: str) -> None:
    subscription, destination = await new_destination()
    delivery = await new_delivery(subscription, destination)
    [due] = await claim_due(NOW, 10, 60)
    await record_attempt(
        due.id, 1, NOW, "success", 200, None, 12.5, status="delivered", next_attempt_at=None
    )
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.attempts, stored.response_code) == ("delivered", 1, 200)
    assert (stored.sent_at, stored.latency_ms, stored.claimed_until) == (NOW, 12.5, None)
    attempt = await DeliveryAttempt.get(delivery_id=delivery.id)
    assert (attempt.number, attempt.outcome, attempt.latency_ms) == (1, "success", 12.5)


async def test_recording_a_retry_reschedules_and_releases_the_claim(db: str) -> None:
    subscription, destination = await new_destination()
    delivery = await new_delivery(subscription, destination)
    await claim_due(NOW, 10, 60)
    retry_at = NOW + timedelta(seconds=5)
    await record_attempt(
        str(delivery.id),
        1,
        NOW,
        "http_error",
        503,
        "HTTP 503: busy",
        40.0,
        status="pending",
        next_attempt_at=retry_at,
    )
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.next_attempt_at, stored.claimed_until) == (
        "pending",
        retry_at,
        None,
    )
    assert (stored.last_error, stored.sent_at) == ("HTTP 503: busy", None)
    assert await claim_due(NOW + timedelta(seconds=4), 10, 60) == []
    assert len(await claim_due(retry_at, 10, 60)) == 1


async def test_disabling_the_destination_cancels_its_other_pending_deliveries(db: str) -> None:
    subscription, destination = await new_destination()
    gone = await new_delivery(subscription, destination, log_index=0)
    sibling = await new_delivery(subscription, destination, log_index=1)
    other_subscription, other_destination = await new_destination()
    unrelated = await new_delivery(other_subscription, other_destination, log_index=2)
    await record_gone(str(gone.id), NOW)
    stored = await Destination.get(id=destination.id)
    assert (stored.status, stored.disabled_reason) == ("disabled", "the endpoint answered 410 Gone")
    assert (await Delivery.get(id=gone.id)).status == "dead"
    assert (await Delivery.get(id=sibling.id)).status == "cancelled"
    assert (await Delivery.get(id=unrelated.id)).status == "pending"
    assert (await Destination.get(id=other_destination.id)).status == "active"


async def test_a_late_attempt_record_does_not_revive_a_cancelled_delivery(db: str) -> None:
    subscription, destination = await new_destination()
    delivery = await new_delivery(subscription, destination)
    await claim_due(NOW, 10, 60)
    await Delivery.filter(id=delivery.id).update(status="cancelled")
    await record_attempt(
        str(delivery.id),
        1,
        NOW,
        "network_error",
        None,
        "timeout",
        15000.0,
        status="pending",
        next_attempt_at=NOW + timedelta(seconds=5),
    )
    assert (await Delivery.get(id=delivery.id)).status == "cancelled"
    assert await DeliveryAttempt.filter(delivery_id=delivery.id).count() == 1


async def test_counts_and_listing_by_status(db: str) -> None:
    subscription, destination = await new_destination()
    deliveries = [await new_delivery(subscription, destination, log_index=i) for i in range(3)]
    await Delivery.filter(id=deliveries[0].id).update(status="dead", last_error="HTTP 404")
    assert await count_by_status() == {
        "waiting": 0,
        "pending": 2,
        "delivered": 0,
        "dead": 1,
        "cancelled": 0,
        "muted": 0,
    }
    [dead] = await list_deliveries("dead", 10)
    assert (dead.id, dead.status, dead.last_error) == (str(deliveries[0].id), "dead", "HTTP 404")
    assert (dead.chain, dead.event_name, dead.block_number) == ("anvil", "Transfer", 7)
    assert dead.next_attempt_at == NOW
    recent = await list_deliveries(None, 2)
    assert [row.id for row in recent] == [str(deliveries[2].id), str(deliveries[1].id)]


async def test_a_batch_of_attempts_is_recorded_in_one_call(db: str) -> None:
    subscription, destination = await new_destination()
    sent, retried, dead = [
        await new_delivery(subscription, destination, log_index=i) for i in range(3)
    ]
    await claim_due(NOW, 10, 60)
    retry_at = NOW + timedelta(seconds=10)
    await record_attempts(
        [
            AttemptRecord(str(sent.id), 1, NOW, "success", 200, None, 8.0, "delivered", None),
            AttemptRecord(
                str(retried.id), 1, NOW, "http_error", 503, "HTTP 503", 9.0, "pending", retry_at
            ),
            AttemptRecord(str(dead.id), 1, NOW, "http_error", 404, "HTTP 404", 7.0, "dead", None),
        ]
    )
    stored = {d.id: d for d in await Delivery.all()}
    assert (stored[sent.id].status, stored[sent.id].sent_at) == ("delivered", NOW)
    assert stored[sent.id].latency_ms == 8.0
    assert (stored[retried.id].status, stored[retried.id].next_attempt_at) == ("pending", retry_at)
    assert (stored[retried.id].last_error, stored[retried.id].sent_at) == ("HTTP 503", None)
    assert (stored[dead.id].status, stored[dead.id].response_code) == ("dead", 404)
    assert all(d.claimed_until is None and d.attempts == 1 for d in stored.values())
    attempts = await DeliveryAttempt.all().order_by("latency_ms")
    assert [a.outcome for a in attempts] == ["http_error", "success", "http_error"]


async def test_a_delivery_sent_in_the_batch_that_disables_its_destination_stays_sent(
    db: str,
) -> None:
    subscription, destination = await new_destination()
    gone, sent, waiting = [
        await new_delivery(subscription, destination, log_index=i) for i in range(3)
    ]
    await record_attempts(
        [
            AttemptRecord(
                str(gone.id), 1, NOW, "http_error", 410, "HTTP 410", 3.0, "dead", None, "gone"
            ),
            AttemptRecord(str(sent.id), 1, NOW, "success", 200, None, 4.0, "delivered", None),
        ]
    )
    assert (await Destination.get(id=destination.id)).status == "disabled"
    assert (await Delivery.get(id=gone.id)).status == "dead"
    assert (await Delivery.get(id=sent.id)).status == "delivered"
    assert (await Delivery.get(id=waiting.id)).status == "cancelled"
