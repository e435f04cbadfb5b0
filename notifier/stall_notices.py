"""Tells the chats subscribed to a chain (Telegram chats, Discord channels and DMs) when it
stalls, and again when it recovers.

Every notifier process may run this check: the stall and the recovery are each claimed with one
conditional UPDATE (storage.chain_health), and only the process that wins the claim sends. A
process that dies between its claim and its sends leaves that notice unsent rather than sent
twice: these notices say how the service is doing and are never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

from locales import translate
from notifier.channels.discord import DiscordChannel, with_bot
from notifier.channels.telegram import TelegramChannel
from notifier.discord_render import escape_markdown
from notifier.policy import Outcome
from notifier.stall_watch import StallChange, decide_stall
from storage.chain_health import (
    DISCORD,
    TELEGRAM,
    ChainHealthRow,
    SubscribedChat,
    claim_recovery,
    claim_stall,
    fetch_chain_health,
    fetch_subscribed_chats,
)

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 10.0
DEFAULT_STALL_AFTER_S = 120.0
HTTP_OK = 200


def _utc_now() -> datetime:
    return datetime.now(UTC)


def stall_lines(change: StallChange, chain: str, halted: bool, language: str) -> tuple[str, ...]:
    """Icon, title naming the chain, and what it means, in `language`, not yet escaped."""
    if change == "recovered":
        icon, title_key, text_key = "✅", "notify.stall.recovered_title", "notify.stall.recovered"
    else:
        icon, title_key = "⚠️", "notify.stall.stalled_title"
        text_key = "notify.stall.halted" if halted else "notify.stall.stalled"
    return icon, translate(language, title_key, chain=chain), translate(language, text_key)


def render_stall_notice(change: StallChange, chain: str, halted: bool, language: str) -> str:
    """The notice as Telegram HTML: a bold title naming the chain, then what it means."""
    icon, title, text = stall_lines(change, chain, halted, language)
    return f"{icon} <b>{escape(title)}</b>\n{escape(text)}"


def render_discord_stall_notice(
    change: StallChange, chain: str, halted: bool, language: str
) -> str:
    """The notice as Discord markdown, the same lines as on Telegram."""
    icon, title, text = stall_lines(change, chain, halted, language)
    return f"{icon} **{escape_markdown(title)}**\n{escape_markdown(text)}"


class StallNotices:
    """Checks the chains' stored health every `interval_s` and sends the notices due."""

    def __init__(
        self,
        telegram: TelegramChannel | None,
        discord: DiscordChannel | None = None,
        *,
        stall_after_s: float = DEFAULT_STALL_AFTER_S,
        interval_s: float = CHECK_INTERVAL_S,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._telegram = telegram
        # Channels and DMs need the bot: without its token there is no Discord chat to tell.
        self._discord = with_bot(discord)
        self._stall_after_s = stall_after_s
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
            change = decide_stall(row, now, self._stall_after_s)
            if change is None:
                continue
            claimed = await (
                claim_stall(chain, now) if change == "stalled" else claim_recovery(chain)
            )
            if claimed:
                sent += await self._tell_subscribers(chain, row, change)
        return sent

    @property
    def platforms(self) -> tuple[str, ...]:
        """The chats this process can reach: those of the bots configured here."""
        reachable = ((TELEGRAM, self._telegram), (DISCORD, self._discord))
        return tuple(platform for platform, channel in reachable if channel is not None)

    async def _tell_subscribers(self, chain: str, row: ChainHealthRow, change: StallChange) -> int:
        chats = await fetch_subscribed_chats(chain, self.platforms)
        halted = row.snapshot.halted_reason is not None
        outcomes = await asyncio.gather(
            *(self._send(chat, change, chain, halted) for chat in chats)
        )
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

    async def _send(
        self, chat: SubscribedChat, change: StallChange, chain: str, halted: bool
    ) -> Outcome:
        if chat.platform == DISCORD and self._discord is not None:
            notice = render_discord_stall_notice(change, chain, halted, chat.language)
            return await self._discord.send_notice(chat.chat_id, notice)
        assert self._telegram is not None  # only the platforms configured here are fetched
        notice = render_stall_notice(change, chain, halted, chat.language)
        return await self._telegram.send_notice(chat.chat_id, notice)
