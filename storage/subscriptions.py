"""Subscriptions and their webhook destinations: creating, listing, and what the watcher matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from storage.db import dialect, transaction
from storage.models import (
    ChatIdentity,
    Contract,
    Destination,
    IndexVersion,
    Subscription,
    SubscriptionMute,
    User,
)

CLI_PLATFORM = "cli"
CLI_EXTERNAL_ID = "local"
INDEX_NAME = "subscriptions"
# Watchers on PostgreSQL may LISTEN here to reload at once instead of at their next poll.
NOTIFY_CHANNEL = "blockbell_subscriptions"
SUBSCRIPTION_STATUSES = ("active", "paused", "deleted")


@dataclass(frozen=True, slots=True)
class CreatedSubscription:
    subscription_id: int
    destination_id: int
    secret: str


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """One subscription as listings show it."""

    id: int
    user_id: int
    chain: str
    address: str
    event_name: str | None
    selector: str | None
    filter_expr: str
    status: str
    destination_id: int
    destination_kind: str
    destination_target: str
    created_at: datetime
    instant: bool = False


@dataclass(frozen=True, slots=True)
class ActiveSubscription:
    """What the watcher's matcher needs of one active subscription; selector None = by name
    (anonymous events) or, with event_name None too, every event of the contract."""

    subscription_id: int
    destination_id: int
    address: str
    selector: str | None
    event_name: str | None
    filter_expr: str
    abi: list[dict[str, Any]]
    instant: bool = False


async def ensure_cli_user() -> int:
    """The id of the local developer's user (platform "cli"), created on first use."""
    existing = await _cli_user_id()
    if existing is not None:
        return existing
    try:
        async with transaction() as db:
            user = await User.create(using_db=db)
            await ChatIdentity.create(
                user=user, platform=CLI_PLATFORM, external_id=CLI_EXTERNAL_ID, using_db=db
            )
            return int(user.id)
    except IntegrityError:
        # Another process created it between our read and our insert: theirs wins.
        return await ensure_cli_user()


async def _cli_user_id() -> int | None:
    rows = await ChatIdentity.filter(platform=CLI_PLATFORM, external_id=CLI_EXTERNAL_ID).values(
        "user_id"
    )
    return int(rows[0]["user_id"]) if rows else None


async def create_webhook_subscription(
    *,
    user_id: int,
    chain: str,
    address: str,
    abi: list[dict[str, Any]],
    standard: str | None,
    event_name: str | None,
    selector: str | None,
    filter_expr: str,
    url: str,
    secret: str,
    instant: bool = False,
) -> CreatedSubscription:
    """Contract, webhook destination and subscription in one transaction that also tells
    watchers to reload their index."""
    async with transaction() as db:
        contract = await Contract.create(
            chain=chain, address=address.lower(), abi=abi, standard=standard, using_db=db
        )
        destination = await Destination.create(
            user_id=user_id, kind="webhook", target=url, secret=secret, using_db=db
        )
        subscription = await Subscription.create(
            user_id=user_id,
            contract=contract,
            destination=destination,
            chain=chain,
            event_name=event_name,
            selector=selector,
            filter_expr=filter_expr,
            instant=instant,
            using_db=db,
        )
        await bump_index_version(db)
    return CreatedSubscription(int(subscription.id), int(destination.id), secret)


async def list_subscriptions(user_id: int | None = None) -> list[SubscriptionRow]:
    """Every subscription (or one user's), oldest first."""
    query = Subscription.all() if user_id is None else Subscription.filter(user_id=user_id)
    rows = await query.order_by("id").values(
        "id",
        "user_id",
        "chain",
        "event_name",
        "selector",
        "filter_expr",
        "status",
        "destination_id",
        "created_at",
        "instant",
        address="contract__address",
        destination_kind="destination__kind",
        destination_target="destination__target",
    )
    return [SubscriptionRow(**row) for row in rows]


async def fetch_active_subscriptions(chain: str) -> list[ActiveSubscription]:
    """The subscriptions of one chain that should produce deliveries right now."""
    rows = (
        await Subscription.filter(chain=chain, status="active", destination__status="active")
        .order_by("id")
        .values(
            "destination_id",
            "selector",
            "event_name",
            "filter_expr",
            "instant",
            subscription_id="id",
            address="contract__address",
            abi="contract__abi",
        )
    )
    return [ActiveSubscription(**row) for row in rows]


async def fetch_index_version() -> int:
    """The subscriptions counter; it changes whenever the set of subscriptions does."""
    row = await IndexVersion.get_or_none(name=INDEX_NAME)
    return 0 if row is None else int(row.version)


async def set_subscription_status(subscription_id: int, status: str) -> bool:
    """Pause, resume or delete a subscription; False when there is no such subscription."""
    if status not in SUBSCRIPTION_STATUSES:
        raise ValueError(f"subscription status must be one of {SUBSCRIPTION_STATUSES}: {status!r}")
    async with transaction() as db:
        changed = await Subscription.filter(id=subscription_id).using_db(db).update(status=status)
        if changed:
            await bump_index_version(db)
    return bool(changed)


