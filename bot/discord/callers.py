"""Who is asking in a Discord interaction, as the core's Caller: user, chat, rights, language.

Pure: the front-end passes what the interaction payload says. The chat is the channel the
subscriptions belong to and the notifications go to: the channel of a server (a text or
announcement channel, or a thread), or the user's DM channel with the bot.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.caller import Caller
from bot.core.replies import Reply
from locales import pick_language

PLATFORM = "discord"
# Permission bits (https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags).
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
CHANGE_RIGHTS = ADMINISTRATOR | MANAGE_CHANNELS | MANAGE_GUILD
# Permissions are a decimal string of a bit set; Discord's fit in far fewer digits, and a
# longer string is not a bit set Discord sent.
_MAX_PERMISSION_DIGITS = 40


def parse_permissions(bits: str | int | None) -> int:
    """The bit set of Discord's permission string; anything else counts as no permission."""
    if isinstance(bits, int):
        return bits if bits >= 0 else 0
    if not bits or not bits.isdecimal() or len(bits) > _MAX_PERMISSION_DIGITS:
        return 0
    return int(bits)


def may_manage_subscriptions(bits: str | int | None) -> bool:
    """Whether a member may change a server channel's subscriptions: Manage Server, Manage
    Channels or Administrator, in the channel's permissions (Discord computes them with the
    channel's overwrites)."""
    return parse_permissions(bits) & CHANGE_RIGHTS != 0


def language_of(locale: str | None) -> str:
    """The catalog language for a Discord locale (`es-419` → es, `zh-CN` → zh_Hans, `zh-TW`
    and unsupported locales → English)."""
    return pick_language(locale)


def user_language(locale: str | None) -> str | None:
    """The catalog language of a Discord locale that really has one (`en-GB` → en, `es-419`
    → es, `zh-CN` → zh_Hans); None for the others (`de`, `zh-TW`), which `language_of`
    reads as English only for want of better."""
    if not locale:
        return None
    language = pick_language(locale)
    base = locale.strip().replace("_", "-").split("-", 1)[0].lower()
    return language if language.split("_", 1)[0].lower() == base else None


def in_users_language(reply: Reply, locale: str | None) -> Reply:
    """The reply to a user's interaction in their Discord locale's language when there is a
    catalog for it, else in the chat account's (as the core made it). The account's
    language is the notifications': a test notification, posted to the channel for all,
    keeps it."""
    language = user_language(locale)
    if language is None or reply.sample is not None:
        return reply
    return replace(reply, language=language)


def caller_of(
    guild_id: int | str | None,
    channel_id: int | str,
    user_id: int | str,
    permissions: str | int | None,
    locale: str | None,
) -> Caller:
    """The Caller of an interaction for the chat `channel_id`.

    In a server (`guild_id` set) the channel's subscriptions belong to the channel: every
    member may look at them, only members with the rights above may change them, and
    `permissions` must be the user's permissions in that very channel (the interaction's
    `member.permissions`, or `resolved.channels[id].permissions` for a channel given as an
    option). Without a server `channel_id` is the user's own DM channel with the bot (the
    interaction's channel in a DM, or the one Discord returns when the bot opens it): a
    person's own chat, which they may always change. The locale is the user's Discord
    locale; the core picks the account's language from it on first contact.
    """
    if guild_id is None:
        return Caller(PLATFORM, str(user_id), str(channel_id), "private", True, locale)
    is_admin = may_manage_subscriptions(permissions)
    return Caller(PLATFORM, str(user_id), str(channel_id), "group", is_admin, locale)
