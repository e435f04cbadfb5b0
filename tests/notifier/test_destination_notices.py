"""Owners told that a destination stopped: a Discord channel the bot may no longer post in, a
pasted Discord webhook that was deleted, a chat that blocked the bot. Real databases, the real
Discord and Telegram channels over the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from notifier.channels.discord import DiscordChannel
from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.channels.webhook import WebhookChannel
from notifier.destination_notices import (
    DestinationNotices,
    render_discord_notice,
    render_telegram_notice,
)
from notifier.loop import Notifier
from notifier.webhook_targets import TargetRules
from storage.destination_notices import OwedNotice, Place
from storage.models import Chat, Contract, Delivery, Destination, Subscription, User
from tests.fakes.discord_api import DEFAULT_TOKEN, FakeDiscord, GuildSpec
from tests.fakes.telegram_api import FakeTelegram
from tests.notifier.conftest import BOT_TOKEN, CHAINS, SCHEDULE_S, Clock
from tests.support.builders import ERC20_ABI, TOKEN, make_transfer_delivery

GUILD, CHANNEL, ADMIN = 600, 9100, 7800
TELEGRAM_GROUP = -1001234


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    guild = GuildSpec(GUILD, channels={CHANNEL: "alerts"}, members={ADMIN: "alice"})
    fake = await FakeDiscord.start(guilds=[guild])
    yield fake
    await fake.stop()


@pytest.fixture
def discord_channel(discord: FakeDiscord, session: aiohttp.ClientSession) -> DiscordChannel:
    return DiscordChannel(session, DEFAULT_TOKEN, f"{discord.url}/api/v10")


@pytest.fixture
async def telegram(fake: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(build_bot(BOT_TOKEN, fake.url))
    yield channel
    await channel.close()


async def stopped_destination(
    clock: Clock,
    discord_channel: DiscordChannel,
    *,
    kind: str,
    target: str,
    chat: tuple[str, str, str] | None = None,
    added_by: str | None = None,
) -> Destination:
    """An owner (with the chat `(platform, id, kind)`) whose destination gets one notification
    and is stopped by the answer to it."""
    owner = await User.create(language="en")
    if chat is not None:
        platform, external_id, chat_kind = chat
        await Chat.create(platform=platform, external_id=external_id, kind=chat_kind, owner=owner)
    contract = await Contract.create(chain="anvil", address=TOKEN, abi=ERC20_ABI)
    destination = await Destination.create(user=owner, kind=kind, target=target, added_by=added_by)
    subscription = await Subscription.create(
        user=owner, contract=contract, destination=destination, chain="anvil", event_name="Transfer"
    )
    delivery = await make_transfer_delivery(subscription, destination, due_at=clock.now)
    async with aiohttp.ClientSession() as session:
        webhooks = WebhookChannel(session, targets=TargetRules(), timeout_s=1.0)
        notifier = Notifier(
            CHAINS, webhooks, schedule_s=SCHEDULE_S, clock=clock, discord=discord_channel
        )
        await notifier.run_once()
    assert (await Delivery.get(id=delivery.id)).status == "dead"
    stored = await Destination.get(id=destination.id)
    assert (stored.status, stored.notice_owed) == ("disabled", True)
    return stored


async def test_the_admin_who_added_a_channel_hears_in_their_dms_when_it_refuses(
    db: str, clock: Clock, discord: FakeDiscord, discord_channel: DiscordChannel
) -> None:
    discord.deny_permission(CHANNEL)
    stopped = await stopped_destination(
        clock,
        discord_channel,
        kind="discord",
        target=str(CHANNEL),
        chat=("discord", str(CHANNEL), "group"),
        added_by=f"discord:{ADMIN}",
    )
    notices = DestinationNotices(None, discord_channel)
    assert await notices.check_once() == 1
    [notice] = discord.dms(ADMIN)
    assert notice.content.splitlines() == [
        f"⚠️ **Notifications to the Discord channel <#{CHANNEL}> have stopped**",
        "The answer was\\: Discord answered 403\\: Missing Permissions \\(code 50013\\)",
        "",
        "Give Blockbell the View Channel, Send Messages and Embed Links permissions in that"
        " channel, then use any Blockbell command there to turn notifications back on.",
    ]
    # Told once, by whichever notifier process claimed it.
    assert await DestinationNotices(None, discord_channel).check_once() == 0
    assert len(discord.dms(ADMIN)) == 1
    assert not (await Destination.get(id=stopped.id)).notice_owed


async def test_a_deleted_discord_webhook_is_reported_in_the_telegram_group_that_pasted_it(
    db: str,
    clock: Clock,
    discord: FakeDiscord,
    discord_channel: DiscordChannel,
    fake: FakeTelegram,
    telegram: TelegramChannel,
) -> None:
    hook_url = discord.webhook_url(CHANNEL)
    discord.delete_channel(CHANNEL)
    stopped = await stopped_destination(
        clock,
        discord_channel,
        kind="discord_webhook",
        target=hook_url,
        chat=("telegram", str(TELEGRAM_GROUP), "group"),
        added_by="telegram:42",
    )
    assert await DestinationNotices(telegram, discord_channel).check_once() == 1
    [message] = fake.messages(TELEGRAM_GROUP)
    assert message.text.splitlines() == [
        f"⚠️ Notifications to Discord webhook #{stopped.id} have stopped",
        "The answer was: Discord answered 404: Unknown Webhook (code 10015)",
        "",
        "The webhook may have been deleted. Paste a new one with /webhook, or turn this one back"
        " on in /destinations.",
    ]
    # The group was told: the person who pasted it is not told again in their DMs.
    assert fake.messages(42) == []
    token = hook_url.rsplit("/", 1)[-1]
    assert token not in message.text


async def test_a_person_who_blocked_the_bot_has_nowhere_else_to_be_told(
    db: str,
    clock: Clock,
    discord: FakeDiscord,
    discord_channel: DiscordChannel,
    fake: FakeTelegram,
    telegram: TelegramChannel,
) -> None:
    discord.close_dms(ADMIN)
    dm_channel = str(discord.dm_channel_id(ADMIN))
    await stopped_destination(
        clock,
        discord_channel,
        kind="discord",
        target=dm_channel,
        chat=("discord", dm_channel, "private"),
        added_by=f"discord:{ADMIN}",
    )
    requests_before = len(discord.requests)
    assert await DestinationNotices(telegram, discord_channel).check_once() == 0
    # Their own DMs are what stopped: no request is made to them again.
    assert len(discord.requests) == requests_before
    assert discord.dms(ADMIN) == []


async def test_without_a_bot_token_nobody_is_told_on_discord_and_nothing_fails(
    db: str, clock: Clock, discord: FakeDiscord, discord_channel: DiscordChannel
) -> None:
    discord.deny_permission(CHANNEL)
    await stopped_destination(
        clock,
        discord_channel,
        kind="discord",
        target=str(CHANNEL),
        chat=("discord", str(CHANNEL), "group"),
        added_by=f"discord:{ADMIN}",
    )
    async with aiohttp.ClientSession() as session:
        webhooks_only = DiscordChannel(session, None, f"{discord.url}/api/v10")
        assert await DestinationNotices(None, webhooks_only).check_once() == 0
    assert discord.dms(ADMIN) == []


def owed(kind: str, target: str, reason: str = "gone", language: str = "en") -> OwedNotice:
    return OwedNotice(7, kind, target, reason, language, False, (Place("telegram", "1"),))


def test_a_webhook_is_named_by_its_host_never_by_its_path_or_secret_query() -> None:
    notice = owed("webhook", "https://hooks.example.com/in/s3cr3t?key=abc")
    html = render_telegram_notice(notice)
    assert "webhook #7 (hooks.example.com)" in html
    assert "s3cr3t" not in html and "abc" not in html


def test_what_the_platform_answered_cannot_format_or_mention() -> None:
    notice = owed("webhook", "https://h.example/x", reason="<b>**@everyone**</b>", language="ru")
    html = render_telegram_notice(notice)
    assert "&lt;b&gt;**@everyone**&lt;/b&gt;" in html
    assert html.startswith("⚠️ <b>Уведомления в вебхук #7 (h.example) остановлены</b>")
    content = render_discord_notice(notice)
    assert "\\<b\\>\\*\\*\\@everyone\\*\\*\\</b\\>" in content
