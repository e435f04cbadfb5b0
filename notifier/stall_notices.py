"""Tells the chats subscribed to a chain (Telegram chats, Discord channels and DMs) when its
watcher stalls and again when it recovers, and when the chain itself stops making blocks (an
upgrade halt, a sequencer down) and again when it makes them anew.

Every notifier process may run this check: each of these notices is claimed with one
conditional UPDATE (storage.chain_health), and only the process that wins the claim sends. A
process that dies between its claim and its sends leaves that notice unsent rather than sent
twice: these notices say how the service is doing and are never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from html import escape
from typing import TypeAlias

from locales import translate
from notifier.channels.discord import DiscordChannel, with_bot
from notifier.channels.telegram import TelegramChannel
from notifier.discord_render import escape_markdown
from notifier.policy import Outcome
from notifier.stall_watch import QuietChange, StallChange, decide_quiet, decide_stall
from storage.chain_health import (
    DISCORD,
    TELEGRAM,
    ChainHealthRow,
    SubscribedChat,
    claim_moving,
    claim_quiet,
    claim_recovery,
    claim_stall,
    fetch_chain_health,
    fetch_subscribed_chats,
)

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 10.0
DEFAULT_STALL_AFTER_S = 120.0
HTTP_OK = 200

NoticeLines: TypeAlias = tuple[str, str, str]
"""Icon, title, and what it means ("" when the title says it all), not yet escaped."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def stall_lines(change: StallChange, chain: str, halted: bool, language: str) -> NoticeLines:
    """The notice that the chain's watcher stalled or recovered, in `language`."""
    if change == "recovered":
        icon, title_key, text_key = "✅", "notify.stall.recovered_title", "notify.stall.recovered"
    else:
        icon, title_key = "⚠️", "notify.stall.stalled_title"
        text_key = "notify.stall.halted" if halted else "notify.stall.stalled"
    return icon, translate(language, title_key, chain=chain), translate(language, text_key)


def quiet_lines(
    change: QuietChange, chain: str, head_time: datetime, now: datetime, language: str
) -> NoticeLines:
    """The notice that the chain made no block since `head_time` (its newest block's time), or
    that it makes blocks again, in `language`."""
    if change == "moving":
        return "▶️", translate(language, "notify.chain_moving_title", chain=chain), ""
    minutes = max(1, int((now - head_time).total_seconds() // 60))
    when = head_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = translate(language, "notify.chain_quiet_title", chain=chain, time=when, minutes=minutes)
    return "⏸", title, translate(language, "notify.chain_quiet")


def render_notice(lines: NoticeLines) -> str:
    """The notice as Telegram HTML: a bold title naming the chain, then what it means."""
    icon, title, text = lines
    heading = f"{icon} <b>{escape(title)}</b>"
    return f"{heading}\n{escape(text)}" if text else heading


def render_discord_notice(lines: NoticeLines) -> str:
    """The notice as Discord markdown, the same lines as on Telegram."""
    icon, title, text = lines
    heading = f"{icon} **{escape_markdown(title)}**"
    return f"{heading}\n{escape_markdown(text)}" if text else heading


class StallNotices:
    """Checks the chains' stored health every `interval_s` and sends the notices due."""

    def __init__(
        self,
        telegram: TelegramChannel | None,
        discord: DiscordChannel | None = None,
        *,
        stall_after_s: float = DEFAULT_STALL_AFTER_S,
        quiet_after_s: Mapping[str, float] | None = None,
        interval_s: float = CHECK_INTERVAL_S,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._telegram = telegram
        # Channels and DMs need the bot: without its token there is no Discord chat to tell.
        self._discord = with_bot(discord)
        self._stall_after_s = stall_after_s
        self._quiet_after_s = dict(quiet_after_s or {})
        self._interval_s = interval_s
        self._clock = clock

    async def run(self) -> None:
        """Check every `interval_s` until cancelled, the first time after one interval, so
        that the watchers of this process have reported before their chains are judged."""
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.check_once()
            except Exception as exc:
                log.warning("checking the chains for stalls failed, retrying: %s", exc)

    async def check_once(self) -> int:
        """Claim and send the notices due now; returns how many messages went out."""
        now = self._clock()
        sent = 0
        for chain, row in (await fetch_chain_health()).items():
            sent += await self._check_stall(chain, row, now)
            sent += await self._check_quiet(chain, row, now)
        return sent

    async def _check_stall(self, chain: str, row: ChainHealthRow, now: datetime) -> int:
        change = decide_stall(row, now, self._stall_after_s)
        if change is None:
            return 0
        claimed = await (claim_stall(chain, now) if change == "stalled" else claim_recovery(chain))
        if not claimed:
            return 0
        halted = row.snapshot.halted_reason is not None
        return await self._tell_subscribers(
            chain, change, lambda language: stall_lines(change, chain, halted, language)
        )

    async def _check_quiet(self, chain: str, row: ChainHealthRow, now: datetime) -> int:
        quiet_after_s = self._quiet_after_s.get(chain)
        if quiet_after_s is None:
            return 0  # the chain's settings name no quiet_after: its silence is no news
        change = decide_quiet(row, now, quiet_after_s)
        if change is None:
            return 0
        claimed = await (claim_quiet(chain, now) if change == "quiet" else claim_moving(chain))
        if not claimed:
            return 0
        head_time = row.snapshot.head_time or now  # always set when "quiet" is decided
        return await self._tell_subscribers(
            chain, change, lambda language: quiet_lines(change, chain, head_time, now, language)
        )

    @property
    def platforms(self) -> tuple[str, ...]:
        """The chats this process can reach: those of the bots configured here."""
        reachable = ((TELEGRAM, self._telegram), (DISCORD, self._discord))
        return tuple(platform for platform, channel in reachable if channel is not None)

    async def _tell_subscribers(
        self, chain: str, change: str, lines: Callable[[str], NoticeLines]
    ) -> int:
        chats = await fetch_subscribed_chats(chain, self.platforms)
        outcomes = await asyncio.gather(*(self._send(chat, lines(chat.language)) for chat in chats))
        failed = [outcome.error for outcome in outcomes if outcome.status != HTTP_OK]
        log.info(
            "chain %s: %d subscribed chats told, %d not reached%s",
            change,
            len(chats) - len(failed),
            len(failed),
            f" ({failed[0]})" if failed else "",
            extra={"chain": chain},
        )
        return len(chats) - len(failed)

    async def _send(self, chat: SubscribedChat, lines: NoticeLines) -> Outcome:
        if chat.platform == DISCORD and self._discord is not None:
            return await self._discord.send_notice(chat.chat_id, render_discord_notice(lines))
        assert self._telegram is not None  # only the platforms configured here are fetched
        return await self._telegram.send_notice(chat.chat_id, render_notice(lines))
