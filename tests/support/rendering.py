"""Whether a reply of the bot core goes out as the front-ends render it, on Telegram and on
Discord, in every language: `assert_renders(reply)` raises what the platform would answer.

Telegram: the HTML subset of the fake (tests/fakes/telegram_html.py), then what the fake
lets through: only the entities Telegram knows, 4,096 characters as Telegram counts them
(UTF-16 code units), callback data of 1 to 64 bytes, no button without text. Discord: the
fake's message limits (tests/fakes/discord_limits.py) and modal rules (tests/fakes/
discord_interactions.py), then what they leave out: select menus and their options, link
buttons, custom ids used once, and a typing button that opens its modal.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.core.replies import Reply
from bot.discord.chats import split_chat
from bot.discord.handlers import sample_embed
from bot.discord.render import render_reply as render_discord
from bot.discord.typed import TYPE, parse_typed, render_modal
from bot.telegram.render import Rendered
from bot.telegram.render import render_reply as render_telegram
from bot.telegram.render import render_sample as render_telegram_sample
from locales import SUPPORTED_LANGUAGES
from tests.fakes.discord_interactions import check_modal
from tests.fakes.discord_limits import Json, Problem, check_message, raise_problems
from tests.fakes.telegram_html import visible_text

TELEGRAM_TEXT_MAX = 4096
CALLBACK_DATA_MAX_BYTES = 64
DISCORD_CONTENT_MAX = 2000
SELECT_OPTIONS_MAX = 25
OPTION_TEXT_MAX = 100
PLACEHOLDER_MAX = 150
LINK_URL_MAX = 512
CUSTOM_ID_MAX = 100
BUTTON, STRING_SELECT, LINK_STYLE = 2, 3, 5
# The longest chat a reply's components may act for (bot/discord/chats.py): a snowflake of
# 20 digits, so every custom id carries the longest prefix it can get.
LONGEST_CHANNEL = "1" * 20
TELEGRAM_CHAT_ID = 100
# Telegram knows the numeric entities and these four named ones.
_TELEGRAM_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_TAG = re.compile(r"</?[a-z][a-z-]*(?:\s[^<>]*)?>")


def assert_renders(reply: Reply) -> None:
    """The reply, and its test notification if it has one, renders on both platforms in each
    supported language."""
    for language in SUPPORTED_LANGUAGES:
        localized = replace(reply, language=language)
        check_telegram(render_telegram(localized))
        check_discord(localized)
        sample = localized.sample
        if sample is not None:
            check_telegram(render_telegram_sample(sample, language, TELEGRAM_CHAT_ID, None))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- Telegram -------------------------------------------------------------------------------


def check_telegram(rendered: Rendered) -> None:
    """What sendMessage with parse_mode HTML and the inline keyboard would refuse."""
    html = rendered.html
    visible = visible_text(html, "HTML")
    bare = _TELEGRAM_ENTITY.sub("", _TAG.sub("", html))
    assert not set("<>&") & set(bare), f"unescaped <, > or & in {html[:300]!r}"
    assert visible.strip(), f"an empty message: {html[:300]!r}"
    assert utf16_length(visible) <= TELEGRAM_TEXT_MAX, f"{utf16_length(visible)} characters"
    keyboard = rendered.keyboard
    rows = [] if keyboard is None else keyboard.to_dict()["inline_keyboard"]
    for row in rows:
        assert row, "an empty row of buttons"
        for button in row:
            _check_telegram_button(button)


def _check_telegram_button(button: Json) -> None:
    assert str(button.get("text", "")).strip(), f"a button without text: {button}"
    data, url = button.get("callback_data"), button.get("url")
    assert (data is None) != (url is None), f"a button needs one action: {button}"
    if data is not None:
        size = len(str(data).encode("utf-8"))
        assert 1 <= size <= CALLBACK_DATA_MAX_BYTES, f"callback data of {size} bytes: {data!r}"


# --- Discord --------------------------------------------------------------------------------


def check_discord(reply: Reply) -> None:
    """What Discord would refuse of the reply as an interaction answer (content, components,
    the test notification's embed) and of the modal its typing button opens."""
    rendered = render_discord(reply, True, LONGEST_CHANNEL)
    components: list[Json] = [] if rendered.view is None else rendered.view.to_components()
    payload: Json = {"content": rendered.content, "components": components}
    if reply.sample is not None:
        embed = sample_embed(reply.sample, reply.language, int(LONGEST_CHANNEL), None)
        payload["embeds"] = [embed.to_dict()]
    check_message(payload, interaction=True)
    content = rendered.content
    assert content.strip(), "an empty message"
    assert utf16_length(content) <= DISCORD_CONTENT_MAX, f"{utf16_length(content)} characters"
    children = [child for row in components for child in row.get("components", [])]
    raise_problems(components_problems(children))
    for child in children:
        custom_id = str(child.get("custom_id") or "")
        if child.get("type") == BUTTON and split_chat(custom_id)[1].startswith(TYPE):
            _check_modal(reply.language, custom_id)


def components_problems(children: list[Json]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, child in enumerate(children):
        path = ("components", str(index))
        custom_id = child.get("custom_id")
        if custom_id is not None:
            if custom_id in seen:
                problems.append((path, "COMPONENT_CUSTOM_ID_DUPLICATED", "Duplicate custom id"))
            seen.add(custom_id)
            problems += _length((*path, "custom_id"), custom_id, 1, CUSTOM_ID_MAX)
        if child.get("type") == STRING_SELECT:
            problems += _select_problems(path, child)
        elif child.get("type") == BUTTON:
            problems += _button_problems(path, child)
    return problems


def _button_problems(path: tuple[str, ...], button: Json) -> list[Problem]:
    problems = _length((*path, "label"), str(button.get("label") or "").strip(), 1, 80)
    is_link = button.get("style") == LINK_STYLE
    if is_link != ("url" in button) or is_link == ("custom_id" in button):
        problems.append((path, "BUTTON_COMPONENT_INVALID", "A link has a url, others a custom id"))
    if is_link:
        problems += _length((*path, "url"), str(button.get("url") or ""), 1, LINK_URL_MAX)
    return problems


def _select_problems(path: tuple[str, ...], select: Json) -> list[Problem]:
    options: list[Json] = select.get("options") or []
    placeholder = str(select.get("placeholder") or "")
    problems = _length((*path, "placeholder"), placeholder, 0, PLACEHOLDER_MAX)
    if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
        problems.append(((*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be 1 to 25 options"))
    least, most = int(select.get("min_values", 1)), int(select.get("max_values", 1))
    if not 0 <= least <= most <= max(len(options), 1) or most > SELECT_OPTIONS_MAX:
        problems.append(((*path, "max_values"), "NUMBER_TYPE_MAX", f"{least} to {most} values"))
    if sum(1 for option in options if option.get("default")) > most:
        problems.append(((*path, "options"), "SELECT_DEFAULTS_EXCEEDED", "Too many defaults"))
    values = [option.get("value") for option in options]
    if len(set(values)) != len(values):
        problems.append(((*path, "options"), "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Dup"))
    for index, option in enumerate(options):
        where = (*path, "options", str(index))
        problems += _length((*where, "label"), str(option.get("label") or ""), 1, OPTION_TEXT_MAX)
        problems += _length((*where, "value"), str(option.get("value") or ""), 1, OPTION_TEXT_MAX)
        description = str(option.get("description") or "")
        problems += _length((*where, "description"), description, 0, OPTION_TEXT_MAX)
    return problems


def _length(path: tuple[str, ...], text: str, least: int, most: int) -> list[Problem]:
    size = utf16_length(text)
    if not least <= size <= most:
        return [(path, "BASE_TYPE_BAD_LENGTH", f"Must be {least} to {most} in length, is {size}")]
    return []


def _check_modal(language: str, custom_id: str) -> None:
    """The modal the typing button opens (bot/discord/handlers.py open_modal)."""
    typed = parse_typed(split_chat(custom_id)[1])
    assert typed is not None, f"a typing button that opens no modal: {custom_id!r}"
    check_modal(render_modal(language, custom_id, typed.question).to_dict())
