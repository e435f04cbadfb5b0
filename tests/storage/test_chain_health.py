"""Storing the chains' health, claiming stall and recovery notices, and finding whom to tell."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.chain_health import (
    ChainSnapshot,
    SubscribedChat,
    claim_recovery,
    claim_stall,
    fetch_chain_health,
    fetch_subscribed_chats,
    save_snapshot,
)
from storage.models import Destination
from storage.subscriptions import (
    NewEventSubscription,
    create_subscriptions,
    set_subscription_status,
)
from storage.users import ensure_account, ensure_chat_destination

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "0x5fbdb2315678afecb367f032d93f642f64180aa3"


def snapshot(chain: str = "mainnet", **changes: object) -> ChainSnapshot:
    values: dict[str, object] = {
        "chain": chain,
        "head_number": 110,
        "cursor_number": 100,
        "healthy": True,
        "halted_reason": None,
        "error": None,
        "updated_at": NOW,
    }
    return ChainSnapshot(**{**values, **changes})  # type: ignore[arg-type]


async def subscribe_chat(
    chat_id: str,
    chain: str,
    *,
    language: str = "en",
    kind: str = "private",
    platform: str = "telegram",
) -> int:
    """A chat (made as the bot makes it) subscribed to Transfer events on `chain`; the
    subscription's id."""
    account = await ensure_account(platform, chat_id, chat_id, kind, language)
    destination_id = await ensure_chat_destination(account.owner_id, platform, chat_id)
    [subscription_id] = await create_subscriptions(
        owner_id=account.owner_id,
        chain=chain,
        address=TOKEN,
        abi=[],
        standard=None,
        events=[NewEventSubscription("Transfer", None, "")],
        destination_id=destination_id,
    )
    return subscription_id


async def test_a_snapshot_is_stored_then_overwritten_and_read_back_per_chain(db: str) -> None:
    await save_snapshot(snapshot())
    await save_snapshot(snapshot("base", healthy=False, error="node down", unhealthy_since=NOW))
    later = NOW + timedelta(seconds=5)
    await save_snapshot(snapshot(cursor_number=105, updated_at=later))

    rows = await fetch_chain_health(["mainnet", "base", "unreported"])
    assert set(rows) == {"mainnet", "base"}
    assert rows["mainnet"].snapshot == snapshot(cursor_number=105, updated_at=later)
    assert rows["mainnet"].snapshot.lag == 5
    assert rows["base"].snapshot.unhealthy_since == NOW
    assert set(await fetch_chain_health(["base"])) == {"base"}


async def test_a_new_snapshot_keeps_the_chains_stall_mark(db: str) -> None:
    await save_snapshot(snapshot())
    assert await claim_stall("mainnet", NOW)
    await save_snapshot(snapshot(updated_at=NOW + timedelta(seconds=5)))
    assert (await fetch_chain_health(["mainnet"]))["mainnet"].stalled_since == NOW


async def test_a_stall_and_its_recovery_are_each_claimed_once(db: str) -> None:
    await save_snapshot(snapshot())
    assert await claim_recovery("mainnet") is False  # it never stalled
    assert await claim_stall("mainnet", NOW) is True
    assert await claim_stall("mainnet", NOW + timedelta(seconds=10)) is False
    assert await claim_recovery("mainnet") is True
    assert await claim_recovery("mainnet") is False
    assert (await fetch_chain_health(["mainnet"]))["mainnet"].stalled_since is None
    assert await claim_stall("mainnet", NOW + timedelta(minutes=5)) is True  # a new stall


async def test_of_claims_made_at_once_only_one_wins(db: str) -> None:
    await save_snapshot(snapshot())
    won = await asyncio.gather(*(claim_stall("mainnet", NOW) for _ in range(8)))
    assert won.count(True) == 1
    won = await asyncio.gather(*(claim_recovery("mainnet") for _ in range(8)))
    assert won.count(True) == 1


async def test_a_chain_without_a_snapshot_cannot_be_claimed(db: str) -> None:
    assert await claim_stall("mainnet", NOW) is False


async def test_subscribed_chats_are_active_chats_of_the_chain_once_each(db: str) -> None:
    await subscribe_chat("100", "mainnet", language="ru")
    await subscribe_chat("100", "mainnet", language="ru")  # a second subscription, same chat
    await subscribe_chat("-500", "mainnet", language="es", kind="group")
    await subscribe_chat("200", "base")
    paused = await subscribe_chat("300", "mainnet")
    await set_subscription_status(paused, "paused")
    await subscribe_chat("400", "mainnet")
    await Destination.filter(target="400").update(status="disabled")
    await subscribe_chat("500", "mainnet", platform="discord")

    assert await fetch_subscribed_chats("mainnet") == [
        SubscribedChat("100", "ru"),
        SubscribedChat("-500", "es"),
        SubscribedChat("500", "en", "discord"),
    ]
    assert await fetch_subscribed_chats("mainnet", ("telegram",)) == [
        SubscribedChat("100", "ru"),
        SubscribedChat("-500", "es"),
    ]
    assert await fetch_subscribed_chats("base") == [SubscribedChat("200", "en")]
    assert await fetch_subscribed_chats("optimism") == []
