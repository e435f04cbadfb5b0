"""Interactions in the fake Discord: the INTERACTION_CREATE payloads users cause, and the rules
for answering them.

Discord's "Receiving and Responding" topic: an interaction must get its initial response
within 3 seconds (a late one is "Unknown interaction", 10062), only once (40060), with a
response type its interaction type allows; its token then works for 15 minutes of followups.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from tests.fakes.discord_limits import ApiError, Json
from tests.fakes.discord_state import DiscordState, FakeMessage

COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, CHOICES, MODAL = 1, 4, 5, 6, 7, 8, 9
ALLOWED_ANSWERS = {
    COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
    COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, MODAL},
    AUTOCOMPLETE: {CHOICES},
    MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE},
}
TOKEN_LIFETIME_S = 15 * 60
SUBCOMMAND, SUBCOMMAND_GROUP, USER_OPTION, CHANNEL_OPTION = 1, 2, 6, 7
GUILD_CONTEXT, BOT_DM_CONTEXT = 0, 1


@dataclass
class InteractionRecord:
    """One interaction a user caused and everything the bot answered to it."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    created_at: float = field(default_factory=time.monotonic)
    message_id: int | None = None  # the message whose component was used
    callback_type: int | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    choices: list[Json] | None = None
    modal: Json | None = None
    refusals: list[ApiError] = field(default_factory=list)

    def check_answer(self, callback_type: int, deadline_s: float) -> None:
        """Raise what Discord answers to a second, late or misplaced initial response."""
        if self.callback_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - self.created_at > deadline_s:
            raise ApiError(404, 10062, "Unknown interaction")
        if callback_type not in ALLOWED_ANSWERS.get(self.type, set()):
            raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": [{
                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                "message": "Invalid interaction response type for this interaction",
            }]}})  # fmt: skip

    def check_followup(self) -> None:
        """The token works once the interaction was acknowledged, for 15 minutes."""
        expired = time.monotonic() - self.created_at > TOKEN_LIFETIME_S
        if self.callback_type is None or expired:
            raise ApiError(404, 10015, "Unknown Webhook")


def new_record(state: DiscordState, kind: int, user_id: int, channel_id: int) -> InteractionRecord:
    guild = state.guild_of(channel_id)
    return InteractionRecord(
        id=state.new_id(),
        token="aW50ZXJhY3Rpb246" + secrets.token_urlsafe(64),
        type=kind,
        user_id=user_id,
        channel_id=channel_id,
        guild_id=guild.id if guild else None,
    )


def interaction_json(
    state: DiscordState, record: InteractionRecord, data: Json, locale: str
) -> Json:
    """INTERACTION_CREATE as the gateway sends it, from a guild channel or a DM."""
    guild = state.guild_of(record.channel_id)
    channel = dict(state.channels[record.channel_id])
    payload: Json = {
        "id": str(record.id),
        "application_id": str(state.application_id),
        "type": record.type,
        "token": record.token,
        "version": 1,
        "data": data,
        "channel_id": str(record.channel_id),
        "channel": channel,
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if guild is None:
        owners = {"1": str(record.user_id)}
        return payload | {
            "user": state.user(record.user_id),
            "context": BOT_DM_CONTEXT,
            "authorizing_integration_owners": owners,
            "app_permissions": str(state.permissions(None, record.user_id)),
        }
    member = state.member_json(guild, record.user_id)
    channel["permissions"] = member["permissions"]
    return payload | {
        "guild_id": str(guild.id),
        "guild_locale": guild.locale,
        "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
        "member": member,
        "context": GUILD_CONTEXT,
        "authorizing_integration_owners": {"0": str(guild.id)},
        "app_permissions": str(state.permissions(guild, state.application_id)),
    }


def command_data(
    state: DiscordState,
    record: InteractionRecord,
    command: Json,
    path: list[str],
    values: dict[str, object],
    focused: str | None = None,
) -> Json:
    """The `data` of a slash command use by the record's user: options typed from the
    registered command's schema, with `resolved` users and channels the way Discord fills
    them in."""
    resolved: Json = {}
    schema = command.get("options") or []
    options = _options(state, record.user_id, schema, path, values, focused, resolved)
    data: Json = {"id": command["id"], "name": command["name"], "type": command.get("type", 1)}
    if options:
        data["options"] = options
    if resolved:
        data["resolved"] = resolved
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    return data


def component_data(message: FakeMessage, custom_id: str, values: list[str] | None) -> Json:
    """The `data` of a button press or a select choice on a message the bot sent."""
    for row in message.components:
        for component in row.get("components") or []:
            if component.get("custom_id") == custom_id:
                data: Json = {"custom_id": custom_id, "component_type": component["type"]}
                if values is not None:
                    data["values"] = values
                return data
    raise ValueError(f"message {message.id} has no component {custom_id!r}")


def _options(
    state: DiscordState,
    user_id: int,
    schema: list[Json],
    path: list[str],
    values: dict[str, object],
    focused: str | None,
    resolved: Json,
) -> list[Json]:
    by_name = {option["name"]: option for option in schema}
    if path:
        sub = by_name.get(path[0])
        if sub is None or sub["type"] not in (SUBCOMMAND, SUBCOMMAND_GROUP):
            raise ValueError(f"no subcommand {path[0]!r} is registered")
        inner = sub.get("options") or []
        inner = _options(state, user_id, inner, path[1:], values, focused, resolved)
        return [{"name": sub["name"], "type": sub["type"], "options": inner}]
    options: list[Json] = []
    for name, value in values.items():
        if name not in by_name:
            raise ValueError(f"no option {name!r} is registered")
        kind = by_name[name]["type"]
        option: Json = {"name": name, "type": kind, "value": value}
        if name == focused:
            option |= {"focused": True, "value": str(value)}
        elif kind in (USER_OPTION, CHANNEL_OPTION):
            option["value"] = str(value)
            _resolve(state, user_id, kind, int(str(value)), resolved)
        options.append(option)
    return options


def _resolve(state: DiscordState, user_id: int, kind: int, target_id: int, resolved: Json) -> None:
    if kind == CHANNEL_OPTION:
        # A resolved channel carries the invoking user's computed permissions in it, overwrites
        # included (Discord's Channel object: `permissions`, "only included when part of the
        # resolved data received on a slash command interaction").
        channel = state.channels[target_id]
        entry = {k: channel[k] for k in ("id", "type", "name", "guild_id") if k in channel}
        permissions = state.permissions(state.guild_of(target_id), user_id)
        resolved.setdefault("channels", {})[str(target_id)] = entry | {
            "permissions": str(permissions)
        }
        return
    resolved.setdefault("users", {})[str(target_id)] = state.user(target_id)
    for guild in state.guilds.values():
        if target_id in guild.members:
            member = state.member_json(guild, target_id)
            del member["user"]
            resolved.setdefault("members", {})[str(target_id)] = member
