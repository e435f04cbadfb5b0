"""Subscription storage on SQLite and PostgreSQL: creating, listing, matching sources, versions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from storage.db import normalize_database_url
from storage.models import Contract, Destination, Subscription, User
from storage.secret_box import secret_box
from storage.subscriptions import (
    NOTIFY_CHANNEL,
    ActiveSubscription,
    create_webhook_subscription,
    ensure_cli_user,
    fetch_active_subscriptions,
    fetch_index_version,
    list_subscriptions,
    set_subscription_status,
)
from tests.support.builders import TRANSFER_TOPIC
from tests.support.database import opened_database
from watcher.abi import find_event
from watcher.standards import STANDARDS

TRANSFER = find_event(STANDARDS["erc20"], "Transfer")
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


async def subscribe(user_id: int, chain: str = "anvil", **changes: Any) -> Any:
    values: dict[str, Any] = {
        "user_id": user_id,
        "chain": chain,
        "address": TOKEN,
        "abi": [TRANSFER],
        "standard": None,
        "event_name": "Transfer",
        "selector": TRANSFER_TOPIC,
        "filter_expr": "value > 1000",
        "url": "https://hooks.example/blockbell",
        "secret": "whsec_c2VjcmV0",
    }
    return await create_webhook_subscription(**{**values, **changes})


async def test_the_cli_user_is_created_once(db: str) -> None:
    first = await ensure_cli_user()
    assert await ensure_cli_user() == first
    assert await User.all().count() == 1


async def test_a_webhook_subscription_is_stored_whole_and_bumps_the_version(db: str) -> None:
    user_id = await ensure_cli_user()
    assert await fetch_index_version() == 0
    created = await subscribe(user_id)
    assert created.secret == "whsec_c2VjcmV0"
    assert await fetch_index_version() == 1
    (row,) = await list_subscriptions()
    assert (row.id, row.user_id, row.chain, row.address) == (
        created.subscription_id,
        user_id,
        "anvil",
        TOKEN.lower(),
    )
    assert (row.event_name, row.selector, row.filter_expr, row.status) == (
        "Transfer",
        TRANSFER_TOPIC,
        "value > 1000",
        "active",
    )
    assert (row.destination_id, row.destination_kind, row.destination_target) == (
        created.destination_id,
        "webhook",
        "https://hooks.example/blockbell",
    )
    destination = await Destination.get(id=created.destination_id)
    assert destination.secret is None and destination.user_id == user_id
    assert destination.sealed_secret is not None and "c2VjcmV0" not in destination.sealed_secret
    assert secret_box().open(destination.sealed_secret) == "whsec_c2VjcmV0"
    await subscribe(user_id, event_name=None, selector=None, filter_expr="")
    assert await fetch_index_version() == 2


async def test_a_failed_creation_leaves_nothing_behind(db: str) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key|constraint"):
        await subscribe(user_id=4242)
    assert await Contract.all().count() == 0
    assert await Destination.all().count() == 0
    assert await fetch_index_version() == 0


async def test_active_subscriptions_carry_what_the_matcher_needs(db: str) -> None:
    user_id = await ensure_cli_user()
    created = await subscribe(user_id)
    everything = await subscribe(user_id, event_name=None, selector=None, filter_expr="")
    await subscribe(user_id, chain="mainnet")
    assert await fetch_active_subscriptions("anvil") == [
        ActiveSubscription(
            subscription_id=created.subscription_id,
            destination_id=created.destination_id,
            address=TOKEN.lower(),
            selector=TRANSFER_TOPIC,
            event_name="Transfer",
            filter_expr="value > 1000",
            abi=[TRANSFER],
        ),
        ActiveSubscription(
            subscription_id=everything.subscription_id,
            destination_id=everything.destination_id,
            address=TOKEN.lower(),
            selector=None,
            event_name=None,
            filter_expr="",
            abi=[TRANSFER],
        ),
    ]


async def test_paused_subscriptions_and_disabled_destinations_are_not_matched(db: str) -> None:
    user_id = await ensure_cli_user()
    paused, disabled, kept = [await subscribe(user_id) for _ in range(3)]
    assert await set_subscription_status(paused.subscription_id, "paused") is True
    await Destination.filter(id=disabled.destination_id).update(status="disabled")
    active = await fetch_active_subscriptions("anvil")
    assert [s.subscription_id for s in active] == [kept.subscription_id]
    assert await set_subscription_status(paused.subscription_id, "active") is True
    active = await fetch_active_subscriptions("anvil")
    assert [s.subscription_id for s in active] == [paused.subscription_id, kept.subscription_id]


async def test_status_changes_bump_the_version_only_when_something_changed(db: str) -> None:
    created = await subscribe(await ensure_cli_user())
    assert await fetch_index_version() == 1
    assert await set_subscription_status(created.subscription_id + 100, "paused") is False
    assert await fetch_index_version() == 1
    assert await set_subscription_status(created.subscription_id, "deleted") is True
    assert await fetch_index_version() == 2
    assert (await Subscription.get(id=created.subscription_id)).status == "deleted"
    with pytest.raises(ValueError, match="status"):
        await set_subscription_status(created.subscription_id, "gone")


async def test_concurrent_changes_never_lose_a_version_bump(db: str) -> None:
    created = await subscribe(await ensure_cli_user())
    statuses = ["paused", "active"] * 5
    await asyncio.gather(*(set_subscription_status(created.subscription_id, s) for s in statuses))
    assert await fetch_index_version() == 11


async def test_listing_can_be_limited_to_one_user(db: str) -> None:
    cli_user = await ensure_cli_user()
    other = await User.create()
    await subscribe(cli_user)
    theirs = await subscribe(other.id)
    assert len(await list_subscriptions()) == 2
    assert [row.id for row in await list_subscriptions(other.id)] == [theirs.subscription_id]


async def test_postgres_listeners_hear_about_new_subscriptions(tmp_path: Path) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with opened_database("postgres", tmp_path) as url:
        listener = await asyncpg.connect(normalize_database_url(url))
        try:
            await listener.add_listener(NOTIFY_CHANNEL, lambda *args: heard.put_nowait(args[2]))
            await subscribe(await ensure_cli_user())
            assert await asyncio.wait_for(heard.get(), timeout=5) == NOTIFY_CHANNEL
        finally:
            await listener.close()
