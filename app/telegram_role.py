"""The Telegram bot role: the chat-neutral core over the chains, served by long polling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack

from telegram.error import InvalidToken, NetworkError

from app.front_ends import core_over_chains, serve_until_refused
from app.settings import Settings
from bot.telegram.app import build_application, start_bot, stop_bot
from watcher.types import ChainSpec

log = logging.getLogger(__name__)


async def run_telegram_bot(settings: Settings, specs: Sequence[ChainSpec]) -> None:
    """Serve the bot until cancelled; an unreachable Bot API is retried, a refused token turns
    the bot off (the other roles go on)."""
    await serve_until_refused(
        lambda: _serve(settings, specs),
        refused=(InvalidToken,),
        unreachable=(NetworkError,),
        platform="the Telegram Bot API",
        off_line="Telegram refused TELEGRAM_BOT_TOKEN: the Telegram bot is off",
    )


async def _serve(settings: Settings, specs: Sequence[ChainSpec]) -> None:
    if settings.telegram_bot_token is None:
        return
    async with AsyncExitStack() as stack:
        core, explorers = await core_over_chains(settings, specs, stack)
        token = settings.telegram_bot_token.get_secret_value()
        application = build_application(token, settings.telegram_api_url, core, explorers)
        await start_bot(application)
        log.info("Telegram bot polling for updates")
        try:
            await asyncio.Event().wait()
        finally:
            await stop_bot(application)
