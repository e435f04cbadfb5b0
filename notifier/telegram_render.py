"""Renders deliveries as Telegram HTML messages with inline buttons, singly or as digests."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape, unescape

from locales import translate
from notifier.cosmos_text import (
    Part,
    attributes,
    contract_part,
    explorer_path,
    is_cosmos,
    message_type,
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
    checksummed,
    event_name,
    format_token_amount,
    is_address,
    nothing_to_edit,
    plain_value,
    plan_by_destination,
    short,
    token_of,
)
from storage.deliveries import DueDelivery, DueDestination

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
    return plan_by_destination(due, explorers, single=_single, edit=_edit, digests=render_digests)


def _single(d: DueDelivery, explorer_url: str | None) -> TelegramSend:
    return TelegramSend(d.destination, render_message(d, explorer_url), (d,))


def _edit(d: DueDelivery, explorer_url: str | None) -> TelegramSend:
    """The provisional notification rewritten as confirmed or as reverted."""
    message = render_message(d, explorer_url)
    return TelegramSend(
        d.destination, message, (d,), edit_ref=d.original_ref, new_if_gone=d.kind == REVERTED_KIND
    )


def render_message(d: DueDelivery, explorer_url: str | None) -> TelegramMessage:
    """The notification of one event in the language of the destination's owner."""
    language = d.language
    head = _reverted_notice(language) if d.kind == REVERTED_KIND else []
    head.append(f"<b>{escape(event_name(d))}</b> · {escape(d.event.chain)}")
    head += [_labeled(language, key, value) for key, value in _origin(d, explorer_url)]
    tail = ["", *(_labeled(language, key, value) for key, value in _places(d, explorer_url))]
    tail += _finality_notice(d)
    arguments = [f"{escape(name)}: {value}" for name, value in _argument_values(d, explorer_url)]
    if arguments:
        head += ["", *_fitting(arguments, head + tail, language)]
    return TelegramMessage("\n".join(head + tail), _buttons(d, explorer_url))


def _origin(d: DueDelivery, explorer_url: str | None) -> list[tuple[str, str]]:
    """Who emitted the event: its contract; on a Cosmos chain, the contract if one did, and
    the message type of a message match."""
    if not is_cosmos(d):
        return [("notify.label_contract", _address(explorer_url, d.event.contract))]
    contract, message = contract_part(d), message_type(d.event)
    origin = [("notify.label_contract", _part(explorer_url, contract))] if contract else []
    if message is not None:
        origin.append(("notify.label_message", f"<code>{escape(message)}</code>"))
    return origin


def _places(d: DueDelivery, explorer_url: str | None) -> list[tuple[str, str]]:
    """Its block and transaction, linked to the explorer; a Cosmos block-level event has no
    transaction, and says so."""
    event = d.event
    block = _link(explorer_url, f"/block/{event.block_number}", f"{event.block_number:,}")
    if not event.transaction_hash:
        transaction = escape(translate(d.language, "notify.block_level"))
    elif explorer_url is not None:
        transaction = _link(explorer_url, explorer_path(event), short(event.transaction_hash))
    else:
        transaction = f"<code>{escape(event.transaction_hash)}</code>"
    return [("notify.label_block", block), ("notify.label_transaction", transaction)]


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


def _finality_notice(d: DueDelivery) -> list[str]:
    """Whether the event can still be undone: provisional, or confirmed after being so."""
    if d.kind == CONFIRMED_KIND:
        return ["", "✅ " + escape(translate(d.language, "notify.confirmed"))]
    if d.kind != REVERTED_KIND and d.provisional:
        return ["", "⏳ <i>" + escape(translate(d.language, "notify.provisional")) + "</i>"]
    return []


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
    where = _link(explorer_url, explorer_path(event), escape(block))
    summary = argument_summary(d, token)
    marker = ""
    if d.kind == REVERTED_KIND:
        marker = "⚠️ " + escape(translate(d.language, "notify.digest_reverted")) + " "
    elif d.provisional:
        marker = "⏳ "
    line = f"• {marker}<b>{escape(event_name(d))}</b> · {where}"
    return f"{line}: {escape(summary)}" if summary else line


def _reverted_notice(language: str) -> list[str]:
    title = escape(translate(language, "notify.reverted_title"))
    return [f"⚠️ <b>{title}</b>", escape(translate(language, "notify.reverted_explanation")), ""]


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
            (name, "".join(_part(explorer_url, part) for part in parts))
            for name, parts in attributes(d)
        ]
    token = token_of(d)
    values = []
    for name, value, param in arguments(d):
        if isinstance(value, str) and is_address(value, param):
            values.append((name, _address(explorer_url, value)))
        else:
            values.append((name, escape(plain_value(value, param, token))))
    return values


def _part(explorer_url: str | None, part: Part) -> str:
    """A stretch of a Cosmos value: text, or an address shown as EVM addresses are (short and
    linked, or whole where the explorer has no page for it)."""
    if part.address is None:
        return escape(part.text)
    if part.linked and explorer_url is not None:
        return _link(explorer_url, f"/address/{part.address}", escape(part.text))
    return f"<code>{escape(part.address)}</code>"


def _address(explorer_url: str | None, address: str) -> str:
    """A short address linked to the explorer, or the whole address when there is none."""
    full = checksummed(address)
    if explorer_url is None:
        return f"<code>{escape(full)}</code>"
    return _link(explorer_url, f"/address/{full}", escape(short(full)))


def _link(explorer_url: str | None, path: str, text_html: str) -> str:
    if explorer_url is None:
        return text_html
    href = escape(explorer_url.rstrip("/") + path, quote=True)
    return f'<a href="{href}">{text_html}</a>'
