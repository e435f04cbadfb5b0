"""Subscriptions and their webhook destinations: creating, listing, and what the watcher matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from storage.db import connection, dialect, transaction
from storage.models import (
    ChatIdentity,
    Contract,
    Destination,
    IndexVersion,
    Subscription,
    SubscriptionMute,
    User,
)
from storage.secret_box import secret_box

CLI_PLATFORM = "cli"
CLI_EXTERNAL_ID = "local"
INDEX_NAME = "subscriptions"
# Watchers on PostgreSQL may LISTEN here to reload at once instead of at their next poll.
NOTIFY_CHANNEL = "blockbell_subscriptions"
SUBSCRIPTION_STATUSES = ("active", "paused", "deleted")
KEPT = ("active", "paused")
"""The statuses of subscriptions that count against a limit."""


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
            user_id=user_id,
            kind="webhook",
            target=url,
            sealed_secret=secret_box().seal(secret),
            using_db=db,
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
        await bump_index_version(db, subscriptions=[int(subscription.id)])
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
    return (await fetch_index_changes(chain, since=-1)).active


@dataclass(frozen=True, slots=True)
class IndexChanges:
    """What a watcher holding the subscriptions of one chain as of some version must change."""

    version: int
    """The version the watcher holds once it applied these."""
    active: list[ActiveSubscription]
    """New subscriptions, and changed ones with what they are now, by id."""
    gone: list[int]
    """Subscriptions that no longer produce deliveries (paused, deleted, destination off)."""


async def fetch_index_changes(chain: str, since: int) -> IndexChanges:
    """The chain's subscriptions that changed after version `since`; with -1, all the active
    ones.

    The counter is read first, and nothing else when it has not moved: a change bumps it and
    marks its rows in one transaction, and concurrent changes queue on the counter's row, so
    every change up to the version read is committed and among the rows read after it; a later
    one is seen next time. Each distinct ABI is decoded from JSON once.
    """
    version = await fetch_index_version()
    if version == since:
        return IndexChanges(version, [], [])
    d = dialect()
    active = "s.status = 'active' AND d.status = 'active'"
    rows = await connection().execute_query_dict(
        "SELECT s.id, s.destination_id, s.selector, s.event_name, s.filter_expr, s.instant, "
        f"c.address, c.abi, {active} AS active "
        "FROM subscriptions s JOIN contracts c ON c.id = s.contract_id "
        "JOIN destinations d ON d.id = s.destination_id "
        f"WHERE s.chain = {d.placeholder(1)} AND s.index_version > {d.placeholder(2)}"
        + (f" AND {active}" if since < 0 else "")
        + " ORDER BY s.id",
        [chain, since],
    )
    abis: dict[Any, list[dict[str, Any]]] = {}
    changed, gone = [], []
    for row in rows:
        if not row["active"]:
            gone.append(int(row["id"]))
            continue
        stored = row["abi"]
        abi = abis.get(stored)
        if abi is None:
            abi = abis[stored] = orjson.loads(stored) if isinstance(stored, str | bytes) else stored
        changed.append(
            ActiveSubscription(
                subscription_id=int(row["id"]),
                destination_id=int(row["destination_id"]),
                address=row["address"],
                selector=row["selector"],
                event_name=row["event_name"],
                filter_expr=row["filter_expr"],
                abi=abi,
                instant=bool(row["instant"]),
            )
        )
    return IndexChanges(version, changed, gone)


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
            await bump_index_version(db, subscriptions=[subscription_id])
    return bool(changed)


async def bump_index_version(
    db: BaseDBAsyncClient,
    *,
    subscriptions: Sequence[int] = (),
    destinations: Sequence[int] = (),
) -> None:
    """Tell watchers that these subscriptions, or those of these destinations, changed: the
    counter moves and the rows carry its new value, in the caller's transaction."""
    if not subscriptions and not destinations:
        raise ValueError("bump_index_version needs the subscriptions or destinations changed")
    # One statement, so concurrent writers never lose an increment (SQLite >= 3.24, PostgreSQL).
    bump = (
        f"INSERT INTO index_versions (name, version) VALUES ('{INDEX_NAME}', 1) "
        "ON CONFLICT (name) DO UPDATE SET version = index_versions.version + 1 RETURNING version"
    )
    if dialect().is_postgres:
        # The notification, sent at commit, carries the new version: listeners need not read it.
        bump = (
            f"WITH bumped AS ({bump}) "
            f"SELECT version, pg_notify('{NOTIFY_CHANNEL}', version::text) FROM bumped"
        )
    # execute_query_dict: Tortoise's execute_query drops the rows of an INSERT on PostgreSQL.
    (row,) = await db.execute_query_dict(bump)
    version = int(row["version"])
    if subscriptions:
        await (
            Subscription.filter(id__in=list(subscriptions))
            .using_db(db)
            .update(index_version=version)
        )
    if destinations:
        await (
            Subscription.filter(destination_id__in=list(destinations))
            .using_db(db)
            .update(index_version=version)
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
    added_by: str | None = None,
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
                added_by=added_by,
                using_db=db,
            )
            ids.append(int(subscription.id))
        await bump_index_version(db, subscriptions=ids)
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
        await bump_index_version(db, subscriptions=[subscription_id])
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


async def count_kept_subscriptions(owner_id: int) -> int:
    """The owner's subscriptions that are not deleted (active or paused)."""
    return await Subscription.filter(user_id=owner_id, status__in=KEPT).count()


async def count_subscriptions_added_by(person: str) -> int:
    """The subscriptions one person made in any chat that are not deleted."""
    return await Subscription.filter(added_by=person, status__in=KEPT).count()
