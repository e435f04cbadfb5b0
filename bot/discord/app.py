"""The Discord bot as a discord.py Client: publish the slash commands, hand interactions over.

The commands are published as the JSON of bot/discord/commands.py (`command_payloads`),
localizations included, with one bulk overwrite per scope: globally (Discord may take a
while to show changes everywhere) and, when a test guild is configured, to that guild too,
where changes show at once. The interactions are answered in bot/discord/handlers.py from
`on_interaction`, so a button or a modal keeps working after a restart: no callback lives
in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType

import discord

from bot.core.dispatch import BotCore
from bot.discord.commands import command_payloads
from bot.discord.handlers import Handlers, utc_now

logger = logging.getLogger(__name__)


def bot_intents() -> discord.Intents:
    """The default intents: slash commands and components need no privileged one."""
    return discord.Intents.default()


class BlockbellClient(discord.Client):
    """A Client over one core; `guild_id` is the test guild whose commands change at once,
    `explorers` each chain's explorer URL (test notifications link it as real ones do);
    READY is awaited until no guild has arrived for `guild_ready_timeout_s`."""

    def __init__(
        self,
        core: BotCore,
        guild_id: int | None = None,
        clock: Callable[[], datetime] = utc_now,
        explorers: Mapping[str, str | None] = MappingProxyType({}),
        guild_ready_timeout_s: float = 2.0,
    ) -> None:
        # The bot never joins voice: discord.py need not warn that voice libraries are missing.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(intents=bot_intents(), guild_ready_timeout=guild_ready_timeout_s)
        self.handlers = Handlers(core, clock, explorers)
        self.guild_id = guild_id

    async def setup_hook(self) -> None:
        """Runs once after login, before the gateway connects: publish the commands."""
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """The commands, overwritten globally and in the test guild. A refusal is logged
        and the bot goes on: the commands Discord already has keep working."""
        application_id = self.application_id
        if application_id is None:
            raise RuntimeError("discord.py logged in without an application id")
        payloads = [payload for payload in command_payloads() if isinstance(payload, dict)]
        try:
            await self.http.bulk_upsert_global_commands(application_id, payload=payloads)
            if self.guild_id is not None:
                await self.http.bulk_upsert_guild_commands(
                    application_id, self.guild_id, payload=payloads
                )
        except discord.HTTPException as exc:
            logger.error(
                "Discord refused the slash commands (%s %s): the old ones stay",
                exc.status,
                exc.code,
            )
            return
        where = f"globally and in guild {self.guild_id}" if self.guild_id else "globally"
        logger.info("published %d Discord slash commands %s", len(payloads), where)

    async def on_ready(self) -> None:
        logger.info("Discord bot connected")

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.handlers.on_interaction(interaction)
