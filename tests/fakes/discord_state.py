"""What the fake Discord remembers: guilds, channels, messages, DMs, webhooks and commands.

Everything here is plain data plus the JSON shapes Discord sends for it (API v10), so the
REST routes and the gateway describe the same objects the same way.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.support.secret_watch import secret

Json = dict[str, Any]

# Snowflakes count milliseconds from the first second of 2015 (Discord's "Reference": Snowflakes).
DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (Discord's "Permissions" topic); an administrator is shown every bit.
ADMINISTRATOR = 1 << 3
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)
ALL_PERMISSIONS = (1 << 50) - 1
SEND_MESSAGES = 1 << 11
# Send TTS messages, embed links, attach files, mention @everyone.
WITH_MESSAGES = (1 << 12) | (1 << 14) | (1 << 15) | (1 << 17)

# Message flags this fake gives meaning to.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

GUILD_TEXT, DM = 0, 1
_EMPTY_GUILD_LISTS = ("threads", "emojis", "stickers", "voice_states", "presences",
                      "stage_instances", "guild_scheduled_events", "soundboard_sounds")  # fmt: skip


@dataclass
class GuildSpec:
    """A guild the bot is in, as a test describes it: text channels and members by id.

    `overwrites` are member permission overwrites of channels: channel id → member id →
    (allowed bits, denied bits), applied over the @everyone role's permissions there.
    """

    id: int
    name: str = "Test guild"
    channels: dict[int, str] = field(default_factory=dict)
    members: dict[int, str] = field(default_factory=dict)
    admins: set[int] = field(default_factory=set)
    locale: str = "en-US"
    overwrites: dict[int, dict[int, tuple[int, int]]] = field(default_factory=dict)

    @property
    def admin_role_id(self) -> int:
        return self.id + 1


@dataclass
class FakeMessage:
    """A message as the users of its channel see it (after edits)."""

    id: int
    channel_id: int
    author: Json
    content: str = ""
    embeds: list[Json] = field(default_factory=list)
    components: list[Json] = field(default_factory=list)
    flags: int = 0
    nonce: str | None = None
    type: int = 0
    webhook_id: int | None = None
    interaction_id: int | None = None
    created_at: float = field(default_factory=time.monotonic)
    edited: bool = False

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred answer still shows "Bot is thinking..." until it is edited."""
        return bool(self.flags & LOADING)


@dataclass
class Webhook:
    """A channel webhook whose URL a user can paste."""

    id: int
    token: str
    channel_id: int


