"""The Caller of a discord.py Interaction for the chat it is about: where it happened, the
user's DMs, or another channel of the same server.

The rights for another channel are the user's permissions in that very channel, as Discord
computes them: for a slash command's channel option Discord sends them
(`resolved.channels[id].permissions`); for a press on a component made for another channel
(bot/discord/chats.py) discord.py computes them from the server it has cached (roles and
the channel's permission overwrites). A channel that is not in that server's cache, or
not a channel notifications can go to, gives no rights.
"""

from __future__ import annotations

from collections.abc import Mapping

import discord

from bot.core.caller import Caller
from bot.discord.callers import caller_of
from bot.discord.commands import DM, HERE


def data_of(interaction: discord.Interaction) -> Mapping[str, object]:
    return interaction.data if interaction.data is not None else {}


def locale_of(interaction: discord.Interaction) -> str:
    return interaction.locale.value


def channel_permissions(data: Mapping[str, object], channel_id: str) -> str | None:
    """The user's permissions in a channel given as an option (`resolved.channels`)."""
    resolved = data.get("resolved")
    channels = resolved.get("channels") if isinstance(resolved, dict) else None
    channel = channels.get(channel_id) if isinstance(channels, dict) else None
    permissions = channel.get("permissions") if isinstance(channel, dict) else None
    return permissions if isinstance(permissions, str) else None


def cached_permissions(interaction: discord.Interaction, channel_id: str) -> int | None:
    """The user's permissions in a channel of the interaction's server, overwrites included,
    from discord.py's cache; None when the channel is not one of that server's text
    channels or threads, or the user is not known as its member."""
    guild, member = interaction.guild, interaction.user
    if guild is None or not isinstance(member, discord.Member) or not channel_id.isdecimal():
        return None
    channel = guild.get_channel_or_thread(int(channel_id))
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return None
    return channel.permissions_for(member).value


async def caller_for(interaction: discord.Interaction, chat: str) -> Caller:
    """The Caller for the chat a call is about (HERE, DM or a channel's id): where the
    interaction happened, the user's DMs (opened from a server if needed), or another
    channel, with the user's rights in it."""
    user, locale, guild_id = interaction.user.id, locale_of(interaction), interaction.guild_id
    channel_id = interaction.channel_id or 0
    if guild_id is None or chat == DM:
        dm_id = channel_id if guild_id is None else (await interaction.user.create_dm()).id
        return caller_of(None, dm_id, user, None, locale)
    if chat in (HERE, str(channel_id)):
        return caller_of(guild_id, channel_id, user, interaction.permissions.value, locale)
    permissions = channel_permissions(data_of(interaction), chat)
    if permissions is None:
        return caller_of(guild_id, chat, user, cached_permissions(interaction, chat), locale)
    return caller_of(guild_id, chat, user, permissions, locale)
