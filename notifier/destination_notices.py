"""Tells the owner of a destination that stopped (a chat that blocked the bot, a Discord channel
the bot may no longer post in, a webhook that is gone) that it stopped, why, and what to do.

The notice goes to the first place that takes it: the owner's chats other than the one that
stopped, then the DMs of the person who added the destination. Where there is no such place,
nobody can be told: /destinations still shows why it stopped.
"""

from __future__ import annotations

import asyncio
import logging
from html import escape
from urllib.parse import urlsplit

from locales import translate
from notifier.channels.discord import DiscordChannel, with_bot
from notifier.channels.telegram import TelegramChannel
from notifier.discord_render import DISCORD_CHANNEL_KIND, DISCORD_WEBHOOK_KIND, escape_markdown
from notifier.policy import Outcome, is_success
from storage.destination_notices import OwedNotice, Place, claim_owed_notices

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 10.0
MAX_REASON_CHARS = 300
TELEGRAM = "telegram"


def destination_label(notice: OwedNotice, language: str, on_discord: bool) -> str:
    """The stopped destination as its owner knows it; never a webhook's path or token."""
    if notice.is_direct_messages:
        return translate(language, "notify.disabled.dest_dm")
    if notice.kind == DISCORD_CHANNEL_KIND:
        channel = f"<#{notice.target}>" if on_discord else f"#{notice.target}"
        return translate(language, "notify.disabled.dest_discord", channel=channel)
    if notice.kind == TELEGRAM:
        return translate(language, "notify.disabled.dest_telegram", chat=notice.target)
    if notice.kind == DISCORD_WEBHOOK_KIND:
        return translate(language, "notify.disabled.dest_discord_webhook", id=notice.destination_id)
    host = urlsplit(notice.target).hostname or "?"
    return translate(language, "notify.disabled.dest_webhook", id=notice.destination_id, host=host)


def fix_key(notice: OwedNotice) -> str:
    """What the owner can do about it, by kind of destination."""
    if notice.is_direct_messages:
        return "notify.disabled.fix_dm"
    if notice.kind == DISCORD_CHANNEL_KIND:
        return "notify.disabled.fix_discord"
    if notice.kind == TELEGRAM:
        return "notify.disabled.fix_chat"
    if notice.kind == DISCORD_WEBHOOK_KIND:
        return "notify.disabled.fix_discord_webhook"
    return "notify.disabled.fix_webhook"


def notice_lines(notice: OwedNotice, on_discord: bool) -> tuple[str, str, str]:
    """Title, reason and advice, in the owner's language, not yet escaped."""
    language = notice.language
    label = destination_label(notice, language, on_discord)
    reason = notice.reason[:MAX_REASON_CHARS] or "?"
    return (
        translate(language, "notify.disabled.title", destination=label),
        translate(language, "notify.disabled.reason", reason=reason),
        translate(language, fix_key(notice)),
    )


def render_telegram_notice(notice: OwedNotice) -> str:
    title, reason, advice = (escape(line) for line in notice_lines(notice, on_discord=False))
    return f"⚠️ <b>{title}</b>\n{reason}\n\n{advice}"


def render_discord_notice(notice: OwedNotice) -> str:
    title, reason, advice = notice_lines(notice, on_discord=True)
    # The channel mention is ours; everything else is plain text.
    parts = title.split(f"<#{notice.target}>") if notice.kind == DISCORD_CHANNEL_KIND else [title]
    title = f"<#{notice.target}>".join(escape_markdown(part) for part in parts)
    return f"⚠️ **{title}**\n{escape_markdown(reason)}\n\n{escape_markdown(advice)}"


class DestinationNotices:
    """Claims the notices owed every `interval_s` and sends each to the first place that
    takes it; a platform whose bot is not configured here has no places."""

    def __init__(
        self,
        telegram: TelegramChannel | None,
        discord: DiscordChannel | None,
        *,
        interval_s: float = CHECK_INTERVAL_S,
    ) -> None:
        self._telegram = telegram
        self._discord = with_bot(discord)
        self._interval_s = interval_s

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.check_once()
            except Exception as exc:
                log.warning("telling owners about stopped destinations failed, retrying: %s", exc)

    async def check_once(self) -> int:
        """Claim and send the notices owed now; returns how many owners were told."""
        told = 0
        for notice in await claim_owed_notices():
            told += await self._tell(notice)
        return told

    async def _tell(self, notice: OwedNotice) -> int:
        for place in notice.places:
            outcome = await self._send(place, notice)
            if outcome is not None and is_success(outcome.status):
                log.info(
                    "destination %d (%s) stopped; its owner was told on %s",
                    notice.destination_id,
                    notice.kind,
                    place.platform,
                )
                return 1
        log.info(
            "destination %d (%s) stopped; no chat of its owner could be told",
            notice.destination_id,
            notice.kind,
        )
        return 0

    async def _send(self, place: Place, notice: OwedNotice) -> Outcome | None:
        if place.platform == TELEGRAM and self._telegram is not None:
            return await self._telegram.send_notice(place.chat_id, render_telegram_notice(notice))
        if place.platform == DISCORD_CHANNEL_KIND and self._discord is not None:
            return await self._discord.send_notice(place.chat_id, render_discord_notice(notice))
        return None
