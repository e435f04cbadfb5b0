"""Discord's size rules for what a bot sends: messages, embeds, components, commands, choices.

Each check returns the same "Invalid Form Body" (code 50035) error tree Discord answers with,
so discord.py raises the HTTPException a real bot would see ("In embeds.0.title: ...").
Limits are from Discord's developer docs: Message and Embed limits, Message Components,
Application Commands, Locales.
"""

from __future__ import annotations

import re
from typing import Any

Json = dict[str, Any]
Problem = tuple[tuple[str, ...], str, str]  # path, error code, message

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_FIELDS_MAX = 25
EMBED_TEXT_MAX = {"title": 256, "description": 4096}
FIELD_TEXT_MAX = {"name": 256, "value": 1024}
FOOTER_TEXT_MAX = 2048
AUTHOR_NAME_MAX = 256
NONCE_MAX = 25
CHOICES_MAX = 25
COMMAND_OPTIONS_MAX = 25
COMMANDS_PER_SCOPE_MAX = 100
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
LINK_URL_MAX = 512
SELECT_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
BUTTON, STRING_SELECT, LINK_STYLE = 2, 3, 5

# Discord accepts only these locale keys in name_localizations / description_localizations.
LOCALES = frozenset(
    ("id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
     "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi",
     "th", "zh-CN", "ja", "zh-TW", "ko")
)  # fmt: skip
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


