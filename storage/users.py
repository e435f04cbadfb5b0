"""Accounts of chat users and group chats, their languages, and the destinations they own."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage.db import connection
from storage.models import Chat, ChatIdentity, Destination, User

PRIVATE = "private"


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


async def ensure_account(
    platform: str, user_external_id: str, chat_external_id: str, chat_kind: str, language: str
) -> Account:
    """The chat's owner account, created on first contact: a person's own user for a private
    chat, a user of the chat's own for a group or channel."""
    existing = await fetch_account(platform, chat_external_id)
    if existing is not None:
        return existing
    try:
        async with in_transaction(connection().connection_name) as db:
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


async def ensure_chat_destination(owner_id: int, kind: str, target: str) -> int:
    """The destination that delivers into a chat, created the first time it is chosen."""
    rows = await Destination.filter(user_id=owner_id, kind=kind, target=target).values("id")
    if rows:
        return int(rows[0]["id"])
    destination = await Destination.create(user_id=owner_id, kind=kind, target=target)
    return int(destination.id)


async def create_webhook_destination(owner_id: int, url: str, secret: str) -> int:
    destination = await Destination.create(
        user_id=owner_id, kind="webhook", target=url, secret=secret
    )
    return int(destination.id)


async def list_webhook_destinations(owner_id: int) -> list[DestinationRow]:
    """The owner's webhooks, oldest first, secrets left out."""
    rows = (
        await Destination.filter(user_id=owner_id, kind="webhook")
        .order_by("id")
        .values("id", "kind", "target", "status")
    )
    return [DestinationRow(**row) for row in rows]


async def rotate_webhook_secret(owner_id: int, destination_id: int, secret: str) -> bool:
    """Replace the signing secret of one of the owner's webhooks; False if it has none such."""
    changed = await Destination.filter(id=destination_id, user_id=owner_id, kind="webhook").update(
        secret=secret
    )
    return bool(changed)
