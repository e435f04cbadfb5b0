"""Owned destinations on SQLite and PostgreSQL: webhook listings and turning stopped ones on."""

from __future__ import annotations

from storage.models import Destination, User
from storage.subscriptions import (
    NewEventSubscription,
    create_subscriptions,
    fetch_active_subscriptions,
    fetch_index_version,
)
from storage.users import (
    create_discord_webhook_destination,
    create_webhook_destination,
    ensure_chat_destination,
    list_webhook_destinations,
    reactivate_chat_destination,
    reactivate_webhook_destination,
)

DISCORD_HOOK = "https://discord.com/api/webhooks/1/token"


async def owner() -> int:
    return int((await User.create(language="en")).id)


async def stop(destination_id: int, reason: str = "Forbidden") -> None:
    await Destination.filter(id=destination_id).update(
        status="disabled", disabled_reason=reason, notice_owed=True
    )


async def test_webhook_listings_hold_both_kinds_with_why_they_stopped(db: str) -> None:
    me = await owner()
    chat = await ensure_chat_destination(me, "telegram", "100", "telegram:100")
    signed = await create_webhook_destination(me, "https://hooks.example/in", "whsec_x", "cli:1")
    discord = await create_discord_webhook_destination(me, DISCORD_HOOK, "discord:7")
    await create_webhook_destination(await owner(), "https://elsewhere.example/in", "whsec_y")
    await stop(discord, "Unknown Webhook")

    rows = await list_webhook_destinations(me)
    assert [(r.id, r.kind, r.status, r.disabled_reason) for r in rows] == [
        (signed, "webhook", "active", None),
        (discord, "discord_webhook", "disabled", "Unknown Webhook"),
    ]
    assert all(row.secret is None for row in rows) and chat not in [row.id for row in rows]
    stored = await Destination.get(id=discord)
    assert (stored.secret, stored.added_by) == (None, "discord:7")


async def test_a_webhook_is_turned_on_only_by_its_owner(db: str) -> None:
    me, other = await owner(), await owner()
    hook = await create_discord_webhook_destination(me, DISCORD_HOOK)
    chat = await ensure_chat_destination(me, "telegram", "100")
    await stop(hook)
    await stop(chat)
    assert await reactivate_webhook_destination(other, hook) is None
    assert await reactivate_webhook_destination(me, chat) is None
    assert await reactivate_webhook_destination(me, 999) is None
    assert (await Destination.get(id=hook)).status == "disabled"

    assert await reactivate_webhook_destination(me, hook) == "discord_webhook"
    stored = await Destination.get(id=hook)
    assert stored.status == "active" and stored.disabled_reason is None and not stored.notice_owed
    assert await reactivate_webhook_destination(me, hook) == "discord_webhook"  # already on


async def test_a_chat_turned_on_again_is_matched_again_and_only_once(db: str) -> None:
    me = await owner()
    chat = await ensure_chat_destination(me, "telegram", "100")
    other_chat = await ensure_chat_destination(me, "telegram", "200")
    event = NewEventSubscription("Transfer", None, "")
    await create_subscriptions(
        owner_id=me,
        chain="anvil",
        address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        abi=[],
        standard=None,
        events=[event],
        destination_id=chat,
        instant=True,
    )
    await stop(chat)
    await stop(other_chat)
    assert await fetch_active_subscriptions("anvil") == []
    version = await fetch_index_version()

    assert await reactivate_chat_destination(me, "telegram", "100") is True
    assert await fetch_index_version() == version + 1  # watchers reload and match it again
    assert [s.destination_id for s in await fetch_active_subscriptions("anvil")] == [chat]
    assert await reactivate_chat_destination(me, "telegram", "100") is False
    assert await reactivate_chat_destination(me, "discord", "100") is False
    assert await fetch_index_version() == version + 1
    assert (await Destination.get(id=other_chat)).status == "disabled"
