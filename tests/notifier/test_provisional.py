"""Provisional notifications against a real chain: the watcher on anvil with two confirmations,
the notifier sending through python-telegram-bot to the fake Bot API. An instant subscription's
message is edited to confirmed, or to reverted after an `anvil_reorg`; a subscription that waits
for confirmations hears only of what was confirmed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from locales import translate
from notifier.loop import Notifier
from storage.models import Contract, Delivery, Destination, Subscription, User
from tests.fakes.telegram_api import ChatMessage, FakeTelegram
from tests.support.anvil import AnvilNode
from tests.support.builders import TRANSFER_TOPIC
from tests.support.token import TOKEN_ABI, Token
from tests.support.watching import anvil_spec, running_watcher

INSTANT_CHAT = 7001
PATIENT_CHAT = 7002
RECIPIENT = "0x" + "22" * 20
QUICK_LIMITS = {"private_chat_interval_s": 0.02}
PROVISIONAL = translate("en", "notify.provisional")
CONFIRMED = translate("en", "notify.confirmed")
REVERTED = translate("en", "notify.reverted_title")


async def subscribe_chat(token: Token, chat_id: int, *, instant: bool) -> None:
    user = await User.create()
    contract = await Contract.create(
        chain="anvil", address=token.address.lower(), abi=TOKEN_ABI, symbol="BBT", decimals=18
    )
    destination = await Destination.create(user=user, kind="telegram", target=str(chat_id))
    await Subscription.create(
        user=user,
        contract=contract,
        destination=destination,
        chain="anvil",
        event_name="Transfer",
        selector=TRANSFER_TOPIC,
        instant=instant,
    )


async def deliver_until(
    notifier: Notifier, done: Callable[[], bool], timeout_s: float = 20.0
) -> None:
    """Run notifier rounds until `done()` holds, as the service's loop would."""
    async with asyncio.timeout(timeout_s):
        while not done():
            await notifier.run_once()
            await asyncio.sleep(0.05)


def only_message(fake: FakeTelegram, chat_id: int) -> ChatMessage:
    [message] = fake.messages(chat_id)
    return message


async def test_a_provisional_notification_is_edited_to_confirmed_and_another_to_reverted(
    db: str,
    anvil: AnvilNode,
    token: Token,
    fake: FakeTelegram,
    make_notifier: Callable[..., Notifier],
) -> None:
    await subscribe_chat(token, INSTANT_CHAT, instant=True)
    await subscribe_chat(token, PATIENT_CHAT, instant=False)
    notifier = make_notifier(limits=QUICK_LIMITS, clock=lambda: datetime.now(UTC))
    after_deployment = await anvil.block_number() + 1
    spec = anvil_spec(anvil.url, confirmations=2, start_block=after_deployment)
    async with running_watcher(spec):
        await token.transfer(RECIPIENT, 10**18)
        await deliver_until(notifier, lambda: bool(fake.messages(INSTANT_CHAT)))
        first = only_message(fake, INSTANT_CHAT)
        assert PROVISIONAL in first.text and "1 BBT" in first.text
        assert fake.messages(PATIENT_CHAT) == []

        await anvil.mine(2)
        await deliver_until(notifier, lambda: only_message(fake, INSTANT_CHAT).edited)
        confirmed = only_message(fake, INSTANT_CHAT)
        assert confirmed.message_id == first.message_id
        assert CONFIRMED in confirmed.text and PROVISIONAL not in confirmed.text
        await deliver_until(notifier, lambda: bool(fake.messages(PATIENT_CHAT)))
        patient = only_message(fake, PATIENT_CHAT)
        assert "1 BBT" in patient.text and PROVISIONAL not in patient.text

        await token.transfer(RECIPIENT, 2 * 10**18)
        await deliver_until(notifier, lambda: len(fake.messages(INSTANT_CHAT)) == 2)
        second = fake.messages(INSTANT_CHAT)[1]
        assert PROVISIONAL in second.text and "2 BBT" in second.text

        await anvil.reorg(1)  # the block of the second transfer is replaced by an empty one
        await deliver_until(notifier, lambda: fake.messages(INSTANT_CHAT)[1].edited)
        reverted = fake.messages(INSTANT_CHAT)[1]
        assert REVERTED in reverted.text and PROVISIONAL not in reverted.text
        await anvil.mine(3)
        await asyncio.sleep(0.5)
        await notifier.run_once()

    # The reverted transfer never reached the chat that waits for confirmations.
    assert [m.text for m in fake.messages(PATIENT_CHAT)] == [patient.text]
    assert len(fake.messages(INSTANT_CHAT)) == 2
    statuses = {(d.kind, d.status) for d in await Delivery.all()}
    assert ("event", "cancelled") in statuses  # the patient chat's delivery of the reverted one
    assert ("event.confirmed", "delivered") in statuses
    assert ("event.reverted", "delivered") in statuses
