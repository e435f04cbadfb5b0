"""Renders deliveries as Discord message payloads (embeds and buttons), singly or as digests.

Payloads are the JSON bodies the REST API takes: POST /channels/{id}/messages for a bot's
channel, POST /webhooks/{id}/{token} for a channel webhook a user pasted, PATCH of the message
for an edit. Limits are Discord's (developer docs, "Embed Limits"); everything that comes from
a chain or an ABI is escaped, so it can neither format nor link nor mention.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from locales import translate
from notifier.cosmos_text import (
    attributes,
    explorer_path,
    is_cosmos,
    plain_text,
)
from notifier.event_text import (
    REVERTED_KIND,
    TokenInfo,
    argument_summary,
    arguments,
    event_name,
    is_address,
    plain_value,
    plan_by_destination,
    token_of,
)
from notifier.markup import Markup, explorer_page
from storage.deliveries import DueDelivery, DueDestination, JsonValue

# Destination kinds: a channel the bot posts in, or a channel webhook URL (no bot needed).
DISCORD_CHANNEL_KIND = "discord"
DISCORD_WEBHOOK_KIND = "discord_webhook"

MAX_TITLE_CHARS = 256
MAX_DESCRIPTION_CHARS = 4096
MAX_FIELDS = 25
MAX_FIELD_VALUE_CHARS = 1024
# Title, description, field names and values, footer and author of all a message's embeds.
MAX_EMBEDS_TOTAL_CHARS = 6000
MAX_BUTTON_LABEL_CHARS = 80
MAX_BUTTON_URL_CHARS = 512
MAX_NONCE_CHARS = 25
# Our own caps, well within Discord's (field names 256, footers 2048), chosen so that title,
# description, footer and 25 field names leave every field value room.
ARGUMENT_NAME_CHARS = 100
DESCRIPTION_CHARS = 1500
FOOTER_CHARS = 200
DIGEST_LINE_CHARS = 1000
INLINE_VALUE_CHARS = 40

CHAIN_COLOURS = (0x5865F2, 0x57F287, 0xFEE75C, 0xEB459E, 0x00B0F4, 0x9B59B6, 0x1ABC9C, 0xE67E22)
REVERTED_COLOUR = 0xED4245
MIXED_CHAINS_COLOUR = 0x99AAB5

# Discord's markdown treats a backslash before any punctuation as a literal; these are the
# characters that format, quote, link (`[]()` and `:` of autolinks) or mention (`<@…>`, `@`).
_MARKDOWN_SPECIALS = re.compile(r"([\\*_~`|>#\-\[\]()<@:])")
_ORDERED_LIST = re.compile(r"^(\d+)\.(?=\s)")

Payload = dict[str, JsonValue]


@dataclass(frozen=True, slots=True)
class DiscordSend:
    """One message for one destination and the deliveries it carries (several for a digest).

    With `edit_ref` the message replaces the destination's message of that id (a provisional
    notification becomes confirmed or reverted); `new_if_gone` tells whether to post it as a
    new message when that one can no longer be edited. For a channel webhook the sender adds
    `?wait=true&with_components=true`: Discord drops components from webhooks without it.
    """

    destination: DueDestination
    payload: Payload
    deliveries: tuple[DueDelivery, ...]
    edit_ref: str | None = None
    new_if_gone: bool = True

    @property
    def edit_payload(self) -> Payload:
        """The body of the PATCH of `edit_ref`: an edit takes no nonce."""
        return {k: v for k, v in self.payload.items() if k not in ("nonce", "enforce_nonce")}


def plan_discord_sends(
    due: Sequence[DueDelivery], explorers: Mapping[str, str | None]
) -> list[DiscordSend]:
    """One message per delivery, edits of earlier ones, or digests for busy destinations."""
    return plan_by_destination(
        due, explorers, render=render_payload, send=DiscordSend, digests=render_digests
    )


def render_payload(d: DueDelivery, explorer_url: str | None) -> Payload:
    """The message of one delivery: its embed, a mute and an explorer button, its nonce."""
    buttons = [_mute_button(d)] if d.destination.kind != DISCORD_WEBHOOK_KIND else []
    link = explorer_page(explorer_url, explorer_path(d.event))
    if link is not None and len(link) <= MAX_BUTTON_URL_CHARS:
        label = translate(d.language, "notify.button_explorer")
        buttons.append(
            {"type": 2, "style": 5, "label": _cut(label, MAX_BUTTON_LABEL_CHARS), "url": link}
        )
    return _payload(d.destination, [render_embed(d, explorer_url)], buttons, [d.id])


def render_embed(d: DueDelivery, explorer_url: str | None) -> Payload:
    """The notification of one event in the language of the destination's owner: the event as
    title, where it happened in the description, one field per argument."""
    title = _cut(escape_markdown(event_name(d)), MAX_TITLE_CHARS)
    description = _cut("\n".join(_description_lines(d, explorer_url)), DESCRIPTION_CHARS)
    footer = _cut(d.event.chain, FOOTER_CHARS)
    budget = MAX_EMBEDS_TOTAL_CHARS - len(title) - len(description) - len(footer)
    embed: Payload = {
        "title": title,
        "description": description,
        "color": REVERTED_COLOUR if d.kind == REVERTED_KIND else chain_colour(d.event.chain),
        "fields": _argument_fields(d, explorer_url, budget),
        "footer": {"text": footer},
    }
    url = explorer_page(explorer_url, explorer_path(d.event))
    if url is not None:
        embed["url"] = url
    return embed


def _description_lines(d: DueDelivery, explorer_url: str | None) -> list[str]:
    """Where the event happened (linked to the explorer), after the correction's warning and
    before the note on its finality."""
    language = d.language
    places = [*MARKDOWN.origin(d, explorer_url), *MARKDOWN.places(d, explorer_url)]
    lines = MARKDOWN.reverted_notice(language) if d.kind == REVERTED_KIND else []
    lines += [f"{escape_markdown(translate(language, key))}: {value}" for key, value in places]
    return lines + MARKDOWN.finality_notice(d)


def _argument_fields(d: DueDelivery, explorer_url: str | None, budget: int) -> list[JsonValue]:
    """One field per argument within the embed's `budget` of characters; past 24 arguments the
    rest share the last field, and values that do not fit are shortened, links dropped first."""
    token = token_of(d)
    rows = [
        (_cut(escape_markdown(name), ARGUMENT_NAME_CHARS), rich, plain)
        for name, rich, plain in _argument_values(d, explorer_url, token)
    ]
    if len(rows) > MAX_FIELDS:
        rest = ", ".join(f"{name} {plain}" for name, _, plain in rows[MAX_FIELDS - 1 :])
        rows = [*rows[: MAX_FIELDS - 1], ("…", rest, rest)]
    if not rows:
        return []
    value_chars = (budget - sum(len(name) for name, _, _ in rows)) // len(rows)
    value_chars = min(value_chars, MAX_FIELD_VALUE_CHARS)
    fields: list[JsonValue] = []
    for name, rich, plain in rows:
        value = rich if len(rich) <= value_chars else _cut(plain, value_chars)
        # Short values (addresses and amounts read short, even when linked) sit side by side.
        inline = len(plain) <= INLINE_VALUE_CHARS
        # Discord refuses empty names and values; a zero-width space stands in.
        fields.append({"name": name or "\u200b", "value": value or "\u200b", "inline": inline})
    return fields


def _argument_values(
    d: DueDelivery, explorer_url: str | None, token: TokenInfo | None
) -> list[tuple[str, str, str]]:
    """(name, value in markdown, value as escaped plain text) in ABI order, or of each
    attribute of a Cosmos event."""
    if is_cosmos(d):
        return [
            (
                name,
                "".join(MARKDOWN.part(explorer_url, part) for part in parts),
                escape_markdown(plain_text(parts)),
            )
            for name, parts in attributes(d)
        ]
    values = []
    for name, value, param in arguments(d):
        plain = escape_markdown(plain_value(value, param, token))
        if isinstance(value, str) and is_address(value, param):
            values.append((name, MARKDOWN.address(explorer_url, value), plain))
        else:
            values.append((name, plain, plain))
    return values


def render_digests(
    group: Sequence[DueDelivery], explorers: Mapping[str, str | None]
) -> list[DiscordSend]:
    """Digests of one destination's deliveries: an embed with a count and a line per event,
    as many messages as the description limit needs."""
    chunks: list[list[tuple[DueDelivery, str]]] = [[]]
    size = 0
    for d in group:
        line = _digest_line(d, explorers.get(d.event.chain))
        if chunks[-1] and size + len(line) + 1 > MAX_DESCRIPTION_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append((d, line))
        size += len(line) + 1
    return [_digest_send(chunk) for chunk in chunks]


def _digest_send(chunk: Sequence[tuple[DueDelivery, str]]) -> DiscordSend:
    deliveries = [d for d, _ in chunk]
    first = deliveries[0]
    chains = sorted({d.event.chain for d in deliveries})
    embed: Payload = {
        "title": translate(first.language, "notify.digest_title", count=len(deliveries)),
        "description": "\n".join(line for _, line in chunk),
        "color": chain_colour(chains[0]) if len(chains) == 1 else MIXED_CHAINS_COLOUR,
        "footer": {"text": _cut(", ".join(chains), FOOTER_CHARS)},
    }
    subscriptions = {d.subscription_id for d in deliveries}
    buttons: list[JsonValue] = []
    if len(subscriptions) == 1 and first.destination.kind != DISCORD_WEBHOOK_KIND:
        buttons.append(_mute_button(first))
    payload = _payload(first.destination, [embed], buttons, [d.id for d in deliveries])
    return DiscordSend(first.destination, payload, tuple(deliveries))


def _digest_line(d: DueDelivery, explorer_url: str | None) -> str:
    """`• Transfer · block 7: from 0x…, value 1.5 TKN`, the arguments shortened to fit."""
    event = d.event
    block = translate(d.language, "notify.digest_block", block=f"{event.block_number:,}")
    where = MARKDOWN.explorer_link(explorer_url, explorer_path(event), escape_markdown(block))
    marker = ""
    if d.kind == REVERTED_KIND:
        marker = "⚠️ " + escape_markdown(translate(d.language, "notify.digest_reverted")) + " "
    elif d.provisional:
        marker = "⏳ "
    name = _cut(escape_markdown(event_name(d)), ARGUMENT_NAME_CHARS)
    line = f"• {marker}**{name}** · {where}"
    summary = escape_markdown(argument_summary(d, token_of(d)))
    return _cut(f"{line}: {summary}", DIGEST_LINE_CHARS) if summary else line


def _payload(
    destination: DueDestination,
    embeds: list[JsonValue],
    buttons: list[JsonValue],
    delivery_ids: Sequence[str],
) -> Payload:
    """The message body. `allowed_mentions` with nothing to parse: no text of ours can ping.

    A bot's message carries a nonce that Discord enforces, so a send repeated after a crash
    returns the message already posted instead of posting it again. Webhook executions take
    no nonce (Execute Webhook has no such parameter).
    """
    body: Payload = {
        "content": "",
        "embeds": embeds,
        "components": [{"type": 1, "components": buttons}] if buttons else [],
        "allowed_mentions": {"parse": []},
    }
    if destination.kind != DISCORD_WEBHOOK_KIND:
        body["nonce"] = nonce_of(delivery_ids)
        body["enforce_nonce"] = True
    return body


def nonce_of(delivery_ids: Sequence[str]) -> str:
    """25 hex digits of a hash of the deliveries a message carries: the same message gets the
    same nonce, and a digest regrouped after a crash gets a new one (posting its events again
    rather than marking ones it never showed as delivered)."""
    digest = hashlib.sha256("\n".join(delivery_ids).encode()).hexdigest()
    return digest[:MAX_NONCE_CHARS]


def chain_colour(chain: str) -> int:
    """A colour of the palette picked by the chain's name, the same in every process."""
    return CHAIN_COLOURS[zlib.crc32(chain.encode()) % len(CHAIN_COLOURS)]


def escape_markdown(text: str) -> str:
    """Text shown as it is: on one line, with every markdown, link and mention character
    escaped."""
    flat = " ".join(text.splitlines())
    return _ORDERED_LIST.sub(r"\1\\.", _MARKDOWN_SPECIALS.sub(r"\\\1", flat))


def _code(text: str) -> str:
    return escape_markdown(text) if "`" in text else f"`{' '.join(text.splitlines())}`"


MARKDOWN = Markup(
    escape=escape_markdown,
    code=_code,
    bold=lambda markdown: f"**{markdown}**",
    italic=lambda markdown: f"*{markdown}*",
    link=lambda url, markdown: f"[{markdown}]({url})",
)


def _mute_button(d: DueDelivery) -> JsonValue:
    label = _cut(translate(d.language, "notify.button_mute"), MAX_BUTTON_LABEL_CHARS)
    return {"type": 2, "style": 2, "label": label, "custom_id": f"mute:{d.subscription_id}"}


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending with … when shortened, never inside a
    backslash escape."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + "…"
