"""The Telegram bot role: the chat-neutral core over the chains, served by long polling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack

from telegram.error import InvalidToken, NetworkError

from app.settings import Settings
from bot.chain_lookups import ChainLookups
from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.telegram.app import build_application, start_bot, stop_bot
from watcher.lookup import ContractLookup
from watcher.rpc import RpcClient
from watcher.types import ChainSpec

log = logging.getLogger(__name__)

RECONNECT_DELAY_S = 10.0


async def run_telegram_bot(settings: Settings, specs: Sequence[ChainSpec]) -> None:
    """Serve the bot until cancelled; an unreachable Bot API is retried, a refused token turns
    the bot off (the other roles go on)."""
    while True:
        refused = False
        try:
            await _serve(settings, specs)
        except InvalidToken:
            # The library's message quotes the token: it is neither logged nor kept as the
            # exception being handled while logging (a failing log handler prints that one).
            refused = True
        except NetworkError as exc:
            log.warning(
                "the Telegram Bot API is unreachable (%s); retrying in %.0f s",
                type(exc).__name__,
                RECONNECT_DELAY_S,
            )
            await asyncio.sleep(RECONNECT_DELAY_S)
        if refused:
            log.error("Telegram refused TELEGRAM_BOT_TOKEN: the Telegram bot is off")
            return


async def _serve(settings: Settings, specs: Sequence[ChainSpec]) -> None:
    if settings.telegram_bot_token is None:
        return
    async with AsyncExitStack() as stack:
        lookups: dict[str, ContractLookup] = {}
        for spec in specs:
            rpc = await stack.enter_async_context(RpcClient(spec.rpc_urls, chain=spec.name))
            lookups[spec.name] = ContractLookup(rpc, max_block_range=spec.max_block_range)
        core = BotCore(
            CoreSettings(
                tuple(spec.name for spec in specs),
                ChainLookups(lookups),
                allow_private_webhooks=settings.webhook_allow_private,
            )
        )
        token = settings.telegram_bot_token.get_secret_value()
        explorers = {spec.name: spec.explorer_url for spec in specs}
        application = build_application(token, settings.telegram_api_url, core, explorers)
        await start_bot(application)
        log.info("Telegram bot polling for updates")
        try:
            await asyncio.Event().wait()
        finally:
            await stop_bot(application)
