"""Whether a reply of the bot core goes out as the front-ends render it, on Telegram and on
Discord, in every language: `assert_renders(reply)` raises what the platform would answer,
by the same rules the fakes apply to what the bots send (tests/fakes/telegram_store.py,
tests/fakes/discord_limits.py) and to the modal a typing button opens
(tests/fakes/discord_interactions.py).
"""

from __future__ import annotations

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
from tests.fakes.discord_limits import BUTTON, Json, check_message
from tests.fakes.telegram_store import check_message as check_telegram_message

# The longest chat a reply's components may act for (bot/discord/chats.py): a snowflake of
# 20 digits, so every custom id carries the longest prefix it can get.
LONGEST_CHANNEL = "1" * 20
TELEGRAM_CHAT_ID = 100


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


# --- Telegram -------------------------------------------------------------------------------


def check_telegram(rendered: Rendered) -> None:
    """What sendMessage with parse_mode HTML and the inline keyboard would refuse."""
    keyboard = rendered.keyboard
    markup = None if keyboard is None else keyboard.to_dict()
    check_telegram_message(rendered.html, "HTML", markup)


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
    assert rendered.content.strip(), "an empty message"
    children = [child for row in components for child in row.get("components", [])]
    for child in children:
        custom_id = str(child.get("custom_id") or "")
        if child.get("type") == BUTTON and split_chat(custom_id)[1].startswith(TYPE):
            _check_modal(reply.language, custom_id)


def _check_modal(language: str, custom_id: str) -> None:
    """The modal the typing button opens (bot/discord/handlers.py open_modal)."""
    typed = parse_typed(split_chat(custom_id)[1])
    assert typed is not None, f"a typing button that opens no modal: {custom_id!r}"
    check_modal(render_modal(language, custom_id, typed.question).to_dict())
