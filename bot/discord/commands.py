"""The slash commands as data, their localizations from the catalogs, and what each asks
of the core.

Two ways to publish them give the same result: `command_payloads()` is the JSON of a bulk
PUT to /applications/{id}/commands, and `CatalogTranslator` gives discord.py's CommandTree
the same localizations from the same `dc.` catalog keys.

Command names stay English in every language: the catalogs' own messages (help, errors)
tell people to type `/subscribe` or `/list`, so a localized name would send them looking
for a command they do not have. Option names are localized where the language has an
ASCII lowercase word for them (Spanish); the other catalogs keep the English name.

Permissions: Discord hides a command with `default_member_permissions` from members
lacking them in a server, and the bot checks again (bot/discord/callers.py). /subscribe
stays visible to every member, because any member may subscribe their own DMs from a
server; subscribing a channel is checked by the bot. /unsubscribe, /webhook and /language
only change the channel's things in a server and ask for Manage Channels there (a server
admin may loosen or tighten that in the server's settings). In DMs none of this applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from discord import AppCommandOptionType, ChannelType, Locale
from discord.app_commands import (
    TranslationContextLocation,
    TranslationContextTypes,
    Translator,
    locale_str,
)

from bot.core.context import parse_id
from bot.core.replies import Text, text
from bot.discord.callers import MANAGE_CHANNELS
from locales import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, translate
from storage.deliveries import JsonValue

# The Discord locales of the catalogs' languages; every other locale sees English.
DISCORD_LOCALES = {"ru": "ru", "es-ES": "es", "es-419": "es", "zh-CN": "zh_Hans"}
CHAT_INPUT = 1
# Interaction contexts (a server, the bot's DM) and installs (to a server).
CONTEXTS = [0, 1]
INTEGRATION_TYPES = [0]
# The chats a subscription may be for, besides a channel id.
HERE = "here"
DM = "dm"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    name: str
    type: AppCommandOptionType
    required: bool = False
    autocomplete: bool = False
    channel_types: tuple[ChannelType, ...] = ()
    min_value: int | None = None
    max_length: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A slash command; `changes_chat` when all it does in a server is change the channel's
    subscriptions or settings (so only those with rights need to see it there)."""

    name: str
    options: tuple[OptionSpec, ...] = ()
    changes_chat: bool = False


_STRING, _INTEGER = AppCommandOptionType.string, AppCommandOptionType.integer
_NOTIFIABLE = (
    ChannelType.text,
    ChannelType.news,
    ChannelType.public_thread,
    ChannelType.private_thread,
    ChannelType.news_thread,
)
COMMANDS = (
    CommandSpec(
        "subscribe",
        (
            OptionSpec("chain", _STRING, autocomplete=True, max_length=100),
            OptionSpec("address", _STRING, max_length=128),
            OptionSpec("event", _STRING, autocomplete=True, max_length=1000),
            OptionSpec("filter", _STRING, max_length=1000),
            OptionSpec("channel", AppCommandOptionType.channel, channel_types=_NOTIFIABLE),
            OptionSpec("dm", AppCommandOptionType.boolean),
        ),
    ),
    CommandSpec("list"),
    CommandSpec(
        "unsubscribe",
        (OptionSpec("subscription", _INTEGER, True, True, min_value=1),),
        changes_chat=True,
    ),
    CommandSpec("history"),
    CommandSpec("destinations"),
    CommandSpec("webhook", (OptionSpec("url", _STRING, max_length=2000),), changes_chat=True),
    CommandSpec("status"),
    CommandSpec(
        "language",
        (OptionSpec("language", _STRING, choices=SUPPORTED_LANGUAGES),),
        changes_chat=True,
    ),
    CommandSpec("help"),
    CommandSpec("cancel"),
)


# --- catalog keys and localizations ------------------------------------------------------------


# /language changes the language of a chat's notifications: on Discord every user is
# answered in their own Discord language, and its description says so.
DESCRIPTION_KEYS = {"language": "dc.command.language_notifications"}


def command_key(command: str) -> str:
    return DESCRIPTION_KEYS.get(command, f"dc.command.{command}")


def option_key(command: str, option: str) -> str:
    return f"dc.option.{command}.{option}"


def name_key(option: str) -> str:
    return f"dc.name.{option}"


def english(key: str) -> str:
    return translate(DEFAULT_LANGUAGE, key)


def localizations(key: str) -> dict[str, str]:
    """The key's text for each Discord locale we have a catalog for, where it differs from
    the English default (Discord shows the default to every other locale)."""
    default = english(key)
    found = {locale: translate(language, key) for locale, language in DISCORD_LOCALES.items()}
    return {locale: value for locale, value in found.items() if value != default}


def command_description(command: str) -> locale_str:
    """For discord.py: `@app_commands.command(description=command_description("list"))`."""
    return locale_str(english(command_key(command)), key=command_key(command))


def option_description(command: str, option: str) -> locale_str:
    """For discord.py: `@app_commands.describe(chain=option_description("subscribe", ...))`."""
    return locale_str(english(option_key(command, option)), key=option_key(command, option))


def option_name(option: str) -> locale_str:
    """For discord.py: `@app_commands.rename(chain=option_name("chain"))`."""
    return locale_str(option, key=name_key(option))


