"""What Discord shows as text: the core's messages in Discord's words, made literal, within
Discord's length limits.

Pure. The core's catalogs speak to a chat where people send messages and tap buttons; a
Discord bot reads no messages (typed answers go through a modal, bot/discord/typed.py) and
people press buttons, so some messages have a Discord wording under a `dc.` key.
"""

from __future__ import annotations

import re

from discord.utils import escape_markdown, escape_mentions

from bot.core.replies import Text
from locales import translate

# Discord's limit (https://discord.com/developers/docs/resources/message#create-message).
MAX_CONTENT_CHARS = 2000
PARAGRAPH = "\n\n"
ELLIPSIS = "…"
# The core's messages that say "send", "tap" or "upload a file", in the words that work on
# Discord: answers are typed into the modal a button opens (the ABI too, as text), buttons
# are pressed, and slash commands take their values as options. /language changes the
# language of the notifications there.
DISCORD_WORDING = {
    "bot.wizard.ask_address": "dc.wizard.ask_address",
    "bot.wizard.ask_abi": "dc.wizard.ask_abi_typed",
    "bot.wizard.ask_filter": "dc.wizard.ask_filter",
    "bot.wizard.ask_filter_tokens": "dc.wizard.ask_filter_tokens",
    "bot.wizard.ask_events": "dc.wizard.ask_events",
    "bot.wizard.no_events_selected": "dc.wizard.no_events_selected",
    "bot.error.address.invalid": "dc.error.address.invalid",
    "bot.error.address.bad_checksum": "dc.error.address.bad_checksum",
    "bot.error.abi.invalid_json": "dc.error.abi.invalid_json",
    "bot.error.abi.no_events": "dc.error.abi.no_events",
    "bot.error.abi.bad_entry": "dc.error.abi.bad_entry",
    "bot.help.text": "dc.help.text",
    "bot.language.choose": "dc.language.choose",
    "bot.language.changed": "dc.language.changed",
    "bot.dest.how_to_add": "dc.dest.how_to_add",
    "bot.dest.how_to_add_discord": "dc.dest.how_to_add_discord",
    "bot.dest.bad_discord_url": "dc.dest.bad_discord_url",
}
_TRAILING_BACKSLASHES = re.compile(r"(\\+)$")


def translated(language: str, item: Text) -> str:
    """The message in `language`, in its Discord wording where it has one."""
    return translate(language, DISCORD_WORDING.get(item.key, item.key), **item.params)


def escape_content(text: str) -> str:
    """Markdown and mentions made literal: the catalogs hold plain text, and most parameters
    are what people typed or contracts declared (addresses, event names, filters, URLs).
    discord.py escapes every markdown character, backslashes included, but leaves URLs
    whole so that they stay links."""
    return escape_mentions(escape_markdown(text))


def visible_length(text: str) -> int:
    """Characters as Discord counts them, at most: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def cap_content(content: str, limit: int = MAX_CONTENT_CHARS) -> str:
    """The content when it fits; else the whole paragraphs that fit and an ellipsis, or (for
    one long paragraph) as much of it as fits and an ellipsis."""
    if visible_length(content) <= limit:
        return content
    room = limit - visible_length(ELLIPSIS)
    cut = content[:room]
    while visible_length(cut) > room:
        cut = cut[:-1]
    boundary = cut.rfind(PARAGRAPH)
    if boundary > 0:
        return cut[:boundary] + PARAGRAPH + ELLIPSIS
    # An odd run of backslashes at the end would escape the ellipsis instead of itself.
    trailing = _TRAILING_BACKSLASHES.search(cut)
    if trailing is not None and len(trailing.group(1)) % 2 == 1:
        cut = cut[:-1]
    return cut + ELLIPSIS


def cut_label(label: str, limit: int) -> str:
    """A label within `limit` characters; Discord refuses empty ones."""
    label = label.strip() or ELLIPSIS
    if visible_length(label) <= limit:
        return label
    cut = label[: limit - 1]
    while visible_length(cut) > limit - 1:
        cut = cut[:-1]
    return cut + ELLIPSIS
