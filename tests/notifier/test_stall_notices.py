"""Subscribers of a chain hear once that it stalled and once that it recovered, and once that the
chain makes no blocks and once that it makes them again, in their chats."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import aiohttp
import pytest

from notifier.channels.discord import DiscordChannel
from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.stall_notices import StallNotices
from storage.chain_health import ChainSnapshot, save_snapshot
from storage.subscriptions import set_subscription_status
from tests.fakes.discord_api import DEFAULT_TOKEN, FakeDiscord, GuildSpec
from tests.fakes.telegram_api import FakeTelegram
from tests.notifier.conftest import BOT_TOKEN, Clock
from tests.storage.test_chain_health import subscribe_chat

STALL_AFTER_S = 120.0
# The chains of these tests tell their subscribers of two minutes without a block.
QUIET_AFTER_S = {"mainnet": 120.0, "base": 120.0}
STALLED_EN = (
    "⚠️ mainnet is stalled\nBlockbell is not keeping up with this chain, so notifications of"
    " its events are delayed. None is lost: they follow when it catches up, and you will be told."
)
RECOVERED_EN = (
    "✅ mainnet has recovered\nBlockbell follows this chain again. Delayed notifications of its"
    " events are on their way."
)

MOVING_EN = "▶️ mainnet is making blocks again"

MakeChecker = Callable[[], StallNotices]


@pytest.fixture
async def make_checker(db: str, fake: FakeTelegram, clock: Clock) -> AsyncIterator[MakeChecker]:
    """Stall checkers (as separate notifier processes would run) sending to the fake Bot API."""
    channels: list[TelegramChannel] = []

    def make() -> StallNotices:
        channels.append(TelegramChannel(build_bot(BOT_TOKEN, fake.url)))
        return StallNotices(
            channels[-1], stall_after_s=STALL_AFTER_S, quiet_after_s=QUIET_AFTER_S, clock=clock
        )

    yield make
    for channel in channels:
        await channel.close()


async def report(clock: Clock, chain: str = "mainnet", **changes: object) -> None:
    """The watcher's snapshot of the chain, as of the clock's now."""
    values: dict[str, object] = {
        "chain": chain,
        "head_number": 110,
        "cursor_number": 110,
        "healthy": True,
        "halted_reason": None,
        "error": None,
        "updated_at": clock.now,
    }
    await save_snapshot(ChainSnapshot(**{**values, **changes}))  # type: ignore[arg-type]


def texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [message.text for message in fake.messages(chat_id)]


async def test_a_stall_is_told_once_to_each_subscribed_chat_then_its_recovery_once(
    make_checker: MakeChecker, fake: FakeTelegram, clock: Clock
) -> None:
    await subscribe_chat("100", "mainnet")
    await subscribe_chat("100", "mainnet")
    await subscribe_chat("-500", "mainnet", language="ru", kind="group")
    await subscribe_chat("200", "base")
    paused = await subscribe_chat("300", "mainnet")
    await set_subscription_status(paused, "paused")
    checker = make_checker()
    await report(clock, "base")
    await report(clock, cursor_number=100, stuck_since=clock.now)

    clock.advance(60)
    await report(clock, "base")
    await report(clock, cursor_number=100, stuck_since=clock.now - timedelta(seconds=60))
    assert await checker.check_once() == 0  # not stalled for long enough yet

    clock.advance(61)
    await report(clock, "base")
    await report(clock, cursor_number=100, stuck_since=clock.now - timedelta(seconds=121))
    assert await checker.check_once() == 2
    assert texts(fake, 100) == [STALLED_EN]
    [russian] = texts(fake, -500)
    assert russian.startswith("⚠️ Слежение за mainnet остановилось\nBlockbell не успевает")
    assert fake.messages(200) == [] and fake.messages(300) == []

    clock.advance(10)
    assert await checker.check_once() == 0  # still stalled: nobody is told twice
    await report(clock, head_number=130, cursor_number=130)
    await report(clock, "base")
    assert await checker.check_once() == 2
    assert await checker.check_once() == 0
    assert texts(fake, 100) == [STALLED_EN, RECOVERED_EN]
    assert len(fake.messages(-500)) == 2
    assert fake.messages(200) == [] and fake.messages(300) == []


async def test_two_checkers_racing_tell_each_chat_once(
    make_checker: MakeChecker, fake: FakeTelegram, clock: Clock
) -> None:
    for chat_id in ("100", "101", "102"):
        await subscribe_chat(chat_id, "mainnet")
    checkers = [make_checker(), make_checker()]
    await report(clock, healthy=False, error="node down", unhealthy_since=clock.now)
    clock.advance(STALL_AFTER_S)

    sent = await asyncio.gather(*(checker.check_once() for checker in checkers))
    assert sorted(sent) == [0, 3]
    await report(clock)
    sent = await asyncio.gather(*(checker.check_once() for checker in checkers))
    assert sorted(sent) == [0, 3]
    for chat in (100, 101, 102):
        assert texts(fake, chat) == [STALLED_EN, RECOVERED_EN]


def quiet_en(made: datetime, minutes: int) -> str:
    return (
        f"⏸ mainnet has made no new block since {made:%Y-%m-%d %H:%M} UTC ({minutes} min)\n"
        "Blockbell keeps watching and will deliver what comes when it resumes."
    )


async def test_a_chain_that_makes_no_blocks_is_told_once_by_racing_checkers_then_its_blocks(
    make_checker: MakeChecker, fake: FakeTelegram, clock: Clock
) -> None:
    for chat_id in ("100", "101"):
        await subscribe_chat(chat_id, "mainnet")
    await subscribe_chat("-500", "mainnet", language="ru", kind="group")
    await subscribe_chat("200", "base")
    checkers = [make_checker(), make_checker()]
    made = clock.now
    await report(clock, head_time=made)
    await report(clock, "base", head_time=made)

    clock.advance(STALL_AFTER_S - 1)
    await report(clock, head_time=made)  # the watcher is at the tip: it is the chain that waits
    await report(clock, "base", head_number=140, cursor_number=140, head_time=clock.now)
    assert await asyncio.gather(*(checker.check_once() for checker in checkers)) == [0, 0]

    clock.advance(1)
    await report(clock, head_time=made)
    await report(clock, "base", head_number=160, cursor_number=160, head_time=clock.now)
    sent = await asyncio.gather(*(checker.check_once() for checker in checkers))
    assert sorted(sent) == [0, 3]
    assert await asyncio.gather(*(checker.check_once() for checker in checkers)) == [0, 0]
    assert texts(fake, 100) == texts(fake, 101) == [quiet_en(made, 2)]
    [russian] = texts(fake, -500)
    assert russian.startswith("⏸ Сеть mainnet не создала ни одного нового блока")
    assert f"{made:%Y-%m-%d %H:%M} UTC (2 мин)\nBlockbell продолжает следить" in russian
    assert fake.messages(200) == []

    clock.advance(30)
    await report(
        clock, head_number=111, cursor_number=111, head_time=clock.now - timedelta(seconds=2)
    )
    sent = await asyncio.gather(*(checker.check_once() for checker in checkers))
    assert sorted(sent) == [0, 3]
    assert await asyncio.gather(*(checker.check_once() for checker in checkers)) == [0, 0]
    assert texts(fake, 100) == texts(fake, 101) == [quiet_en(made, 2), MOVING_EN]
    assert texts(fake, -500)[1] == "▶️ Сеть mainnet снова создаёт блоки"


async def test_a_chain_whose_settings_name_no_quiet_after_is_never_told_quiet(
    db: str, fake: FakeTelegram, clock: Clock
) -> None:
    """Chains that make blocks only on demand (anvil, some appchains) are silent for hours."""
    await subscribe_chat("100", "anvil")
    channel = TelegramChannel(build_bot(BOT_TOKEN, fake.url))
    checker = StallNotices(channel, stall_after_s=STALL_AFTER_S, clock=clock)
    try:
        made = clock.now
        await report(clock, "anvil", head_time=made)
        clock.advance(24 * 3600)
        await report(clock, "anvil", head_time=made)
        assert await checker.check_once() == 0
    finally:
        await channel.close()
    assert fake.messages(100) == []


async def test_a_watcher_in_trouble_is_told_as_a_stall_not_as_a_quiet_chain(
    make_checker: MakeChecker, fake: FakeTelegram, clock: Clock
) -> None:
    await subscribe_chat("100", "mainnet")
    checker = make_checker()
    made = clock.now
    await report(clock, healthy=False, error="node down", unhealthy_since=made, head_time=made)
    clock.advance(STALL_AFTER_S)
    await report(clock, healthy=False, error="node down", unhealthy_since=made, head_time=made)
    assert await checker.check_once() == 1
    assert texts(fake, 100) == [STALLED_EN]


async def test_a_halted_chain_and_a_silent_watcher_count_as_stalled(
    make_checker: MakeChecker, fake: FakeTelegram, clock: Clock
) -> None:
    await subscribe_chat("100", "mainnet")
    await subscribe_chat("200", "base")
    checker = make_checker()
    await report(clock, healthy=False, halted_reason="reorg deeper than 128 blocks")
    await report(clock, "base")
    assert await checker.check_once() == 1
    assert texts(fake, 100) == [
        "⚠️ mainnet is stalled\nBlockbell stopped watching this chain after a problem the"
        " operator has to resolve. Notifications of its events wait until then; you will be"
        " told when it resumes."
    ]
    clock.advance(STALL_AFTER_S)  # base's watcher has not reported since
    assert await checker.check_once() == 1
    assert texts(fake, 200) == [STALLED_EN.replace("mainnet", "base")]


async def test_a_chain_name_is_shown_as_text_and_a_blocked_chat_does_not_stop_the_others(
    make_checker: MakeChecker, fake: FakeTelegram, clock: Clock
) -> None:
    await subscribe_chat("100", "dev<1>")
    await subscribe_chat("200", "dev<1>")
    fake.block(100)
    checker = make_checker()
    await report(clock, "dev<1>", halted_reason="operator stop")
    assert await checker.check_once() == 1
    assert texts(fake, 200)[0].startswith("⚠️ dev<1> is stalled\n")
    assert fake.messages(100) == []


async def test_discord_channels_hear_of_a_stall_too_when_the_discord_bot_runs_here(
    db: str, clock: Clock, session: aiohttp.ClientSession
) -> None:
    channel_id = 9300
    discord = await FakeDiscord.start(guilds=[GuildSpec(700, channels={channel_id: "alerts"})])
    try:
        await subscribe_chat(str(channel_id), "mainnet", kind="group", platform="discord")
        api_url = f"{discord.url}/api/v10"
        webhooks_only = StallNotices(
            None, DiscordChannel(session, None, api_url), stall_after_s=STALL_AFTER_S, clock=clock
        )
        with_bot = StallNotices(
            None,
            DiscordChannel(session, DEFAULT_TOKEN, api_url),
            stall_after_s=STALL_AFTER_S,
            clock=clock,
        )
        await report(clock, cursor_number=100, stuck_since=clock.now - timedelta(seconds=121))
        # Without the bot's token there is no channel to post in: the claim tells nobody.
        assert await webhooks_only.check_once() == 0
        await report(clock, head_number=130, cursor_number=130)
        assert await webhooks_only.check_once() == 0
        clock.advance(10)
        await report(clock, cursor_number=130, stuck_since=clock.now - timedelta(seconds=121))
        assert await with_bot.check_once() == 1
        [notice] = discord.messages(channel_id)
        assert notice.content == (
            "⚠️ **mainnet is stalled**\nBlockbell is not keeping up with this chain, so"
            " notifications of its events are delayed. None is lost\\: they follow when it"
            " catches up, and you will be told."
        )
    finally:
        await discord.stop()
