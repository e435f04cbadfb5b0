"""Fixtures of the notifier tests: a loopback webhook receiver, an HTTP client session, a fake
Telegram Bot API and notifiers that deliver through it on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.channels.webhook import WebhookChannel
from notifier.loop import ChainInfo, Notifier
from notifier.telegram_limits import TelegramLimits
from notifier.webhook_targets import TargetRules
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.secret_watch import secret

BOT_TOKEN = secret("123456:TEST-token")
SCHEDULE_S = (0, 10, 20)
CHAINS = {"anvil": ChainInfo(chain_id=31337, explorer_url="https://explorer.example/")}


class Clock:
    """Wall time that only moves when a test says so; starts now so signatures stay fresh."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    fake = await WebhookReceiver.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram.start(BOT_TOKEN)
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_notifier(
    fake: FakeTelegram, clock: Clock, session: aiohttp.ClientSession
) -> AsyncIterator[Callable[..., Notifier]]:
    """Builds notifiers that send to the fake Bot API; `limits` and `timeout_s` shape the Telegram
    channel, other keywords go to the Notifier."""
    channels: list[TelegramChannel] = []

    def make(
        *,
        limits: dict[str, float] | None = None,
        timeout_s: float = 5.0,
        **options: Any,
    ) -> Notifier:
        telegram = TelegramChannel(
            build_bot(BOT_TOKEN, fake.url),
            limits=TelegramLimits(**(limits or {})),
            timeout_s=timeout_s,
        )
        channels.append(telegram)
        webhook = WebhookChannel(session, targets=TargetRules(), timeout_s=1.0)
        settings = {"schedule_s": SCHEDULE_S, "clock": clock, "jitter": lambda: 0.0}
        return Notifier(CHAINS, webhook, telegram=telegram, **{**settings, **options})

    yield make
    for channel in channels:
        await channel.close()
