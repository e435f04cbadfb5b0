"""Cosmos deliveries end to end: an event stored as the watcher stores a Cosmos match, claimed
from a real database, rendered with the chain's settings (ChainInfo) and sent to a real webhook
receiver and to the fake Telegram Bot API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest

from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.channels.webhook import WebhookChannel
from notifier.loop import ChainInfo, Notifier
from notifier.webhook_targets import LOCAL_TARGETS
from storage.models import Contract, Delivery, Destination, Event, Subscription, User
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.notifier.conftest import BOT_TOKEN, CHAINS, SCHEDULE_S, Clock
from tests.notifier.cosmos_data import (
    ALICE,
    ATOM,
    BLOCK_HASH,
    BOB,
    CHAIN,
    CHAIN_ID,
    HEIGHT,
    IBC_DENOM,
    MINTSCAN,
    TX,
)
from tests.support.builders import make_subscribed_destination, make_transfer_delivery

COSMOS = ChainInfo(CHAIN_ID, MINTSCAN, family="cosmos", denoms=(ATOM,), bech32_prefix="cosmos")
ARGS = {
    "recipient": [BOB, ALICE],
    "sender": ALICE,
    "amount": ["1500000uatom", f"5uatom,7{IBC_DENOM}"],
    "memo": None,
}


@pytest.fixture
async def telegram(fake: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(build_bot(BOT_TOKEN, fake.url))
    yield channel
    await channel.close()


def notifier(session: aiohttp.ClientSession, clock: Clock, telegram: TelegramChannel) -> Notifier:
    webhook = WebhookChannel(session, targets=LOCAL_TARGETS, timeout_s=1.0)
    chains = {**CHAINS, CHAIN: COSMOS}
    return Notifier(
        chains, webhook, telegram=telegram, schedule_s=SCHEDULE_S, clock=clock, jitter=lambda: 0.0
    )


async def cosmos_deliveries(clock: Clock, *targets: tuple[str, str, str]) -> list[Delivery]:
    """A transfer event of transaction TX (its message 1) delivered to each (kind, target,
    secret)."""
    user = await User.create()
    contract = await Contract.create(chain=CHAIN, address="", abi=[])
    event = await Event.create(
        id=uuid.uuid4(),
        chain=CHAIN,
        block_number=HEIGHT,
        block_hash=BLOCK_HASH,
        transaction_hash=TX,
        log_index=5,
        contract="",
        selector=None,
        event_name="transfer",
        args=ARGS,
        topics=[],
        data="",
        msg_index=1,
        created_at=clock.now,
    )
    deliveries = []
    for kind, target, secret in targets:
        destination = await Destination.create(user=user, kind=kind, target=target, secret=secret)
        subscription = await Subscription.create(
            user=user,
            contract=contract,
            destination=destination,
            chain=CHAIN,
            event_name="transfer",
        )
        delivery = await Delivery.create(
            id=uuid.uuid4(),
            event=event,
            subscription=subscription,
            destination=destination,
            next_attempt_at=clock.now,
            created_at=clock.now,
        )
        deliveries.append(delivery)
    return deliveries


async def test_a_cosmos_event_reaches_a_webhook_and_a_chat_as_the_chain_settings_say(
    db: str,
    receiver: WebhookReceiver,
    fake: FakeTelegram,
    clock: Clock,
    session: aiohttp.ClientSession,
    telegram: TelegramChannel,
) -> None:
    to_webhook, to_chat = await cosmos_deliveries(
        clock, ("webhook", receiver.url, receiver.secret), ("telegram", "3001", "")
    )
    assert await notifier(session, clock, telegram).run_once() == 2
    [request] = receiver.requests
    assert request.signature_valid
    assert orjson.loads(request.body) == {
        "type": "event",
        "subscription_id": to_webhook.subscription_id,  # type: ignore[attr-defined]
        "chain": CHAIN,
        "chain_id": CHAIN_ID,
        "block_number": HEIGHT,
        "block_hash": BLOCK_HASH,
        "transaction_hash": TX,
        "msg_index": 1,
        "event_index": 5,
        "contract": None,
        "event": "transfer",
        "args": ARGS,
        "explorer_url": f"{MINTSCAN}/tx/{TX}",
        "provisional": False,
    }
    [message] = fake.messages(3001)
    lines = message.text.splitlines()
    assert lines[:2] == ["transfer · cosmoshub", ""]
    assert lines[6:] == ["", "Block: 19,000,001", "Transaction: C0FFEE…ABAB"]
    # In the order stored: PostgreSQL's jsonb keeps no key order, SQLite does.
    assert sorted(lines[2:6]) == [
        "amount: 1.5 ATOM; 0.000005 ATOM, 7 ibc/2739…5EB2",
        "memo: (no value)",
        "recipient: cosmos1v3j…rdcs; cosmos1qyp…v7xu",
        "sender: cosmos1qyp…v7xu",
    ]
    assert message.html is not None and f'href="{MINTSCAN}/address/{BOB}"' in message.html
    assert message.buttons() == [
        ("Mute this subscription", f"mute:{to_chat.subscription_id}"),  # type: ignore[attr-defined]
        ("Open in explorer", f"{MINTSCAN}/tx/{TX}"),
    ]
    statuses = {d.status for d in await Delivery.filter(id__in=[to_webhook.id, to_chat.id])}
    assert statuses == {"delivered"}


async def test_evm_deliveries_of_the_same_round_read_as_before(
    db: str,
    fake: FakeTelegram,
    clock: Clock,
    session: aiohttp.ClientSession,
    telegram: TelegramChannel,
) -> None:
    await cosmos_deliveries(clock, ("telegram", "3002", ""))
    subscription, destination = await make_subscribed_destination(
        kind="telegram", target="3003", secret=""
    )
    await make_transfer_delivery(subscription, destination, due_at=clock.now)
    assert await notifier(session, clock, telegram).run_once() == 2
    [cosmos] = fake.messages(3002)
    [evm] = fake.messages(3003)
    assert cosmos.text.startswith("transfer · cosmoshub\n")
    assert evm.text.startswith("Transfer · anvil\nContract: 0x5FbD…0aa3\n\nfrom: 0xf39F…2266\n")
