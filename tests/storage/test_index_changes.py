"""What a watcher reads when the subscriptions change, on SQLite and PostgreSQL: only the
subscriptions that changed since the version it holds, each with what it is now."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.models import Destination
from storage.subscriptions import (
    IndexChanges,
    fetch_index_changes,
    fetch_index_version,
    set_owned_subscription_instant,
    set_subscription_status,
)
from storage.users import reactivate_webhook_destination
from tests.support.builders import (
    ERC20_ABI,
    make_subscribed_destination,
    make_transfer_delivery,
    record_gone,
    subscribe_transfers_by_webhook,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def summary(changes: IndexChanges) -> tuple[list[tuple[int, bool]], list[int]]:
    return [(s.subscription_id, s.instant) for s in changes.active], changes.gone


async def test_a_first_read_holds_the_active_subscriptions_and_later_reads_what_changed(
    db: str,
) -> None:
    first = await subscribe_transfers_by_webhook()
    second = await subscribe_transfers_by_webhook(url="https://hooks.example/other")
    paused = await subscribe_transfers_by_webhook()
    elsewhere = await subscribe_transfers_by_webhook(chain="other")
    await set_subscription_status(paused, "paused")
    loaded = await fetch_index_changes("anvil", -1)
    assert summary(loaded) == ([(first, False), (second, False)], [])
    assert loaded.version == await fetch_index_version()
    assert loaded.active[0].abi == ERC20_ABI
    assert loaded.active[0].abi is loaded.active[1].abi  # one ABI decoded once

    await set_subscription_status(first, "paused")
    owner = (await Destination.get(subscriptions__id=second)).user_id
    assert await set_owned_subscription_instant(owner, second, True)
    await set_subscription_status(elsewhere, "deleted")
    changes = await fetch_index_changes("anvil", loaded.version)

    assert summary(changes) == ([(second, True)], [first])
    assert changes.version == loaded.version + 3
    assert summary(await fetch_index_changes("anvil", changes.version)) == ([], [])
    assert summary(await fetch_index_changes("other", loaded.version)) == ([], [elsewhere])


async def test_a_destination_turned_off_and_on_again_takes_its_subscriptions_with_it(
    db: str,
) -> None:
    subscription, destination = await make_subscribed_destination()
    delivery = await make_transfer_delivery(subscription, destination, due_at=NOW)
    loaded = await fetch_index_changes("anvil", -1)
    assert summary(loaded) == ([(subscription.id, False)], [])

    await record_gone(str(delivery.id), NOW)
    disabled = await fetch_index_changes("anvil", loaded.version)
    assert summary(disabled) == ([], [subscription.id])

    assert await reactivate_webhook_destination(destination.user_id, destination.id) == "webhook"
    again = await fetch_index_changes("anvil", disabled.version)
    assert summary(again) == ([(subscription.id, False)], [])
