"""The Discord bot role: the chat-neutral core over the chains, served over Discord's gateway."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from app.front_ends import core_over_chains, serve_until_refused
from app.settings import Settings
from bot.discord.app import BlockbellClient
from watcher.types import ChainSpec

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
    await serve_until_refused(
        lambda: _serve(settings, specs),
        refused=(discord.LoginFailure,),
        unreachable=_UNREACHABLE,
        platform="Discord",
        off_line="Discord refused DISCORD_BOT_TOKEN: the Discord bot is off",
    )


async def _serve(settings: Settings, specs: Sequence[ChainSpec]) -> None:
    if settings.discord_bot_token is None:
        return
    async with AsyncExitStack() as stack:
        core, explorers = await core_over_chains(settings, specs, stack)
        client = BlockbellClient(core, settings.discord_guild_id, explorers=explorers)
        async with client:
            await client.start(settings.discord_bot_token.get_secret_value())
