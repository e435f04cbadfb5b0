"""Telegram deliveries end to end: outbox rows in a real database, python-telegram-bot's real Bot,
and a fake Bot API that keeps the chats and answers as Telegram does."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import aiohttp

from notifier.channels.webhook import WebhookChannel
from notifier.loop import Notifier
from notifier.webhook_targets import TargetRules
from storage.models import Contract, Delivery, DeliveryAttempt, Destination, Subscription, User
from tests.fakes.telegram_api import FakeTelegram
from tests.notifier.conftest import CHAINS, SCHEDULE_S, Clock
from tests.support.builders import TOKEN, TX, make_subscribed_destination, make_transfer_delivery

# Telegram's limits let one chat receive a message a second; tests that send several messages
# to one chat, and are not about the limits, space them closer.
QUICK_LIMITS = {"private_chat_interval_s": 0.02, "group_per_minute": 3000.0}
# Paced by Telegram's 30 messages a second: five seconds of sustained sending per database, far
# past any burst. bench/telegram_fanout.py measures how long a large fan-out takes.
FANOUT_CHATS = 140
BURST_EVENTS = 500
FANOUT_GROUPS = 10


async def chat(chat_id: int, language: str = "en") -> tuple[Subscription, Destination]:
    subscription, destination = await make_subscribed_destination(
        kind="telegram", target=str(chat_id), secret=""
    )
    await User.filter(id=destination.user_id).update(language=language)  # type: ignore[attr-defined]
    return subscription, destination


async def attempts_of(delivery: Delivery) -> list[tuple[int, str, int | None]]:
    rows = await DeliveryAttempt.filter(delivery_id=delivery.id).order_by("number")
    return [(row.number, row.outcome, row.response_code) for row in rows]


async def status_of(delivery: Delivery) -> str:
    return (await Delivery.get(id=delivery.id)).status


async def test_a_transfer_arrives_as_html_with_its_amount_links_and_both_buttons(
    db: str, fake: FakeTelegram, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, destination = await chat(1001)
    delivery = await make_transfer_delivery(
        subscription, destination, due_at=clock.now, value=1_234_500_000_000_000_000_000
    )
    await Contract.filter(address=TOKEN).update(symbol="TKN", decimals=18)
    notifier = make_notifier()
    assert await notifier.run_once() == 1
    [message] = fake.messages(1001)
    assert message.text == (
        "Transfer · anvil\n"
        "Contract: 0x5FbD…0aa3\n\n"
        "from: 0xf39F…2266\n"
        "to: 0x7099…79C8\n"
        "value: 1,234.5 TKN\n\n"
        "Block: 7\n"
        "Transaction: 0xbbbb…bbbb"
    )
    assert message.html is not None
    assert f'<a href="https://explorer.example/tx/{TX}">0xbbbb…bbbb</a>' in message.html
    assert message.buttons() == [
        ("Mute this subscription", f"mute:{subscription.id}"),
        ("Open in explorer", f"https://explorer.example/tx/{TX}"),
    ]
    assert await status_of(delivery) == "delivered"
    assert await attempts_of(delivery) == [(1, "success", 200)]


async def test_a_russian_user_reads_the_notification_in_russian(
    db: str, fake: FakeTelegram, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, destination = await chat(1002, language="ru")
    await make_transfer_delivery(subscription, destination, due_at=clock.now)
    await make_notifier().run_once()
    [message] = fake.messages(1002)
    assert "Контракт: 0x5FbD…0aa3" in message.text
    assert "value: 1,000,000,000,000,000,000" in message.text
    assert "Блок: 7" in message.text
    assert "Транзакция: 0xbbbb…bbbb" in message.text
    assert [text for text, _ in message.buttons()] == [
        "Отключить эту подписку",
        "Открыть в обозревателе",
    ]


async def test_a_blocked_bot_pauses_the_destination_and_sends_it_nothing_more(
    db: str, fake: FakeTelegram, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    fake.block(1003)
    subscription, destination = await chat(1003)
    first = await make_transfer_delivery(subscription, destination, due_at=clock.now)
    second = await make_transfer_delivery(subscription, destination, due_at=clock.now, log_index=1)
    notifier = make_notifier(limits=QUICK_LIMITS)
    assert await notifier.run_once() == 2
    assert [send.status for send in fake.sends] == [403]
    assert sorted([await status_of(first), await status_of(second)]) == ["cancelled", "dead"]
    stored = await Destination.get(id=destination.id)
    assert stored.status == "disabled"
    assert "blocked by the user" in (stored.disabled_reason or "")
    later = await make_transfer_delivery(subscription, destination, due_at=clock.now, log_index=2)
    clock.advance(3600)
    assert await notifier.run_once() == 0
    assert await status_of(later) == "pending"
    assert len(fake.sends) == 1


async def test_a_migrated_group_gets_the_message_at_its_new_id_from_now_on(
    db: str, fake: FakeTelegram, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    fake.migrate(-10, -1001234)
    subscription, destination = await chat(-10)
    first = await make_transfer_delivery(subscription, destination, due_at=clock.now)
    notifier = make_notifier(limits=QUICK_LIMITS)
    assert await notifier.run_once() == 1
    assert len(fake.messages(-1001234)) == 1
    assert fake.messages(-10) == []
    assert (await Destination.get(id=destination.id)).target == "-1001234"
    assert await attempts_of(first) == [(1, "success", 200)]
    await make_transfer_delivery(subscription, destination, due_at=clock.now, log_index=1)
    assert await notifier.run_once() == 1
    assert len(fake.messages(-1001234)) == 2
    assert [send.chat_id for send in fake.sends] == [-10, -1001234, -1001234]


async def test_a_429_stops_every_send_for_its_retry_after_and_loses_nothing(
    db: str, fake: FakeTelegram, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    chats = [2001, 2002, 2003, 2004]
    deliveries = []
    for index, chat_id in enumerate(chats):
        subscription, destination = await chat(chat_id)
        deliveries.append(
            await make_transfer_delivery(
                subscription, destination, due_at=clock.now, log_index=index
            )
        )
    fake.retry_after_once(1)
    # Sends spaced wider than Telegram's overall limit, so that the 429 is back before the next
    # send leaves even on a busy machine.
    notifier = make_notifier(limits={"overall_per_s": 2.0})
    assert await notifier.run_once() == 4
    [limited] = [send for send in fake.sends if send.status == 429]
    later = [send.at - limited.at for send in fake.sends if send.at > limited.at]
    assert len(later) == 3
    assert min(later) >= 0.95
    statuses = [await status_of(d) for d in deliveries]
    assert statuses.count("delivered") == 3 and statuses.count("pending") == 1
    clock.advance(60)
    assert await notifier.run_once() == 1
    assert [len(fake.messages(chat_id)) for chat_id in chats] == [1, 1, 1, 1]
    assert [await status_of(d) for d in deliveries] == ["delivered"] * 4


async def test_a_burst_for_one_chat_arrives_as_digests_and_loses_nothing(
    db: str, fake: FakeTelegram, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, destination = await chat(3001)
    for i in range(BURST_EVENTS):
        await make_transfer_delivery(subscription, destination, due_at=clock.now, log_index=i)
    notifier = make_notifier(limits=QUICK_LIMITS)
    while await notifier.run_once():
        pass
    messages = fake.messages(3001)
    assert 1 < len(messages) < BURST_EVENTS / 10
    counts = [int(message.text.split(" ", 1)[0]) for message in messages]
    assert sum(counts) == BURST_EVENTS
    for message, count in zip(messages, counts, strict=True):
        assert message.text.startswith(f"{count} new events\n")
        assert sum(line.startswith("• Transfer") for line in message.text.splitlines()) == count
    assert await Delivery.filter(status="delivered").count() == BURST_EVENTS
    attempts = await DeliveryAttempt.filter(number=1, outcome="success", response_code=200).count()
    assert attempts == await DeliveryAttempt.all().count() == BURST_EVENTS


async def test_a_timed_out_send_is_retried_from_the_same_row(
    db: str, fake: FakeTelegram, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, destination = await chat(4001)
    delivery = await make_transfer_delivery(subscription, destination, due_at=clock.now)
    fake.stall_once(2.0)
    notifier = make_notifier(timeout_s=0.3)
    assert await notifier.run_once() == 1
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.last_error) == ("pending", "no answer from Telegram within 0.3 s")
    clock.advance(SCHEDULE_S[1])
    assert await notifier.run_once() == 1
    assert await attempts_of(delivery) == [(1, "network_error", None), (2, "success", 200)]
    assert await Delivery.filter(destination_id=destination.id).count() == 1
    assert len(fake.messages(4001)) == 1


async def fan_out(clock: Clock, chat_ids: list[int]) -> None:
    """One Transfer event delivered to every chat in `chat_ids`."""
    subscription, destination = await chat(chat_ids[0])
    first = await make_transfer_delivery(subscription, destination, due_at=clock.now)
    rows = []
    for chat_id in chat_ids[1:]:
        subscription, destination = await chat(chat_id)
        rows.append(
            Delivery(
                id=uuid.uuid4(),
                event_id=first.event_id,  # type: ignore[attr-defined]
                subscription=subscription,
                destination=destination,
                next_attempt_at=clock.now,
                created_at=clock.now,
            )
        )
    await Delivery.bulk_create(rows)


async def test_one_event_fanned_out_to_many_chats_stays_within_telegrams_limits(
    db: str, fake: FakeTelegram, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    fake.enforce_limits = True
    chat_ids = [5000 + i for i in range(FANOUT_CHATS)] + [-900 - i for i in range(FANOUT_GROUPS)]
    await fan_out(clock, chat_ids)
    notifier = make_notifier()
    while await notifier.run_once():
        pass
    assert fake.rate_limited == 0
    assert all(len(fake.messages(chat_id)) == 1 for chat_id in chat_ids)
    assert await Delivery.filter(status="delivered").count() == len(chat_ids)


async def test_without_a_telegram_channel_telegram_deliveries_wait_untouched(
    db: str, fake: FakeTelegram, clock: Clock, session: aiohttp.ClientSession
) -> None:
    subscription, destination = await chat(6001)
    delivery = await make_transfer_delivery(subscription, destination, due_at=clock.now)
    webhook_only = Notifier(CHAINS, WebhookChannel(session, targets=TargetRules()), clock=clock)
    assert await webhook_only.run_once() == 0
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.attempts, stored.claimed_until) == ("pending", 0, None)
    assert fake.sends == []
