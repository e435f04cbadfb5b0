"""Interactions in the fake Discord: the INTERACTION_CREATE payloads users cause, and the rules
for answering them.

Discord's "Receiving and Responding" topic: an interaction must get its initial response
within 3 seconds (a late one is "Unknown interaction", 10062), only once (40060), with a
response type its interaction type allows; its token then works for 15 minutes of followups.
A modal (response type 9) answers a command or a component only; Discord checks it against
the limits of its components, and the user's submission comes back as a MODAL_SUBMIT
interaction (`submit_modal`), from the message the modal was opened on.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.fakes.discord_limits import ApiError, Json, Problem, raise_problems
from tests.fakes.discord_state import DiscordState, FakeMessage

if TYPE_CHECKING:
    from tests.fakes.discord_api import FakeDiscord

COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, CHOICES, MODAL = 1, 4, 5, 6, 7, 8, 9
ALLOWED_ANSWERS = {
    COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
    COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, MODAL},
    AUTOCOMPLETE: {CHOICES},
    MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE},
}
# Answers that change the message a component is on: a modal submit has one only when the
# modal was opened from a component.
MESSAGE_UPDATES = {DEFERRED_UPDATE, UPDATE}
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
    refusals: list[ApiError] = field(default_factory=list)
    _modal: Json | None = field(default=None, repr=False)

    @property
    def modal(self) -> Json | None:
        """The modal the bot answered with (the `data` of response type 9)."""
        return self._modal

    @modal.setter
    def modal(self, data: Json | None) -> None:
        """The messaging routes store the modal answer here once its type was accepted;
        Discord refuses one that breaks the rules of modals, and so does this (400, and
        the interaction stays unanswered)."""
        if data is not None:
            try:
                check_modal(data)
            except ApiError as error:
                self.refusals.append(error)
                raise
        self._modal = data

    def check_answer(self, callback_type: int, deadline_s: float) -> None:
        """Raise what Discord answers to a second, late or misplaced initial response."""
        if self.callback_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - self.created_at > deadline_s:
            raise ApiError(404, 10062, "Unknown interaction")
        allowed = ALLOWED_ANSWERS.get(self.type, set())
        if self.type == MODAL_SUBMIT and self.message_id is None:
            allowed = allowed - MESSAGE_UPDATES
        if callback_type not in allowed:
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
    member = state.member_json(guild, record.user_id, record.channel_id)
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
        permissions = state.permissions(state.guild_of(target_id), user_id, target_id)
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


# --- modals ---------------------------------------------------------------------------------

MODAL_TITLE_MAX = 45
MODAL_ROWS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
PLACEHOLDER_MAX = 100
CUSTOM_ID_MAX = 100
ACTION_ROW, TEXT_INPUT, LABEL = 1, 4, 18
SHORT, PARAGRAPH = 1, 2


def check_modal(modal: Json) -> None:
    """Raise the "Invalid Form Body" Discord answers to a modal breaking its rules (the
    Interaction Response's modal data and the Text Input reference): a custom id of 1 to 100
    characters, a title of 1 to 45, 1 to 5 action rows each holding one text input (or, in
    the newer layout, labels of 1 to 45 characters each holding one)."""
    problems = _text_problems(("custom_id",), modal.get("custom_id"), 1, CUSTOM_ID_MAX)
    problems += _text_problems(("title",), modal.get("title"), 1, MODAL_TITLE_MAX)
    rows = modal.get("components")
    if not isinstance(rows, list) or not 1 <= len(rows) <= MODAL_ROWS_MAX:
        message = f"Must be between 1 and {MODAL_ROWS_MAX} in length."
        problems.append((("components",), "BASE_TYPE_BAD_LENGTH", message))
        rows = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        problems += _row_problems(("components", str(index)), row, seen)
    raise_problems(problems)


def _row_problems(path: tuple[str, ...], row: object, seen: set[str]) -> list[Problem]:
    if not isinstance(row, dict):
        return [(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")]
    if row.get("type") == LABEL:
        problems = _text_problems((*path, "label"), row.get("label"), 1, TEXT_INPUT_LABEL_MAX)
        return problems + _input_problems((*path, "component"), row.get("component"), seen, False)
    children = row.get("components")
    if row.get("type") != ACTION_ROW or not isinstance(children, list) or len(children) != 1:
        message = "An action row in a modal holds exactly one text input."
        return [((*path, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED", message)]
    return _input_problems((*path, "components", "0"), children[0], seen, True)


def _input_problems(
    path: tuple[str, ...], item: object, seen: set[str], labelled: bool
) -> list[Problem]:
    if not isinstance(item, dict) or item.get("type") != TEXT_INPUT:
        return [((*path, "type"), "COMPONENT_TYPE_INVALID", "A modal only takes text inputs.")]
    custom_id = item.get("custom_id")
    problems = _text_problems((*path, "custom_id"), custom_id, 1, CUSTOM_ID_MAX)
    if custom_id in seen:
        problems.append(((*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Duplicate"))
    seen.add(str(custom_id))
    if item.get("style") not in (SHORT, PARAGRAPH):
        problems.append(((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2)."))
    if labelled:
        problems += _text_problems((*path, "label"), item.get("label"), 1, TEXT_INPUT_LABEL_MAX)
    for key, least, most in (
        ("min_length", 0, TEXT_INPUT_VALUE_MAX),
        ("max_length", 1, TEXT_INPUT_VALUE_MAX),
    ):
        value = item.get(key)
        if value is not None and not (isinstance(value, int) and least <= value <= most):
            message = f"Must be between {least} and {most}."
            problems.append(((*path, key), "NUMBER_TYPE_MAX", message))
    for key, most in (("value", TEXT_INPUT_VALUE_MAX), ("placeholder", PLACEHOLDER_MAX)):
        if item.get(key) is not None:
            problems += _text_problems((*path, key), item[key], 0, most)
    return problems


def _text_problems(path: tuple[str, ...], value: object, least: int, most: int) -> list[Problem]:
    if not isinstance(value, str):
        return [(path, "BASE_TYPE_REQUIRED", "This field is required")]
    if len(value) > most:
        return [(path, "BASE_TYPE_MAX_LENGTH", f"Must be {most} or fewer in length.")]
    if len(value) < least:
        return [(path, "BASE_TYPE_MIN_LENGTH", f"Must be {least} or more in length.")]
    return []


def modal_submit_data(modal: Json, values: dict[str, str]) -> Json:
    """The `data` of a MODAL_SUBMIT: the modal's custom id and what the user typed into each
    text input, in the modal's layout. Discord's client lets no one submit an empty
    required input or one outside its lengths: asking for that is a mistake in the test."""
    rows: list[Json] = []
    names: set[str] = set()
    for row in modal["components"]:
        item = row["component"] if row["type"] == LABEL else row["components"][0]
        names.add(item["custom_id"])
        value = values.get(item["custom_id"], "")
        least = item.get("min_length", 1 if item.get("required", True) else 0)
        if not least <= len(value) <= item.get("max_length", TEXT_INPUT_VALUE_MAX):
            raise ValueError(f"Discord would not submit {value!r} for {item['custom_id']!r}")
        submitted = {"type": TEXT_INPUT, "custom_id": item["custom_id"], "value": value}
        if row["type"] == LABEL:
            rows.append({"type": LABEL, "component": submitted})
        else:
            rows.append({"type": ACTION_ROW, "components": [submitted]})
    if set(values) - names:
        raise ValueError(f"the modal has no text inputs {sorted(set(values) - names)}")
    return {"custom_id": modal["custom_id"], "components": rows}


async def submit_modal(
    fake: FakeDiscord,
    user_id: int,
    opened: InteractionRecord,
    values: dict[str, str],
    *,
    locale: str = "en-US",
) -> InteractionRecord:
    """The user submits the modal the bot answered `opened` with, having typed `values`
    (text input custom id → text). The MODAL_SUBMIT comes from the channel of `opened` and,
    when the modal was opened from a component, with the message that component is on.
    A `user_id` other than the one who opened it stands for a forged submission."""
    if opened.modal is None:
        raise ValueError(f"interaction {opened.id} was not answered with a modal")
    record = new_record(fake.state, MODAL_SUBMIT, user_id, opened.channel_id)
    record.message_id = opened.message_id
    data = modal_submit_data(opened.modal, values)
    fake.messaging.interactions[record.id] = record
    payload = interaction_json(fake.state, record, data, locale)
    message = fake.state.find_message(opened.message_id or 0)
    if message is not None:
        payload["message"] = fake.state.message_json(message)
    await fake.gateway.dispatch("INTERACTION_CREATE", payload)
    return record
