"""Webhook signing secrets at rest, on SQLite and PostgreSQL: sealed in the database, opened
for the notifier, the one replaced by a rotation signing beside the new one for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet

from storage.deliveries import DueDestination, claim_due
from storage.models import Destination
from storage.secret_box import secret_box, use_secret_keys
from storage.users import rotate_webhook_secret, seal_plain_secrets
from tests.support.builders import make_subscribed_destination, make_transfer_delivery
from tests.support.database import LOCAL_SECRET_KEY

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, NEW = "whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0", "whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0"


async def claimed_destination(at: datetime) -> DueDestination:
    (due,) = await claim_due(at, 10, 3600)
    return due.destination


async def test_secrets_stored_plain_are_sealed_and_opened_for_sending(db: str) -> None:
    subscription, destination = await make_subscribed_destination(secret=OLD)
    await make_transfer_delivery(subscription, destination, due_at=NOW)

    assert await seal_plain_secrets() == 1
    assert await seal_plain_secrets() == 0
    stored = await Destination.get(id=destination.id)
    assert stored.secret is None and stored.sealed_secret and OLD not in stored.sealed_secret
    sent_with = await claimed_destination(NOW)
    assert (sent_with.secret, sent_with.previous_secret) == (OLD, None)
    assert OLD not in repr(sent_with)


async def test_a_rotated_secret_signs_beside_the_new_one_until_the_overlap_ends(db: str) -> None:
    subscription, destination = await make_subscribed_destination(secret=OLD)
    until = NOW + timedelta(hours=1)
    assert await rotate_webhook_secret(
        destination.user_id, destination.id, NEW, overlap_until=until
    )
    assert not await rotate_webhook_secret(
        destination.user_id + 1, destination.id, OLD, overlap_until=until
    )

    await make_transfer_delivery(subscription, destination, due_at=NOW, log_index=1)
    during = await claimed_destination(NOW + timedelta(minutes=59))
    await make_transfer_delivery(subscription, destination, due_at=NOW, log_index=2)
    after = await claimed_destination(NOW + timedelta(minutes=61))

    assert (during.secret, during.previous_secret) == (NEW, OLD)
    assert (after.secret, after.previous_secret) == (NEW, None)
    stored = await Destination.get(id=destination.id)
    assert stored.secret is None
    assert stored.previous_sealed_secret and secret_box().open(stored.previous_sealed_secret) == OLD


async def test_a_secret_sealed_with_another_key_is_reported_not_sent(db: str) -> None:
    subscription, destination = await make_subscribed_destination(secret=OLD)
    await make_transfer_delivery(subscription, destination, due_at=NOW)
    await seal_plain_secrets()
    use_secret_keys([Fernet.generate_key().decode()])
    try:
        lost_key = await claimed_destination(NOW)
    finally:
        use_secret_keys([LOCAL_SECRET_KEY])
    assert (lost_key.secret, lost_key.secret_unreadable) == (None, True)
