"""A Cosmos chain that stops making blocks (an upgrade halt) while its watcher stays healthy at
the tip: /health shows when the newest block was made and that the chain is quiet, a subscribed
chat hears it once, and once more when the chain makes blocks again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.stall_notices import StallNotices
from tests.fakes.cometbft_rpc import FakeCometBft
from tests.fakes.telegram_api import FakeTelegram
from tests.notifier.conftest import BOT_TOKEN, Clock
from tests.storage.test_chain_health import subscribe_chat
from tests.support.cosmos_chain import CosmosChain
from tests.support.watching import wait_until
from tests.watcher.test_cosmos_crawl import CHAIN, hub_spec, reached, watching
from watcher.health_reporter import HealthReporter

QUIET_AFTER_S = 60.0
BLOCK_TIME_S = 30.0
CHAT = 100


@pytest.fixture
async def node() -> AsyncIterator[FakeCometBft]:
    fake = await FakeCometBft.start(CosmosChain("blockbell-1", block_time_s=BLOCK_TIME_S), seed=7)
    yield fake
    await fake.stop()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram.start(BOT_TOKEN)
    yield server
    await server.stop()


@pytest.fixture
async def channel(telegram: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    sender = TelegramChannel(build_bot(BOT_TOKEN, telegram.url))
    yield sender
    await sender.close()


def made_at(node: FakeCometBft, height: int) -> datetime:
    """The block's header time as the watcher reads it: whole seconds, UTC."""
    return datetime.fromtimestamp(node.chain.block(height).time_ns // 1_000_000_000, UTC)


def texts(telegram: FakeTelegram) -> list[str]:
    return [message.text for message in telegram.messages(CHAT)]


async def test_a_halted_chain_turns_quiet_on_health_and_in_the_chat_then_moves_again(
    db: str, node: FakeCometBft, telegram: FakeTelegram, channel: TelegramChannel
) -> None:
    await subscribe_chat(str(CHAT), CHAIN)
    node.chain.mine_empty(2)
    halt_height = node.chain.height
    node.halt()  # an upgrade height: /status keeps telling this block
    made = made_at(node, halt_height)
    clock = Clock()
    clock.now = made + timedelta(seconds=5)
    async with watching(hub_spec(node.url)) as running:
        status = running.status
        status.quiet_after_s = QUIET_AFTER_S
        await wait_until(lambda: reached(halt_height))
        await wait_until(lambda: status.healthy)
        reporter = HealthReporter({CHAIN: status}, {CHAIN: 0}, clock=clock)
        checker = StallNotices(channel, quiet_after_s={CHAIN: QUIET_AFTER_S}, clock=clock)

        health = status.as_dict(clock.now)
        assert (health["head"], health["head_time"]) == (halt_height, made.isoformat())
        assert (health["healthy"], health["chain_quiet"]) == (True, False)
        await reporter.report_once()
        assert await checker.check_once() == 0

        clock.advance(QUIET_AFTER_S)
        health = status.as_dict(clock.now)
        assert (health["healthy"], health["lag"], health["chain_quiet"]) == (True, 0, True)
        await reporter.report_once()
        assert await checker.check_once() == 1
        assert await checker.check_once() == 0  # told once
        assert texts(telegram) == [
            f"⏸ hub has made no new block since {made:%Y-%m-%d %H:%M} UTC (1 min)\n"
            "Blockbell keeps watching and will deliver what comes when it resumes."
        ]

        node.resume()  # the upgrade is done: two blocks, the newest seconds before now
        node.mine()
        tip = node.mine().height
        await wait_until(lambda: status.head == tip)
        health = status.as_dict(clock.now)
        assert (health["head_time"], health["chain_quiet"]) == (
            made_at(node, tip).isoformat(),
            False,
        )
        await reporter.report_once()
        assert await checker.check_once() == 1
        assert await checker.check_once() == 0
        assert texts(telegram)[1:] == ["▶️ hub is making blocks again"]
        assert not running.task.done()
