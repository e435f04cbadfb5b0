"""Discord deliveries end to end: outbox rows in a real database, the notifier's Discord channel
over real aiohttp, and a fake Discord that keeps channels, DMs and webhooks, enforces rate
limits and nonces, and answers faults as Discord does."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from locales import translate
from notifier.channels.discord import DiscordChannel
from notifier.channels.webhook import WebhookChannel
from notifier.discord_limits import DiscordLimits
from notifier.discord_render import escape_markdown, nonce_of
from notifier.loop import Notifier
from notifier.webhook_targets import TargetRules, parse_discord_webhook_url
from storage.models import Delivery, DeliveryAttempt, Destination, Subscription
from tests.fakes.discord_api import DEFAULT_TOKEN, FakeDiscord, FakeMessage, GuildSpec
from tests.notifier.conftest import CHAINS, SCHEDULE_S, Clock
from tests.support.builders import TX, make_subscribed_destination, make_transfer_delivery

GUILD = 500
CHANNELS = [9000 + i for i in range(20)]
USER = 7700
# As an embed shows them: markdown characters escaped.
PROVISIONAL = escape_markdown(translate("en", "notify.provisional"))
CONFIRMED = escape_markdown(translate("en", "notify.confirmed"))
REVERTED = escape_markdown(translate("en", "notify.reverted_title"))


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    channels = {channel_id: f"alerts-{channel_id}" for channel_id in CHANNELS}
    guild = GuildSpec(GUILD, channels=channels, members={USER: "alice"})
    fake = await FakeDiscord.start(guilds=[guild])
    # Windows shrunk so that tests not about pacing do not wait for Discord's.
    fake.limits.limits["channel_messages"] = (50, 0.5)
    fake.limits.limits["channel_webhook"] = (50, 0.5)
    yield fake
    await fake.stop()


@pytest.fixture
def make_notifier(
    discord: FakeDiscord, clock: Clock, session: aiohttp.ClientSession
) -> Callable[..., Notifier]:
    """Notifiers that deliver to the fake Discord through a channel with these `limits`."""

    def make(
        *, token: str | None = DEFAULT_TOKEN, limits: DiscordLimits | None = None, **options: Any
    ) -> Notifier:
        channel = DiscordChannel(session, token, f"{discord.url}/api/v10", limits, 5.0)
        webhook = WebhookChannel(session, targets=TargetRules(), timeout_s=1.0)
        settings = {"schedule_s": SCHEDULE_S, "clock": clock, "jitter": lambda: 0.0}
        return Notifier(CHAINS, webhook, discord=channel, **{**settings, **options})

    return make


async def destination(kind: str, target: str) -> tuple[Subscription, Destination]:
    return await make_subscribed_destination(kind=kind, target=target, secret="")


async def status_of(delivery: Delivery) -> str:
    return (await Delivery.get(id=delivery.id)).status


def buttons(message: FakeMessage) -> list[tuple[str, str]]:
    """(label, custom_id or url) of the message's buttons."""
    return [
        (button["label"], button.get("custom_id") or button["url"])
        for row in message.components
        for button in row["components"]
    ]


def posts_to(discord: FakeDiscord, path_start: str) -> list[int]:
    """The statuses of the POSTs the fake answered on paths starting with `path_start`."""
    return [status for method, path, status in discord.requests if path.startswith(path_start)]


async def test_an_event_arrives_in_a_channel_as_an_embed_with_buttons_and_a_nonce(
    db: str, discord: FakeDiscord, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, channel = await destination("discord", str(CHANNELS[0]))
    delivery = await make_transfer_delivery(
        subscription, channel, due_at=clock.now, value=1_500_000_000_000_000_000
    )
    assert await make_notifier().run_once() == 1
    [message] = discord.messages(CHANNELS[0])
    [embed] = message.embeds
    assert embed["title"] == "Transfer"
    assert embed["url"] == f"https://explorer.example/tx/{TX}"
    assert embed["footer"] == {"text": "anvil"}
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["value"] == "1,500,000,000,000,000,000"
    assert "0xf39F…2266" in fields["from"] and "0x7099…79C8" in fields["to"]
    assert buttons(message) == [
        ("Mute this subscription", f"mute:{subscription.id}"),
        ("Open in explorer", f"https://explorer.example/tx/{TX}"),
    ]
    assert message.nonce == nonce_of([str(delivery.id)])
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.message_ref) == ("delivered", str(message.id))