class ApiError(Exception):
    """An error answer: HTTP status plus Discord's JSON error body."""

    def __init__(self, status: int, code: int, message: str, errors: Json | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> Json:
        body: Json = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def check_message(payload: Json, *, interaction: bool = False) -> None:
    """Raise the error Discord gives for a message that breaks a limit or says nothing."""
    problems = [*_content_problems(payload), *_embeds_problems(payload.get("embeds") or [])]
    problems += components_problems(payload.get("components") or [])
    nonce = payload.get("nonce")
    if nonce is not None and len(str(nonce)) > NONCE_MAX:
        problems.append((("nonce",), "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_MAX} or fewer."))
    raise_problems(problems)
    said = payload.get("content") or payload.get("embeds") or payload.get("components")
    if not said and not interaction:
        raise ApiError(400, 50006, "Cannot send an empty message")


def check_edit(payload: Json) -> None:
    problems = [*_content_problems(payload), *_embeds_problems(payload.get("embeds") or [])]
    raise_problems(problems + components_problems(payload.get("components") or []))


def check_choices(choices: list[Json]) -> None:
    problems: list[Problem] = []
    if len(choices) > CHOICES_MAX:
        problems.append((("choices",), "BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES_MAX} or fewer."))
    for index, choice in enumerate(choices):
        path = ("choices", str(index))
        problems += _length((*path, "name"), str(choice.get("name", "")), 1, 100)
        if isinstance(choice.get("value"), str):
            problems += _length((*path, "value"), choice["value"], 1, 100)
    raise_problems(problems)


def check_commands(commands: list[Json]) -> None:
    """A bulk overwrite is refused whole when one command breaks a rule."""
    problems: list[Problem] = []
    if sum(1 for c in commands if c.get("type", 1) == 1) > COMMANDS_PER_SCOPE_MAX:
        problems.append(((), "BASE_TYPE_MAX_LENGTH", f"Must be {COMMANDS_PER_SCOPE_MAX} or fewer."))
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        key = (int(command.get("type", 1)), str(command.get("name", "")))
        if key in seen:
            problems.append(
                ((str(index), "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate name")
            )
        seen.add(key)
        problems += _named_problems((str(index),), command, slash=key[0] == 1)
        problems += _options_problems((str(index), "options"), command.get("options") or [])
    raise_problems(problems)


def raise_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    errors: Json = {}
    for path, code, message in problems:
        node = errors
        for part in path:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    raise ApiError(400, 50035, "Invalid Form Body", errors)


def _content_problems(payload: Json) -> list[Problem]:
    content = payload.get("content")
    if content is not None and len(str(content)) > CONTENT_MAX:
        return [
            (("content",), "BASE_TYPE_MAX_LENGTH", f"Must be {CONTENT_MAX} or fewer in length.")
        ]
    return []


def _embeds_problems(embeds: list[Json]) -> list[Problem]:
    if len(embeds) > EMBEDS_MAX:
        return [(("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length.")]
    problems: list[Problem] = []
    for index, embed in enumerate(embeds):
        problems += _embed_problems(("embeds", str(index)), embed)
    if sum(_embed_size(e) for e in embeds) > EMBED_TOTAL_MAX:
        message = f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
        problems.append((("embeds",), "MAX_EMBED_SIZE_EXCEEDED", message))
    return problems


def _embed_problems(path: tuple[str, ...], embed: Json) -> list[Problem]:
    problems: list[Problem] = []
    for key, most in EMBED_TEXT_MAX.items():
        problems += _length((*path, key), str(embed.get(key) or ""), 0, most)
    problems += _length(
        (*path, "footer", "text"), _text(embed, "footer", "text"), 0, FOOTER_TEXT_MAX
    )
    problems += _length(
        (*path, "author", "name"), _text(embed, "author", "name"), 0, AUTHOR_NAME_MAX
    )
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        message = f"Must be {EMBED_FIELDS_MAX} or fewer in length."
        problems.append(((*path, "fields"), "BASE_TYPE_MAX_LENGTH", message))
    for index, embed_field in enumerate(fields):
        for key, most in FIELD_TEXT_MAX.items():
            where = (*path, "fields", str(index), key)
            problems += _length(where, str(embed_field.get(key) or ""), 1, most)
    return problems


def _embed_size(embed: Json) -> int:
    fields = embed.get("fields") or []
    texts = [str(embed.get("title") or ""), str(embed.get("description") or "")]
    texts += [_text(embed, "footer", "text"), _text(embed, "author", "name")]
    texts += [str(f.get("name") or "") + str(f.get("value") or "") for f in fields]
    return sum(len(text) for text in texts)


def components_problems(rows: list[Json]) -> list[Problem]:
    """Action rows of buttons and select menus: layout, custom ids used once, labels, links,
    options."""
    if len(rows) > 5:
        return [(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for row_index, row in enumerate(rows):
        children = row.get("components") or []
        path = ("components", str(row_index), "components")
        if len(children) > 5 or (len(children) > 1 and any(c.get("type") != 2 for c in children)):
            problems.append((path, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Component layout too wide"))
        for index, child in enumerate(children):
            problems += _component_problems((*path, str(index)), child, seen)
    return problems


def _component_problems(path: tuple[str, ...], child: Json, seen: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    custom_id = child.get("custom_id")
    if custom_id is not None:
        if custom_id in seen:
            problems.append((path, "COMPONENT_CUSTOM_ID_DUPLICATED", "Duplicate custom id"))
        seen.add(custom_id)
        problems += _length((*path, "custom_id"), str(custom_id), 1, CUSTOM_ID_MAX)
    if child.get("type") == STRING_SELECT:
        problems += _select_problems(path, child)
    elif child.get("type") == BUTTON:
        problems += _button_problems(path, child)
    return problems


def _button_problems(path: tuple[str, ...], button: Json) -> list[Problem]:
    label = str(button.get("label") or "")
    problems = _length((*path, "label"), label, 0, BUTTON_LABEL_MAX)
    if not label.strip() and not button.get("emoji"):
        problems.append((path, "BUTTON_COMPONENT_INVALID", "A button needs a label or an emoji"))
    is_link = button.get("style") == LINK_STYLE
    if is_link != ("url" in button) or is_link == ("custom_id" in button):
        problems.append((path, "BUTTON_COMPONENT_INVALID", "A link has a url, others a custom id"))
    if is_link:
        problems += _length((*path, "url"), str(button.get("url") or ""), 1, LINK_URL_MAX)
    return problems


def _select_problems(path: tuple[str, ...], select: Json) -> list[Problem]:
    options: list[Json] = select.get("options") or []
    placeholder = str(select.get("placeholder") or "")
    problems = _length((*path, "placeholder"), placeholder, 0, SELECT_PLACEHOLDER_MAX)
    if not 1 <= len(options) <= CHOICES_MAX:
        problems.append(((*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be 1 to 25 options"))
    least, most = int(select.get("min_values", 1)), int(select.get("max_values", 1))
    if not 0 <= least <= most <= max(len(options), 1) or most > CHOICES_MAX:
        problems.append(((*path, "max_values"), "NUMBER_TYPE_MAX", f"{least} to {most} values"))
    if sum(1 for option in options if option.get("default")) > most:
        problems.append(((*path, "options"), "SELECT_DEFAULTS_EXCEEDED", "Too many defaults"))
    values = [option.get("value") for option in options]
    if len(set(values)) != len(values):
        problems.append(((*path, "options"), "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Dup"))
    for index, option in enumerate(options):
        where = (*path, "options", str(index))
        for key, least_chars in (("label", 1), ("value", 1), ("description", 0)):
            text = str(option.get(key) or "")
            problems += _length((*where, key), text, least_chars, SELECT_TEXT_MAX)
    return problems


def _options_problems(path: tuple[str, ...], options: list[Json]) -> list[Problem]:
    if len(options) > COMMAND_OPTIONS_MAX:
        message = f"Must be {COMMAND_OPTIONS_MAX} or fewer in length."
        return [(path, "BASE_TYPE_MAX_LENGTH", message)]
    problems: list[Problem] = []
    optional_seen = False
    for index, option in enumerate(options):
        where = (*path, str(index))
        problems += _named_problems(where, option, slash=True)
        if option.get("required") and optional_seen:
            message = "Required options must be placed before non-required options"
            problems.append((where, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", message))
        optional_seen = optional_seen or not option.get("required")
        if len(option.get("choices") or []) > CHOICES_MAX:
            message = f"Must be {CHOICES_MAX} or fewer in length."
            problems.append(((*where, "choices"), "BASE_TYPE_MAX_LENGTH", message))
        problems += _options_problems((*where, "options"), option.get("options") or [])
    return problems


def _named_problems(path: tuple[str, ...], named: Json, *, slash: bool) -> list[Problem]:
    """Name and description rules, for the default text and for every localization."""
    problems: list[Problem] = []
    names = {"": str(named.get("name", ""))} | dict(named.get("name_localizations") or {})
    for locale, name in names.items():
        where = path + (("name_localizations", locale) if locale else ("name",))
        if locale and locale not in LOCALES:
            problems.append((where, "LOCALE_INVALID", f"Invalid locale: {locale}"))
        elif slash and (not _COMMAND_NAME.match(name) or name != name.lower()):
            problems.append((where, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
    descriptions = {"": str(named.get("description", ""))}
    descriptions |= dict(named.get("description_localizations") or {})
    for locale, text in descriptions.items():
        where = path + (("description_localizations", locale) if locale else ("description",))
        if locale and locale not in LOCALES:
            problems.append((where, "LOCALE_INVALID", f"Invalid locale: {locale}"))
        elif slash:
            problems += _length(where, text, 1, 100)
    return problems


def _length(path: tuple[str, ...], text: str, least: int, most: int) -> list[Problem]:
    if len(text) > most:
        return [(path, "BASE_TYPE_MAX_LENGTH", f"Must be {most} or fewer in length.")]
    if len(text) < least:
        return [(path, "BASE_TYPE_MIN_LENGTH", f"Must be {least} or more in length.")]
    return []


def _text(embed: Json, part: str, key: str) -> str:
    return str((embed.get(part) or {}).get(key) or "")
