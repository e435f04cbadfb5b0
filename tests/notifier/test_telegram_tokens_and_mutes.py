"""Subscriptions made in a chat through the bot core, notified through the fake Bot API: token
amounts read in whole tokens, and a muted subscription stays quiet except for corrections."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from bot.core.caller import Caller
from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import ContractInfo
from locales import translate
from notifier.loop import Notifier
from storage.models import Delivery, Destination, Subscription
from tests.bot.core.conftest import FakeChainLookup
from tests.fakes.telegram_api import FakeTelegram
from tests.notifier.conftest import Clock
from tests.support.builders import TOKEN, make_transfer_delivery

CHAT = 7001
BBT = ContractInfo(True, "erc20", "Blockbell Token", "BBT", 18)
ME = Caller("telegram", str(CHAT), str(CHAT), "private", False, "en")


@pytest.fixture
def core(db: str) -> BotCore:
    lookup = FakeChainLookup(contracts={("anvil", TOKEN): BBT})
    return BotCore(CoreSettings(chains=("anvil",), lookup=lookup))


@pytest.fixture
def notifier(make_notifier: Callable[..., Notifier]) -> Notifier:
    return make_notifier(limits={"private_chat_interval_s": 0.02})


async def subscribe_in_chat(core: BotCore, clock: Clock) -> Subscription:
    """The chat subscribes to the token's transfers with the one-line form."""
    await core.message(ME, f"subscribe anvil {TOKEN} Transfer", clock.now)
    return await Subscription.filter(destination__target=str(CHAT)).order_by("-id").first()


async def destination_of(subscription: Subscription) -> Destination:
    return await Destination.get(id=subscription.destination_id)  # type: ignore[attr-defined]


async def status_of(delivery: Delivery) -> str:
    return (await Delivery.get(id=delivery.id)).status


async def test_a_token_transfer_reads_in_whole_tokens_with_the_symbol(
    core: BotCore, fake: FakeTelegram, clock: Clock, notifier: Notifier
) -> None:
    subscription = await subscribe_in_chat(core, clock)
    delivery = await make_transfer_delivery(
        subscription,
        await destination_of(subscription),
        due_at=clock.now,
        value=1_234_500_000_000_000_000_000,
    )
    assert await notifier.run_once() == 1
    [message] = fake.messages(CHAT)
    assert "value: 1,234.5 BBT" in message.text.splitlines()
    assert await status_of(delivery) == "delivered"


async def test_a_muted_subscription_stays_quiet_but_corrections_still_arrive(
    core: BotCore, fake: FakeTelegram, clock: Clock, notifier: Notifier
) -> None:
    subscription = await subscribe_in_chat(core, clock)
    destination = await destination_of(subscription)
    sent = await make_transfer_delivery(subscription, destination, due_at=clock.now)
    assert await notifier.run_once() == 1
    reply = await core.action(ME, f"sub:mute:{subscription.id}:1", clock.now)
    assert reply.text.key == "bot.sub.muted"

    clock.advance(60)
    held = await make_transfer_delivery(subscription, destination, due_at=clock.now, log_index=1)
    correction = await Delivery.create(
        id=uuid.uuid4(),
        event_id=sent.event_id,  # type: ignore[attr-defined]
        subscription=subscription,
        destination=destination,
        kind="event.reverted",
        next_attempt_at=clock.now,
        created_at=clock.now,
    )
    assert await notifier.run_once() == 2
    assert await status_of(held) == "muted"
    assert await status_of(correction) == "delivered"
    [first] = fake.messages(CHAT)  # the correction rewrote the notification it voids
    assert first.edited
    assert translate("en", "notify.reverted_title") in first.text

    clock.advance(3600)
    after = await make_transfer_delivery(subscription, destination, due_at=clock.now, log_index=2)
    assert await notifier.run_once() == 1
    assert await status_of(after) == "delivered"
    assert len(fake.messages(CHAT)) == 2
    assert await status_of(held) == "muted"


async def test_a_mute_of_one_subscription_leaves_the_others_of_the_chat_alone(
    core: BotCore, fake: FakeTelegram, clock: Clock, notifier: Notifier
) -> None:
    muted = await subscribe_in_chat(core, clock)
    unmuted = await subscribe_in_chat(core, clock)
    destination = await destination_of(muted)
    await core.action(ME, f"sub:mute:{muted.id}:24", clock.now)
    held = await make_transfer_delivery(muted, destination, due_at=clock.now)
    other = await make_transfer_delivery(unmuted, destination, due_at=clock.now, log_index=1)
    assert await notifier.run_once() == 2
    assert (await status_of(held), await status_of(other)) == ("muted", "delivered")
    assert len(fake.messages(CHAT)) == 1