async def test_a_pasted_channel_webhook_gets_the_embed_without_a_bot_token(
    db: str, discord: FakeDiscord, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, hook = await destination("discord_webhook", discord.webhook_url(CHANNELS[1]))
    _, bot_channel = await destination("discord", str(CHANNELS[2]))
    delivery = await make_transfer_delivery(subscription, hook, due_at=clock.now)
    waiting = await make_transfer_delivery(subscription, bot_channel, due_at=clock.now, log_index=1)
    assert await make_notifier(token=None).run_once() == 1
    [message] = discord.messages(CHANNELS[1])
    assert message.webhook_id is not None
    assert message.embeds[0]["title"] == "Transfer"
    # Nobody could press a mute button on a webhook's message: only the explorer link is shown.
    assert buttons(message) == [("Open in explorer", f"https://explorer.example/tx/{TX}")]
    assert await status_of(delivery) == "delivered"
    # Without the bot token the channel destination waits untouched for a notifier that has it.
    assert discord.messages(CHANNELS[2]) == []
    assert (await Delivery.get(id=waiting.id)).attempts == 0


async def test_a_dm_destination_opens_the_dm_once_and_is_delivered_there(
    db: str, discord: FakeDiscord, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, dm = await destination("discord", f"dm:{USER}")
    first = await make_transfer_delivery(subscription, dm, due_at=clock.now)
    notifier = make_notifier()
    assert await notifier.run_once() == 1
    second = await make_transfer_delivery(subscription, dm, due_at=clock.now, log_index=1)
    assert await notifier.run_once() == 1
    assert [m.embeds[0]["title"] for m in discord.dms(USER)] == ["Transfer", "Transfer"]
    assert [await status_of(first), await status_of(second)] == ["delivered", "delivered"]
    assert posts_to(discord, "/users/@me/channels") == [200]


async def test_a_provisional_embed_is_edited_to_confirmed_and_another_to_reverted(
    db: str, discord: FakeDiscord, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, channel = await destination("discord", str(CHANNELS[3]))
    kept = await make_transfer_delivery(subscription, channel, due_at=clock.now)
    orphaned = await make_transfer_delivery(subscription, channel, due_at=clock.now, log_index=1)
    await Delivery.filter(id__in=[kept.id, orphaned.id]).update(provisional=True)
    notifier = make_notifier()
    assert await notifier.run_once() == 2
    assert all(PROVISIONAL in m.embeds[0]["description"] for m in discord.messages(CHANNELS[3]))

    for original, kind in ((kept, "event.confirmed"), (orphaned, "event.reverted")):
        await Delivery.create(
            id=uuid.uuid4(),
            event_id=original.event_id,  # type: ignore[attr-defined]
            subscription=subscription,
            destination=channel,
            kind=kind,
            next_attempt_at=clock.now,
            created_at=clock.now,
        )
    assert await notifier.run_once() == 2
    by_id = {str(m.id): m for m in discord.messages(CHANNELS[3])}
    assert len(by_id) == 2
    confirmed = by_id[str((await Delivery.get(id=kept.id)).message_ref)]
    reverted = by_id[str((await Delivery.get(id=orphaned.id)).message_ref)]
    assert confirmed.edited and reverted.edited
    assert CONFIRMED in confirmed.embeds[0]["description"]
    assert PROVISIONAL not in confirmed.embeds[0]["description"]
    assert REVERTED in reverted.embeds[0]["description"]
    assert PROVISIONAL not in reverted.embeds[0]["description"]
    assert await Delivery.filter(status="delivered").count() == 4


async def test_a_send_repeated_after_a_crash_before_its_record_posts_once(
    db: str, discord: FakeDiscord, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, channel = await destination("discord", str(CHANNELS[4]))
    delivery = await make_transfer_delivery(subscription, channel, due_at=clock.now)
    notifier = make_notifier()
    assert await notifier.run_once() == 1
    # The process died after Discord posted the message and before the attempt was recorded:
    # the delivery is still pending, and its lease has run out.
    await Delivery.filter(id=delivery.id).update(
        status="pending", attempts=0, claimed_until=None, message_ref=None, sent_at=None
    )
    await DeliveryAttempt.filter(delivery_id=delivery.id).delete()
    assert await notifier.run_once() == 1
    assert posts_to(discord, f"/channels/{CHANNELS[4]}/messages") == [200, 200]
    [message] = discord.messages(CHANNELS[4])
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.message_ref) == ("delivered", str(message.id))


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("deny_permission", "Missing Permissions (code 50013)"),
        ("delete_channel", "Unknown Channel (code 10003)"),
        ("delete_webhook_channel", "Unknown Webhook (code 10015)"),
        ("close_dms", "Cannot send messages to this user (code 50007)"),
    ],
)
async def test_a_refusing_destination_is_disabled_after_one_request(
    db: str,
    discord: FakeDiscord,
    clock: Clock,
    make_notifier: Callable[..., Notifier],
    fault: str,
    reason: str,
) -> None:
    if fault == "delete_webhook_channel":
        target, path = discord.webhook_url(CHANNELS[5]), "/webhooks/"
        subscription, refusing = await destination("discord_webhook", target)
        discord.delete_channel(CHANNELS[5])
    elif fault == "close_dms":
        subscription, refusing = await destination("discord", f"dm:{USER}")
        discord.close_dms(USER)
        path = f"/channels/{discord.dm_channel_id(USER)}/"
    else:
        subscription, refusing = await destination("discord", str(CHANNELS[5]))
        getattr(discord, fault)(CHANNELS[5])
        path = f"/channels/{CHANNELS[5]}/"
    deliveries = [
        await make_transfer_delivery(subscription, refusing, due_at=clock.now, log_index=i)
        for i in range(3)
    ]
    notifier = make_notifier()
    assert await notifier.run_once() == 3
    assert len(posts_to(discord, path)) == 1
    assert sorted([await status_of(d) for d in deliveries]) == ["cancelled", "cancelled", "dead"]
    stored = await Destination.get(id=refusing.id)
    assert stored.status == "disabled"
    assert reason in (stored.disabled_reason or "")
    later = await make_transfer_delivery(subscription, refusing, due_at=clock.now, log_index=9)
    clock.advance(3600)
    assert await notifier.run_once() == 0
    assert await status_of(later) == "pending"
    assert len(posts_to(discord, path)) == 1


async def test_a_storm_of_429s_is_waited_out_and_loses_nothing(
    db: str, discord: FakeDiscord, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    deliveries = []
    for index, channel_id in enumerate(CHANNELS[:4]):
        subscription, channel = await destination("discord", str(channel_id))
        deliveries.append(
            await make_transfer_delivery(subscription, channel, due_at=clock.now, log_index=index)
        )
    hook_url = discord.webhook_url(CHANNELS[4])
    subscription, hook = await destination("discord_webhook", hook_url)
    deliveries.append(
        await make_transfer_delivery(subscription, hook, due_at=clock.now, log_index=9)
    )
    for _ in range(3):
        discord.rate_limit_once("global", 0.2)
    discord.rate_limit_once(f"/channels/{CHANNELS[0]}/messages", 0.3)
    discord.rate_limit_once(f"/channels/{CHANNELS[0]}/messages", 0.3)
    discord.rate_limit_once("/webhooks/", 0.3)
    notifier = make_notifier()
    assert await notifier.run_once() == 5
    # Short pauses are waited out within the send; a delivery refused too often in a row is
    # rescheduled instead, and goes out in a later round.
    clock.advance(60)
    await notifier.run_once()
    assert len(discord.limits.refused) == 6
    assert [len(discord.messages(c)) for c in CHANNELS[:5]] == [1, 1, 1, 1, 1]
    assert [await status_of(d) for d in deliveries] == ["delivered"] * 5


def events_shown(message: FakeMessage) -> int:
    """How many events a message tells of: one, or a digest's count."""
    title = str(message.embeds[0]["title"])
    return 1 if title == "Transfer" else int(title.split(" ", 1)[0])


async def test_300_messages_to_20_channels_and_5_webhooks_stay_within_discords_limits(
    db: str, discord: FakeDiscord, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    # Discord's limits scaled down (the same shape, shorter windows), and the channel's own
    # pace for webhooks and the global limit told the same scale.
    discord.limits.limits["channel_messages"] = (5, 1.0)
    discord.limits.limits["channel_webhook"] = (5, 0.5)
    discord.limits.global_per_s = 150
    destinations: list[tuple[Subscription, Destination]] = [
        await destination("discord", str(channel_id)) for channel_id in CHANNELS
    ]
    webhook_channels = [9100 + i for i in range(5)]
    discord.state.add_guild(GuildSpec(GUILD + 1, channels={c: "hooks" for c in webhook_channels}))
    for channel_id in webhook_channels:
        destinations.append(await destination("discord_webhook", discord.webhook_url(channel_id)))
    start = clock.now - timedelta(seconds=1)
    for index in range(300):
        # Interleaved in time, so that a round of 50 holds two for each destination: messages
        # of their own rather than digests, as many as Discord's limits are about.
        due_at = start + timedelta(milliseconds=index)
        subscription, target = destinations[index % len(destinations)]
        await make_transfer_delivery(subscription, target, due_at=due_at, log_index=index)
    limits = DiscordLimits(global_per_s=150.0, webhook_period_s=0.5)
    notifier = make_notifier(limits=limits, batch_size=50)
    while await notifier.run_once():
        pass
    assert discord.limits.refused == []
    shown = [sum(events_shown(m) for m in discord.messages(c)) for c in CHANNELS]
    shown += [sum(events_shown(m) for m in discord.messages(c)) for c in webhook_channels]
    assert shown == [12] * 25
    assert await Delivery.filter(status="delivered").count() == 300


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://discord.com/api/webhooks/123/tok-en_1", ("123", "tok-en_1")),
        ("https://discordapp.com/api/v10/webhooks/123/token", ("123", "token")),
        ("http://127.0.0.1:8/api/webhooks/123/token", ("123", "token")),
        ("http://discord.com/api/webhooks/123/token", None),
        ("https://discord.com.evil.example/api/webhooks/123/token", None),
        ("https://evil.example/api/webhooks/123/token", None),
        ("https://discord.com/api/webhooks/123/token?wait=false", None),
        ("https://discord.com/api/channels/123/messages", None),
        ("not a url", None),
    ],
)
def test_only_discord_webhook_urls_on_discord_or_the_configured_api_are_accepted(
    url: str, expected: tuple[str, str] | None
) -> None:
    assert parse_discord_webhook_url(url, "http://127.0.0.1:8/api/v10") == expected
