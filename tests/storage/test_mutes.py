"""Claiming deliveries of muted subscriptions, and the token facts a claim carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from storage.deliveries import claim_due, count_by_status
from storage.history import fetch_history
from storage.models import Contract, Delivery, Destination, Subscription, SubscriptionMute
from storage.subscriptions import mute_subscription
from tests.support.builders import make_subscribed_destination, make_transfer_delivery

NOW = datetime.now(UTC)


async def muted_chat(until: datetime) -> tuple[Subscription, Destination]:
    subscription, destination = await make_subscribed_destination(kind="telegram", target="1")
    owner_id = destination.user_id  # type: ignore[attr-defined]
    assert await mute_subscription(owner_id, subscription.id, until)
    return subscription, destination


async def correction_of(delivery: Delivery) -> Delivery:
    return await Delivery.create(
        id=uuid.uuid4(),
        event_id=delivery.event_id,  # type: ignore[attr-defined]
        subscription_id=delivery.subscription_id,  # type: ignore[attr-defined]
        destination_id=delivery.destination_id,  # type: ignore[attr-defined]
        kind="event.reverted",
        next_attempt_at=NOW,
        created_at=NOW,
    )


async def stored(delivery: Delivery) -> tuple[str, datetime | None]:
    row = await Delivery.get(id=delivery.id)
    return row.status, row.claimed_until


async def test_a_muted_subscriptions_delivery_ends_muted_and_is_not_claimed(db: str) -> None:
    subscription, destination = await muted_chat(NOW + timedelta(hours=1))
    delivery = await make_transfer_delivery(subscription, destination, due_at=NOW)
    assert await claim_due(NOW, 10, 60, destination_kinds=("telegram",)) == []
    assert await stored(delivery) == ("muted", None)
    later = NOW + timedelta(hours=2)
    assert await claim_due(later, 10, 60, destination_kinds=("telegram",)) == []
    assert (await count_by_status())["muted"] == 1
    page = await fetch_history(destination.user_id, 0, 10)  # type: ignore[attr-defined]
    assert [row.status for row in page.rows] == ["muted"]


async def test_a_correction_is_claimed_even_while_its_subscription_is_muted(db: str) -> None:
    subscription, destination = await make_subscribed_destination(kind="telegram", target="1")
    sent = await make_transfer_delivery(subscription, destination, due_at=NOW)
    await Delivery.filter(id=sent.id).update(status="delivered")
    correction = await correction_of(sent)
    await mute_subscription(destination.user_id, subscription.id, NOW + timedelta(hours=8))  # type: ignore[attr-defined]
    [due] = await claim_due(NOW, 10, 60, destination_kinds=("telegram",))
    assert (due.id, due.kind) == (str(correction.id), "event.reverted")
    assert (await stored(correction))[0] == "pending"


async def test_deliveries_due_after_the_mute_ends_are_claimed(db: str) -> None:
    subscription, destination = await muted_chat(NOW - timedelta(seconds=1))
    delivery = await make_transfer_delivery(subscription, destination, due_at=NOW)
    [due] = await claim_due(NOW, 10, 60, destination_kinds=("telegram",))
    assert due.id == str(delivery.id)
    assert await stored(delivery) == ("pending", NOW + timedelta(seconds=60))


async def test_a_mute_holds_back_only_its_own_subscription(db: str) -> None:
    muted, muted_destination = await muted_chat(NOW + timedelta(hours=24))
    other, other_destination = await make_subscribed_destination(kind="telegram", target="2")
    held = await make_transfer_delivery(muted, muted_destination, due_at=NOW)
    sent = await make_transfer_delivery(other, other_destination, due_at=NOW, log_index=1)
    [due] = await claim_due(NOW, 10, 60, destination_kinds=("telegram",))
    assert due.id == str(sent.id)
    assert (await stored(held))[0] == "muted"
    assert await SubscriptionMute.filter(subscription_id=muted.id).count() == 1


async def test_a_claim_carries_the_token_symbol_and_decimals_of_the_contract(db: str) -> None:
    subscription, destination = await make_subscribed_destination(kind="telegram", target="1")
    await Contract.filter(id=subscription.contract_id).update(symbol="BBT", decimals=18)  # type: ignore[attr-defined]
    await make_transfer_delivery(subscription, destination, due_at=NOW)
    [due] = await claim_due(NOW, 10, 60, destination_kinds=("telegram",))
    assert (due.token_symbol, due.token_decimals) == ("BBT", 18)


async def test_a_claim_without_token_facts_carries_none(db: str) -> None:
    subscription, destination = await make_subscribed_destination()
    await make_transfer_delivery(subscription, destination, due_at=NOW)
    [due] = await claim_due(NOW, 10, 60)
    assert (due.token_symbol, due.token_decimals) == (None, None)
