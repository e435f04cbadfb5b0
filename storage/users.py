"""Accounts of chat users and group chats, their languages, and the destinations they own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from storage.db import transaction
from storage.models import Chat, ChatIdentity, Destination, User
from storage.secret_box import secret_box
from storage.subscriptions import bump_index_version

PRIVATE = "private"
WEBHOOK = "webhook"
DISCORD_WEBHOOK = "discord_webhook"
WEBHOOK_KINDS = (WEBHOOK, DISCORD_WEBHOOK)
"""Destinations made from a pasted URL, listed and turned on with /destinations."""


@dataclass(frozen=True, slots=True)
class Account:
    """The owner account of one chat: who owns what is made there, and its language."""

    owner_id: int
    language: str
    is_new: bool = False


@dataclass(frozen=True, slots=True)
class DestinationRow:
    id: int
    kind: str
    target: str
    status: str
    secret: str | None = field(default=None, repr=False)
    disabled_reason: str | None = None


async def ensure_account(
    platform: str, user_external_id: str, chat_external_id: str, chat_kind: str, language: str
) -> Account:
    """The chat's owner account, created on first contact: a person's own user for a private
    chat, a user of the chat's own for a group or channel."""
    existing = await fetch_account(platform, chat_external_id)
    if existing is not None:
        return existing
    try:
        async with transaction() as db:
            owner = None
            if chat_kind == PRIVATE:
                owner = await _person(platform, user_external_id, db)
            if owner is None:
                owner = await User.create(language=language, using_db=db)
                if chat_kind == PRIVATE:
                    await ChatIdentity.create(
                        user=owner, platform=platform, external_id=user_external_id, using_db=db
                    )
            await Chat.create(
                platform=platform,
                external_id=chat_external_id,
                kind=chat_kind,
                owner=owner,
                using_db=db,
            )
            return Account(int(owner.id), str(owner.language), is_new=True)
    except IntegrityError:
        # Another request made it between our read and our insert: theirs wins.
        return await ensure_account(
            platform, user_external_id, chat_external_id, chat_kind, language
        )


async def _person(platform: str, external_id: str, db: BaseDBAsyncClient) -> User | None:
    """The user a person already has on this platform (made in another private chat)."""
    rows = (
        await ChatIdentity.filter(platform=platform, external_id=external_id)
        .using_db(db)
        .values("user_id")
    )
    return await User.get(id=rows[0]["user_id"], using_db=db) if rows else None


async def fetch_account(platform: str, chat_external_id: str) -> Account | None:
    rows = await Chat.filter(platform=platform, external_id=chat_external_id).values(
        "owner_id", language="owner__language"
    )
    return Account(int(rows[0]["owner_id"]), str(rows[0]["language"])) if rows else None


async def set_language(owner_id: int, language: str) -> None:
    await User.filter(id=owner_id).update(language=language)


async def ensure_chat_destination(
    owner_id: int, kind: str, target: str, added_by: str | None = None
) -> int:
    """The destination that delivers into a chat, created the first time it is chosen;
    `added_by` is the person choosing it (`platform:user id`)."""
    rows = await Destination.filter(user_id=owner_id, kind=kind, target=target).values("id")
    if rows:
        return int(rows[0]["id"])
    destination = await Destination.create(
        user_id=owner_id, kind=kind, target=target, added_by=added_by
    )
    return int(destination.id)


async def create_webhook_destination(
    owner_id: int, url: str, secret: str, added_by: str | None = None
) -> int:
    destination = await Destination.create(
        user_id=owner_id,
        kind=WEBHOOK,
        target=url,
        sealed_secret=secret_box().seal(secret),
        added_by=added_by,
    )
    return int(destination.id)


async def create_discord_webhook_destination(
    owner_id: int, url: str, added_by: str | None = None
) -> int:
    """A pasted Discord channel webhook: its URL is the target (and its token the only
    credential), with no signing secret, as Discord does not verify signatures."""
    destination = await Destination.create(
        user_id=owner_id, kind=DISCORD_WEBHOOK, target=url, added_by=added_by
    )
    return int(destination.id)


