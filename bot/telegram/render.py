"""Renders the core's replies as Telegram HTML with inline keyboards (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape, unescape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.replies import Choice, ChoiceRow, LinkChoice, Reply, SampleNotification, Text
from bot.sample import sample_delivery
from locales import translate
from notifier.telegram_render import Button, render_message

MAX_MESSAGE_CHARS = 4096
PARAGRAPH = "\n\n"
ELLIPSIS = "…"
# The catalogs may use these tags; every other "<" in a message is text (`/webhook <url>`).
_ALLOWED_TAG = re.compile(r"(</?(?:b|i|code)>)")
_ANY_TAG = re.compile(r"<[^>]*>")
# Private-use characters mark where parameters go, so that a message is escaped before its
# parameters are put in and they are escaped exactly once.
_SLOT = "\ue000{}\ue001"
_SLOT_PATTERN = re.compile("\ue000[0-9]+\ue001")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready for sendMessage/editMessageText with parse_mode HTML."""

    html: str
    keyboard: InlineKeyboardMarkup | None


def render_reply(reply: Reply) -> Rendered:
    """The text and each extra paragraph in the reply's language, and its choices as buttons."""
    paragraphs = [render_text(reply.language, item) for item in (reply.text, *reply.extra)]
    return Rendered(cap_html(paragraphs), render_keyboard(reply.language, reply.choices))


def render_text(language: str, item: Text) -> str:
    """One message of the catalog as HTML: its own text escaped (but for <b>, <i>, <code>),
    string parameters escaped, numbers as they are (a `count` also picks the plural form)."""
    slots: dict[str, str | int] = {}
    values: dict[str, str] = {}
    for index, (name, value) in enumerate(item.params.items()):
        if isinstance(value, str):
            slots[name] = _SLOT.format(index)
            values[_SLOT.format(index)] = escape(value, quote=False)
        else:
            slots[name] = value
    template = translate(language, item.key, **slots)
    html = "".join(
        part if _ALLOWED_TAG.fullmatch(part) else escape(part, quote=False)
        for part in _ALLOWED_TAG.split(template)
    )
    # One pass: a parameter that happens to contain a slot's characters is not filled again.
    return _SLOT_PATTERN.sub(lambda match: values.get(match.group(0), ""), html)


def render_keyboard(language: str, rows: tuple[ChoiceRow, ...]) -> InlineKeyboardMarkup | None:
    keyboard = [[_button(language, offered) for offered in row] for row in rows if row]
    return InlineKeyboardMarkup(keyboard) if keyboard else None


def _button(language: str, offered: Choice | LinkChoice) -> InlineKeyboardButton:
    label = translate(language, offered.label.key, **offered.label.params)
    if isinstance(offered, LinkChoice):
        return InlineKeyboardButton(label, url=offered.url)
    return InlineKeyboardButton(label, callback_data=offered.action)


def visible_length(html: str) -> int:
    """Characters the user reads, counted as Telegram counts them (UTF-16 code units)."""
    return len(unescape(_ANY_TAG.sub("", html)).encode("utf-16-le")) // 2


def cap_html(paragraphs: list[str], limit: int = MAX_MESSAGE_CHARS) -> str:
    """Paragraphs joined; when they are too long for one message, the whole ones that fit
    and an ellipsis (a single paragraph too long on its own is cut as plain text)."""
    whole = PARAGRAPH.join(paragraphs)
    if visible_length(whole) <= limit:
        return whole
    kept: list[str] = []
    for paragraph in paragraphs:
        candidate = PARAGRAPH.join([*kept, paragraph, ELLIPSIS])
        if visible_length(candidate) > limit:
            break
        kept.append(paragraph)
    if kept:
        return PARAGRAPH.join([*kept, ELLIPSIS])
    return _cut_plain(paragraphs[0], limit)


def _cut_plain(html: str, limit: int) -> str:
    plain = unescape(_ANY_TAG.sub("", html))
    cut = plain[: limit - 1]
    while visible_length(escape(cut, quote=False)) > limit - 1:
        cut = cut[:-1]
    return escape(cut, quote=False) + ELLIPSIS


def render_sample(
    sample: SampleNotification, language: str, chat_id: int, explorer_url: str | None
) -> Rendered:
    """A made-up match rendered exactly as the notifier renders a real one in this chat, with
    the chain's explorer (`explorer_url`) as the notifier has it."""
    delivery = sample_delivery(sample, language, "telegram", str(chat_id))
    message = render_message(delivery, explorer_url)
    rows = [[_notifier_button(button)] for button in message.buttons]
    return Rendered(message.html, InlineKeyboardMarkup(rows) if rows else None)


def _notifier_button(button: Button) -> InlineKeyboardButton:
    if button.url is not None:
        return InlineKeyboardButton(button.text, url=button.url)
    return InlineKeyboardButton(button.text, callback_data=button.callback_data)