class DiscordState:
    """The fake's memory; REST routes and the gateway read and change it."""

    def __init__(self, application_id: int, bot_name: str) -> None:
        self.application_id = application_id
        self.bot_user = user_json(application_id, bot_name, bot=True)
        self.guilds: dict[int, GuildSpec] = {}
        self.channels: dict[int, Json] = {}
        self.channel_messages: dict[int, list[FakeMessage]] = {}
        self.dm_channels: dict[int, int] = {}  # user id → DM channel id
        self.webhooks: dict[int, Webhook] = {}
        self.global_commands: list[Json] = []
        self.guild_commands: dict[int, list[Json]] = {}
        self._counter = itertools.count(1)

    def new_id(self) -> int:
        """A fresh snowflake: its time part is now, so discord.py dates it correctly."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)

    def add_guild(self, guild: GuildSpec) -> None:
        self.guilds[guild.id] = guild
        for position, (channel_id, name) in enumerate(guild.channels.items()):
            self.channels[channel_id] = {
                "id": str(channel_id),
                "type": GUILD_TEXT,
                "guild_id": str(guild.id),
                "name": name,
                "position": position,
                "permission_overwrites": _overwrites_json(guild.overwrites.get(channel_id, {})),
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "flags": 0,
            }
            self.channel_messages.setdefault(channel_id, [])

    def open_dm(self, user_id: int) -> Json:
        if user_id not in self.dm_channels:
            channel_id = self.new_id()
            self.dm_channels[user_id] = channel_id
            self.channels[channel_id] = {
                "id": str(channel_id),
                "type": DM,
                "last_message_id": None,
                "recipients": [self.user(user_id)],
                "flags": 0,
            }
            self.channel_messages[channel_id] = []
        return self.channels[self.dm_channels[user_id]]

    def user(self, user_id: int) -> Json:
        for guild in self.guilds.values():
            if user_id in guild.members:
                return user_json(user_id, guild.members[user_id])
        if user_id == self.application_id:
            return self.bot_user
        return user_json(user_id, f"user{user_id}")

    def guild_of(self, channel_id: int) -> GuildSpec | None:
        guild_id = self.channels.get(channel_id, {}).get("guild_id")
        return self.guilds.get(int(guild_id)) if guild_id else None

    def permissions(
        self, guild: GuildSpec | None, user_id: int, channel_id: int | None = None
    ) -> int:
        """Computed permissions: everything for admins, a member's usual set otherwise, with
        the member's overwrite in `channel_id` applied (Discord's "Permission Overwrites":
        an administrator is not subject to them), and its "Implicit Permissions": without
        Send Messages, no sending of what goes with a message."""
        if guild and user_id in guild.admins:
            return ALL_PERMISSIONS
        overwrites = guild.overwrites.get(channel_id or 0, {}) if guild else {}
        allow, deny = overwrites.get(user_id, (0, 0))
        permissions = (MEMBER_PERMISSIONS & ~deny) | allow
        if not permissions & SEND_MESSAGES:
            permissions &= ~WITH_MESSAGES
        return permissions

    def member_json(self, guild: GuildSpec, user_id: int, channel_id: int | None = None) -> Json:
        """A guild member; `permissions` are theirs in `channel_id`, as an interaction from
        that channel carries them."""
        admin = user_id in guild.admins
        return {
            "user": self.user(user_id),
            "nick": None,
            "avatar": None,
            "roles": [str(guild.admin_role_id)] if admin else [],
            "joined_at": _iso(datetime(2024, 1, 1, tzinfo=UTC)),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": str(self.permissions(guild, user_id, channel_id)),
        }

    def guild_create_json(self, guild: GuildSpec, *, all_members: bool) -> Json:
        """GUILD_CREATE: without the GUILD_MEMBERS intent the bot is the only member listed."""
        member_ids = [*guild.members, self.application_id] if all_members else [self.application_id]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(next(iter(guild.admins), self.application_id)),
            "preferred_locale": guild.locale,
            "features": [],
            "unavailable": False,
            "large": False,
            "member_count": len(guild.members) + 1,
            "joined_at": _iso(datetime(2024, 1, 1, tzinfo=UTC)),
            "roles": [
                _role_json(guild.id, "@everyone", MEMBER_PERMISSIONS, 0),
                _role_json(guild.admin_role_id, "Admin", ADMINISTRATOR, 1),
            ],
            "channels": [self.channels[c] for c in guild.channels],
            "members": [self.member_json(guild, user_id) for user_id in member_ids],
        } | {key: [] for key in _EMPTY_GUILD_LISTS}

    def message_json(self, message: FakeMessage) -> Json:
        channel = self.channels.get(message.channel_id, {})
        payload: Json = {
            "id": str(message.id),
            "channel_id": str(message.channel_id),
            "author": message.author,
            "content": message.content,
            "timestamp": _iso(_snowflake_time(message.id)),
            "edited_timestamp": _iso(datetime.now(UTC)) if message.edited else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": message.embeds,
            "components": message.components,
            "pinned": False,
            "type": message.type,
            "flags": message.flags,
        }
        if "guild_id" in channel:
            payload["guild_id"] = channel["guild_id"]
        if message.nonce is not None:
            payload["nonce"] = message.nonce
        if message.webhook_id is not None:
            payload["webhook_id"] = str(message.webhook_id)
        if message.interaction_id is not None:
            payload["application_id"] = str(self.application_id)
        return payload

    def new_webhook(self, channel_id: int) -> Webhook:
        # Whoever holds a webhook's URL can post as it: its token is a secret.
        webhook = Webhook(self.new_id(), secret(secrets.token_urlsafe(48)), channel_id)
        self.webhooks[webhook.id] = webhook
        return webhook

    def find_message(self, message_id: int) -> FakeMessage | None:
        for messages in self.channel_messages.values():
            for message in messages:
                if message.id == message_id:
                    return message
        return None


def user_json(user_id: int, name: str, *, bot: bool = False) -> Json:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": None if bot else name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


def _overwrites_json(members: dict[int, tuple[int, int]]) -> list[Json]:
    """Member overwrites (type 1) as a channel object carries them."""
    return [
        {"id": str(member), "type": 1, "allow": str(allow), "deny": str(deny)}
        for member, (allow, deny) in members.items()
    ]


def _role_json(role_id: int, name: str, permissions: int, position: int) -> Json:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat()