async def list_webhook_destinations(owner_id: int) -> list[DestinationRow]:
    """The owner's webhooks, generic and Discord ones, oldest first, secrets left out."""
    rows = (
        await Destination.filter(user_id=owner_id, kind__in=WEBHOOK_KINDS)
        .order_by("id")
        .values("id", "kind", "target", "status", "disabled_reason")
    )
    return [DestinationRow(**row) for row in rows]


async def rotate_webhook_secret(
    owner_id: int, destination_id: int, secret: str, *, overlap_until: datetime
) -> bool:
    """Give one of the owner's webhooks a new signing secret; the one it replaces signs beside
    it until `overlap_until`. False if the owner has no such webhook."""
    box = secret_box()
    async with transaction() as db:
        rows = (
            await Destination.filter(id=destination_id, user_id=owner_id, kind=WEBHOOK)
            .using_db(db)
            .values("secret", "sealed_secret")
        )
        if not rows:
            return False
        old = rows[0]["sealed_secret"] or (
            box.seal(rows[0]["secret"]) if rows[0]["secret"] else None
        )
        await (
            Destination.filter(id=destination_id)
            .using_db(db)
            .update(
                secret=None,
                sealed_secret=box.seal(secret),
                previous_sealed_secret=old,
                previous_secret_until=overlap_until if old else None,
            )
        )
    return True


async def seal_plain_secrets() -> int:
    """Seal the signing secrets stored before sealing existed; how many there were."""
    box, sealed = secret_box(), 0
    rows = await Destination.filter(secret__isnull=False, sealed_secret__isnull=True).values(
        "id", "secret"
    )
    for row in rows:
        sealed += await Destination.filter(id=row["id"], secret=row["secret"]).update(
            secret=None, sealed_secret=box.seal(row["secret"])
        )
    return sealed


async def reactivate_webhook_destination(owner_id: int, destination_id: int) -> str | None:
    """Turn one of the owner's webhooks (generic or Discord) back on after the notifier
    disabled it; its kind, or None if the owner has no such webhook."""
    kinds = await Destination.filter(
        id=destination_id, user_id=owner_id, kind__in=WEBHOOK_KINDS
    ).values_list("kind", flat=True)
    if not kinds:
        return None
    await _reactivate(Destination.filter(id=destination_id))
    return str(kinds[0])


async def reactivate_chat_destination(owner_id: int, kind: str, target: str) -> bool:
    """Turn the destination of a chat back on when that chat uses the bot again (a person
    who blocked the bot came back, a channel got its permissions fixed); True if it was off.

    Called on every command, so the common case is one SELECT that finds nothing.
    """
    return await _reactivate(Destination.filter(user_id=owner_id, kind=kind, target=target))


async def _reactivate(destinations: QuerySet[Destination]) -> bool:
    """Active again, with no reason and no notice owed; the watchers reload their
    subscriptions, which left out those of the disabled destination."""
    async with transaction() as db:
        disabled = [
            int(row["id"])
            for row in await destinations.filter(status="disabled").using_db(db).values("id")
        ]
        if not disabled:
            return False
        await (
            Destination.filter(id__in=disabled, status="disabled")
            .using_db(db)
            .update(status="active", disabled_reason=None, notice_owed=False)
        )
        await bump_index_version(db, destinations=disabled)
    return True


async def count_webhook_destinations(owner_id: int) -> int:
    """The owner's webhooks, generic and Discord ones, stopped ones included."""
    return await Destination.filter(user_id=owner_id, kind__in=WEBHOOK_KINDS).count()


async def count_webhooks_added_by(person: str) -> int:
    """The webhooks, generic and Discord ones, one person added in any chat."""
    return await Destination.filter(added_by=person, kind__in=WEBHOOK_KINDS).count()
