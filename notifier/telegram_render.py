"""Renders deliveries as Telegram HTML messages with inline buttons, singly or as digests."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape, unescape

from locales import translate
from notifier.cosmos_text import (
    attributes,
    explorer_path,
    is_cosmos,
)
from notifier.event_text import (
    CONFIRMED_KIND,
    DIGEST_THRESHOLD,
    MAX_DIGEST_LINE_CHARS,
    MAX_VALUE_CHARS,
    REVERTED_KIND,
    TOKEN_AMOUNT_ARGUMENT,
    TOKEN_AMOUNT_EVENTS,
    TokenInfo,
    argument_summary,
    arguments,
    event_name,
    format_token_amount,
    is_address,
    nothing_to_edit,
    plain_value,
    plan_by_destination,
    token_of,
)
from notifier.markup import Markup
from storage.deliveries import DueDelivery, DueDestination

HTML = Markup(
    escape=escape,
    code=lambda text: f"<code>{escape(text)}</code>",
    bold=lambda html: f"<b>{html}</b>",
    italic=lambda html: f"<i>{html}</i>",
    link=lambda url, html: f'<a href="{escape(url, quote=True)}">{html}</a>',
)

# The shared helpers stay importable from here, where other modules have always found them.
__all__ = [
    "CONFIRMED_KIND",
    "DIGEST_THRESHOLD",
    "MAX_DIGEST_LINE_CHARS",
    "MAX_MESSAGE_CHARS",
    "MAX_VALUE_CHARS",
    "REVERTED_KIND",
    "TOKEN_AMOUNT_ARGUMENT",
    "TOKEN_AMOUNT_EVENTS",
    "Button",
    "TelegramMessage",
    "TelegramSend",
    "TokenInfo",
    "format_token_amount",
    "nothing_to_edit",
    "plan_sends",
    "render_digests",
    "render_message",
    "token_of",
]

MAX_MESSAGE_CHARS = 4096
DIGEST_HEADER_RESERVE = 200
# Room for the line saying how many arguments were left out, in any language.
OMITTED_NOTE_RESERVE = 100
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: it either sends `callback_data` to the bot or opens `url`."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    html: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class TelegramSend:
    """One message for one chat and the deliveries it carries (several for a digest).

    With `edit_ref` the message replaces the chat's message of that id (a notification that
    was provisional becomes confirmed or reverted); `new_if_gone` tells whether to send it as
    a new message when that one can no longer be edited.
    """

    destination: DueDestination
    message: TelegramMessage
    deliveries: tuple[DueDelivery, ...]
    edit_ref: str | None = None
    new_if_gone: bool = True


def plan_sends(
    due: Sequence[DueDelivery], explorers: Mapping[str, str | None]
) -> list[TelegramSend]:
    """One message per delivery, edits of earlier ones, or digests for busy chats."""
    return plan_by_destination(
        due, explorers, render=render_message, send=TelegramSend, digests=render_digests
    )


def render_message(d: DueDelivery, explorer_url: str | None) -> TelegramMessage:
    """The notification of one event in the language of the destination's owner."""
    language = d.language
    head = HTML.reverted_notice(language) if d.kind == REVERTED_KIND else []
    head.append(f"<b>{escape(event_name(d))}</b> · {escape(d.event.chain)}")
    head += [_labeled(language, key, value) for key, value in HTML.origin(d, explorer_url)]
    tail = ["", *(_labeled(language, key, value) for key, value in HTML.places(d, explorer_url))]
    tail += HTML.finality_notice(d)
    arguments = [f"{escape(name)}: {value}" for name, value in _argument_values(d, explorer_url)]
    if arguments:
        head += ["", *_fitting(arguments, head + tail, language)]
    return TelegramMessage("\n".join(head + tail), _buttons(d, explorer_url))