class CatalogTranslator(Translator):
    """Command and option texts from the `dc.` keys, for `tree.set_translator(...)`.

    The key comes with the string (the helpers above) or, for strings declared without
    one, from where it is used: a command's description, an option's description or name.
    Command names and choice names are not translated (see the module's docstring).
    """

    async def translate(
        self, string: locale_str, locale: Locale, context: TranslationContextTypes
    ) -> str | None:
        key = string.extras.get("key") or key_of(context)
        if not isinstance(key, str):
            return None
        return localizations(key).get(locale.value)


def key_of(context: TranslationContextTypes) -> str | None:
    if context.location is TranslationContextLocation.command_description:
        return command_key(context.data.qualified_name)
    if context.location is TranslationContextLocation.parameter_description:
        return option_key(context.data.command.qualified_name, context.data.display_name)
    if context.location is TranslationContextLocation.parameter_name:
        return name_key(context.data.display_name)
    return None


# --- the JSON of a bulk overwrite ---------------------------------------------------------------


def command_payloads() -> list[JsonValue]:
    """Every command as Discord's API takes it (PUT /applications/{id}/commands)."""
    return [command_payload(spec) for spec in COMMANDS]


def command_payload(spec: CommandSpec) -> JsonValue:
    key = command_key(spec.name)
    return {
        "type": CHAT_INPUT,
        "name": spec.name,
        "description": english(key),
        "description_localizations": dict(localizations(key)),
        "options": [option_payload(spec.name, option) for option in spec.options],
        "default_member_permissions": str(MANAGE_CHANNELS) if spec.changes_chat else None,
        # dm_permission is what older clients read; contexts is what newer ones do.
        "dm_permission": True,
        "contexts": list(CONTEXTS),
        "integration_types": list(INTEGRATION_TYPES),
        "nsfw": False,
    }


def option_payload(command: str, option: OptionSpec) -> JsonValue:
    key = option_key(command, option.name)
    payload: dict[str, JsonValue] = {
        "type": option.type.value,
        "name": option.name,
        "description": english(key),
        "required": option.required,
    }
    names, descriptions = localizations(name_key(option.name)), localizations(key)
    if names:
        payload["name_localizations"] = dict(names)
    if descriptions:
        payload["description_localizations"] = dict(descriptions)
    if option.autocomplete:
        payload["autocomplete"] = True
    if option.channel_types:
        payload["channel_types"] = [kind.value for kind in option.channel_types]
    if option.min_value is not None:
        payload["min_value"] = option.min_value
    if option.max_length is not None:
        payload["max_length"] = option.max_length
    if option.choices:
        # Each language is named in itself, so anyone finds their own whatever their locale.
        payload["choices"] = [
            {"name": translate(code, "language.name"), "value": code} for code in option.choices
        ]
    return payload


# --- what a command asks of the core ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WizardStart:
    """The wizard's first answers, given as options: `BotCore.subscribe_with(...)`."""

    chain: str
    address: str
    filter_text: str = ""


@dataclass(frozen=True, slots=True)
class CoreCall:
    """`BotCore.command(caller, command, argument)`, or `BotCore.action(caller, action)`
    when `action` is set, or `BotCore.subscribe_with` when `wizard` is, for the chat
    `chat`: HERE (where the command was used), DM (the user's DMs, from a server) or a
    channel's id."""

    command: str
    argument: str = ""
    action: str | None = None
    chat: str = HERE
    wizard: WizardStart | None = None


Options = Mapping[str, str | int | bool]


def plan_command(name: str, options: Options) -> CoreCall | Text:
    """The core call a slash command with these option values stands for, or what is wrong
    with them. Subscribing with chain, address and event is the core's one-line form;
    with chain and address only, the wizard starts at the events; without them the wizard
    starts from the beginning (and the core says what is missing if only some are given).
    The wizard's typed answers are given in modals (bot/discord/typed.py)."""
    if name == "subscribe":
        return _plan_subscribe(options)
    if name == "unsubscribe":
        subscription = parse_id(_string(options, "subscription"))
        if subscription is None:
            return CoreCall("list")
        return CoreCall("unsubscribe", action=f"sub:del:{subscription}")
    if name == "webhook":
        return CoreCall("webhook", _string(options, "url"))
    if name == "language" and _string(options, "language"):
        return CoreCall("language", action=f"lang:{_string(options, 'language')}")
    known = {spec.name for spec in COMMANDS}
    return CoreCall(name if name in known else "help")


def _plan_subscribe(options: Options) -> CoreCall | Text:
    channel, dm = _string(options, "channel"), options.get("dm") is True
    if channel and dm:
        return text("dc.subscribe.one_destination")
    chat = DM if dm else channel or HERE
    chain, address, event = (_string(options, name) for name in ("chain", "address", "event"))
    if chain and address and not event:
        wizard = WizardStart(chain, address, _string(options, "filter"))
        return CoreCall("subscribe", chat=chat, wizard=wizard)
    parts = (chain, address, event, _string(options, "filter"))
    argument = " ".join(part for part in parts if part)
    return CoreCall("subscribe", argument, chat=chat)


def _string(options: Options, name: str) -> str:
    """An option's value as text: a channel's id may come as a number or a string."""
    value = options.get(name)
    if isinstance(value, bool):
        return ""
    return str(value).strip() if isinstance(value, str | int) else ""