async def bump_index_version(db: BaseDBAsyncClient) -> None:
    # One statement, so concurrent writers never lose an increment (SQLite >= 3.24, PostgreSQL).
    bump = (
        f"INSERT INTO index_versions (name, version) VALUES ('{INDEX_NAME}', 1) "
        "ON CONFLICT (name) DO UPDATE SET version = index_versions.version + 1"
    )
    if not dialect().is_postgres:
        await db.execute_query(bump)
        return
    # The notification, sent at commit, carries the new version: listeners need not read it.
    await db.execute_query(
        f"WITH bumped AS ({bump} RETURNING version) "
        f"SELECT pg_notify('{NOTIFY_CHANNEL}', version::text) FROM bumped"
    )


@dataclass(frozen=True, slots=True)
class NewEventSubscription:
    """One event of a contract to watch, with its (normalized) filter."""

    event_name: str | None
    selector: str | None
    filter_expr: str


async def create_subscriptions(
    *,
    owner_id: int,
    chain: str,
    address: str,
    abi: list[dict[str, Any]],
    standard: str | None,
    events: Sequence[NewEventSubscription],
    destination_id: int,
    symbol: str | None = None,
    decimals: int | None = None,
    instant: bool = False,
) -> list[int]:
    """One contract (with its token's symbol and decimals, when known) and a subscription per
    event for an existing destination of the owner, in one transaction that also tells
    watchers to reload; the new ids in the order given."""
    async with transaction() as db:
        contract = await Contract.create(
            chain=chain,
            address=address.lower(),
            abi=abi,
            standard=standard,
            symbol=symbol,
            decimals=decimals,
            using_db=db,
        )
        ids = []
        for event in events:
            subscription = await Subscription.create(
                user_id=owner_id,
                contract=contract,
                destination_id=destination_id,
                chain=chain,
                event_name=event.event_name,
                selector=event.selector,
                filter_expr=event.filter_expr,
                instant=instant,
                using_db=db,
            )
            ids.append(int(subscription.id))
        await bump_index_version(db)
    return ids


async def list_owned_subscriptions(owner_id: int) -> list[SubscriptionRow]:
    """The owner's subscriptions that are not deleted, oldest first."""
    rows = await list_subscriptions(owner_id)
    return [row for row in rows if row.status != "deleted"]


async def fetch_owned_subscription(owner_id: int, subscription_id: int) -> SubscriptionRow | None:
    """One of the owner's subscriptions; None for a deleted one or one of somebody else."""
    found = [row for row in await list_owned_subscriptions(owner_id) if row.id == subscription_id]
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class SubscribedContract:
    """The contract a subscription watches: its ABI, and its token's symbol and decimals when
    it is an ERC-20 token whose chain told them."""

    abi: list[dict[str, Any]]
    symbol: str | None
    decimals: int | None


async def fetch_subscribed_contract(subscription_id: int) -> SubscribedContract | None:
    """The subscription's contract as a delivery of it would carry it; None when there is no
    such subscription."""
    rows = await Subscription.filter(id=subscription_id).values(
        abi="contract__abi", symbol="contract__symbol", decimals="contract__decimals"
    )
    if not rows:
        return None
    row = rows[0]
    decimals = None if row["decimals"] is None else int(row["decimals"])
    return SubscribedContract(list(row["abi"]), row["symbol"], decimals)


async def set_owned_subscription_status(owner_id: int, subscription_id: int, status: str) -> bool:
    """Pause, resume or delete one of the owner's subscriptions; False when it has none such."""
    if await fetch_owned_subscription(owner_id, subscription_id) is None:
        return False
    return await set_subscription_status(subscription_id, status)


async def set_owned_subscription_instant(
    owner_id: int, subscription_id: int, instant: bool
) -> bool:
    """Notify one of the owner's subscriptions before confirmations (provisionally) or only
    after them; False when the owner has no such subscription."""
    if await fetch_owned_subscription(owner_id, subscription_id) is None:
        return False
    async with transaction() as db:
        await Subscription.filter(id=subscription_id).using_db(db).update(instant=instant)
        await bump_index_version(db)
    return True


async def mute_subscription(owner_id: int, subscription_id: int, until: datetime | None) -> bool:
    """Hold back one of the owner's subscriptions' notifications until `until` (None: speak
    again now); False when the owner has no such subscription."""
    if await fetch_owned_subscription(owner_id, subscription_id) is None:
        return False
    async with transaction() as db:
        await SubscriptionMute.filter(subscription_id=subscription_id).using_db(db).delete()
        if until is not None:
            await SubscriptionMute.create(subscription_id=subscription_id, until=until, using_db=db)
    return True


async def fetch_mutes(subscription_ids: Sequence[int]) -> dict[int, datetime]:
    """When each muted subscription of `subscription_ids` speaks again."""
    rows = await SubscriptionMute.filter(subscription_id__in=list(subscription_ids)).values(
        "subscription_id", "until"
    )
    return {int(row["subscription_id"]): row["until"] for row in rows}