def _fitting(arguments: list[str], others: list[str], language: str) -> list[str]:
    """The argument lines that fit in one message beside the `others`; when some do not, a
    last line says how many were left out (a Cosmos event may carry hundreds of attributes)."""
    room = MAX_MESSAGE_CHARS - _visible_chars("\n".join([*others, ""]))
    sizes = [_visible_chars(line) + 1 for line in arguments]
    if sum(sizes) <= room:
        return arguments
    room -= OMITTED_NOTE_RESERVE
    kept: list[str] = []
    for line, size in zip(arguments, sizes, strict=True):
        if size > room:
            break
        kept.append(line)
        room -= size
    omitted = translate(language, "notify.more_arguments", count=len(arguments) - len(kept))
    return [*kept, f"<i>{escape(omitted)}</i>"]


def _visible_chars(html: str) -> int:
    """Characters of our HTML that Telegram counts against its limit: the text without its
    tags, in UTF-16 code units (all text in it is escaped, so every `<` opens a tag)."""
    return len(unescape(_TAG.sub("", html)).encode("utf-16-le")) // 2


def render_digests(
    group: Sequence[DueDelivery], explorers: Mapping[str, str | None]
) -> list[TelegramSend]:
    """Digests of one chat's deliveries: a count, then a line per event, split to fit."""
    chunks: list[list[tuple[DueDelivery, str]]] = [[]]
    size = DIGEST_HEADER_RESERVE
    for d in group:
        line = _digest_line(d, explorers.get(d.event.chain), token_of(d))
        if chunks[-1] and size + len(line) + 1 > MAX_MESSAGE_CHARS:
            chunks.append([])
            size = DIGEST_HEADER_RESERVE
        chunks[-1].append((d, line))
        size += len(line) + 1
    return [_digest_send(chunk) for chunk in chunks]


def _digest_send(chunk: Sequence[tuple[DueDelivery, str]]) -> TelegramSend:
    deliveries = tuple(d for d, _ in chunk)
    first = deliveries[0]
    title = translate(first.language, "notify.digest_title", count=len(deliveries))
    text = "\n".join([f"<b>{escape(title)}</b>", "", *(line for _, line in chunk)])
    subscriptions = {d.subscription_id for d in deliveries}
    buttons = (_mute_button(first),) if len(subscriptions) == 1 else ()
    return TelegramSend(first.destination, TelegramMessage(text, buttons), deliveries)


def _digest_line(d: DueDelivery, explorer_url: str | None, token: TokenInfo | None) -> str:
    """`• Transfer · block 7: from 0x…, value 1.5 TKN`, the arguments shortened to fit."""
    event = d.event
    block = translate(d.language, "notify.digest_block", block=f"{event.block_number:,}")
    where = HTML.explorer_link(explorer_url, explorer_path(event), escape(block))
    summary = argument_summary(d, token)
    marker = ""
    if d.kind == REVERTED_KIND:
        marker = "⚠️ " + escape(translate(d.language, "notify.digest_reverted")) + " "
    elif d.provisional:
        marker = "⏳ "
    line = f"• {marker}<b>{escape(event_name(d))}</b> · {where}"
    return f"{line}: {escape(summary)}" if summary else line


def _labeled(language: str, key: str, value_html: str) -> str:
    return f"{escape(translate(language, key))}: {value_html}"


def _buttons(d: DueDelivery, explorer_url: str | None) -> tuple[Button, ...]:
    buttons = [_mute_button(d)]
    if explorer_url is not None:
        url = explorer_url.rstrip("/") + explorer_path(d.event)
        buttons.append(Button(translate(d.language, "notify.button_explorer"), url=url))
    return tuple(buttons)


def _mute_button(d: DueDelivery) -> Button:
    text = translate(d.language, "notify.button_mute")
    return Button(text, callback_data=f"mute:{d.subscription_id}")


def _argument_values(d: DueDelivery, explorer_url: str | None) -> list[tuple[str, str]]:
    """(name, value in HTML) of each argument, or of each attribute of a Cosmos event."""
    if is_cosmos(d):
        return [
            (name, "".join(HTML.part(explorer_url, part) for part in parts))
            for name, parts in attributes(d)
        ]
    token = token_of(d)
    values = []
    for name, value, param in arguments(d):
        if isinstance(value, str) and is_address(value, param):
            values.append((name, HTML.address(explorer_url, value)))
        else:
            values.append((name, escape(plain_value(value, param, token))))
    return values
