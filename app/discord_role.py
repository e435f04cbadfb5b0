"""The Discord bot role: the chat-neutral core over the chains, served over Discord's gateway."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from app.settings import Settings
from bot.chain_lookups import ChainLookups
from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.discord.app import BlockbellClient
from watcher.lookup import ContractLookup
from watcher.rpc import RpcClient
from watcher.types import ChainSpec

log = logging.getLogger(__name__)

RECONNECT_DELAY_S = 10.0
# What an unreachable or failing Discord raises at login or connect; discord.py itself
# reconnects a gateway that drops once it is connected.
_UNREACHABLE = (
    OSError,
    aiohttp.ClientError,
    discord.GatewayNotFound,
    discord.HTTPException,
    discord.ConnectionClosed,
)


def point_discord_at(settings: Settings) -> None:
    """discord.py's two public settings for where Discord is: every REST call is built from
    `Route.BASE`, and a plain Client connects to `DEFAULT_GATEWAY` without asking for it."""
    Route.BASE = settings.discord_api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def run_discord_bot(settings: Settings, specs: Sequence[ChainSpec]) -> None:
    """Serve the bot until cancelled; an unreachable Discord is retried, a refused token turns
    the bot off (the other roles go on)."""
    point_discord_at(settings)
    while True:
        refused = False
        try:
            await _serve(settings, specs)
            return
        except discord.LoginFailure:
            refused = True  # logged below, outside the handler: nothing of it is kept
        except _UNREACHABLE as exc:
            log.warning(
                "Discord is unreachable (%s); retrying in %.0f s",
                type(exc).__name__,
                RECONNECT_DELAY_S,
            )
            await asyncio.sleep(RECONNECT_DELAY_S)
        if refused:
            log.error("Discord refused DISCORD_BOT_TOKEN: the Discord bot is off")
            return


async def _serve(settings: Settings, specs: Sequence[ChainSpec]) -> None:
    if settings.discord_bot_token is None:
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
        explorers = {spec.name: spec.explorer_url for spec in specs}
        client = BlockbellClient(core, settings.discord_guild_id, explorers=explorers)
        async with client:
            await client.start(settings.discord_bot_token.get_secret_value())
