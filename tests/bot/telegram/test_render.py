"""Replies become Telegram HTML: catalog text and parameters escaped once, within the limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardButton

from bot.core.replies import LinkChoice, Reply, choice, text
from bot.telegram.handlers import parse_command, redact_token
from bot.telegram.render import MAX_MESSAGE_CHARS, cap_html, render_reply, visible_length
from locales import translate
from tests.fakes.telegram_api import visible_text


def test_parameters_are_escaped_and_the_catalogs_brackets_are_text() -> None:
    reply = Reply(
        text("bot.plain", text="<script>&"),
        extra=(text("bot.help.text"),),
        choices=((choice("bot.choice.open", "sub:show:3", id=3, event="<Transfer>"),),),
    )
    rendered = render_reply(reply)
    assert rendered.html.startswith("&lt;script&gt;&amp;\n\n/subscribe — ")
    assert "/subscribe &lt;chain&gt; &lt;address&gt;" in rendered.html
    assert rendered.keyboard is not None
    assert rendered.keyboard.inline_keyboard == (
        (InlineKeyboardButton("#3 <Transfer>", callback_data="sub:show:3"),),
    )


def test_plural_counts_and_link_choices_render() -> None:
    reply = Reply(
        text("bot.list.title", count=2),
        choices=((LinkChoice(text("bot.plain", text="Docs"), "https://example.com"),),),
        language="ru",
    )
    rendered = render_reply(reply)
    assert (
        rendered.html
        == translate("ru", "bot.list.title", count=2)
        != translate("ru", "bot.list.title", count=5)
    )
    assert rendered.keyboard is not None
    assert rendered.keyboard.inline_keyboard[0][0].url == "https://example.com"


@given(st.lists(st.text(min_size=1, max_size=3000), min_size=1, max_size=6))
def test_any_reply_fits_one_message_and_is_valid_html(paragraphs: list[str]) -> None:
    reply = Reply(
        text("bot.plain", text=paragraphs[0]),
        extra=tuple(text("bot.plain", text=p) for p in paragraphs[1:]),
    )
    html = render_reply(reply).html
    assert visible_length(html) <= MAX_MESSAGE_CHARS
    visible_text(html, "HTML")  # raises on a broken tag or entity


def test_long_lists_keep_whole_lines_and_say_there_is_more() -> None:
    lines = [f"#{n} Transfer on mainnet" for n in range(400)]
    html = cap_html(lines)
    assert html.endswith("\n\n…")
    assert html.split("\n\n")[-2] in lines
    assert visible_length(html) <= MAX_MESSAGE_CHARS


def test_a_parameter_is_filled_in_once_even_if_it_looks_like_a_slot() -> None:
    sneaky = "\ue0001\ue001"
    reply = Reply(text("bot.sub.detail", id=1, chain=sneaky, address="<a>", event="E", filter="-"))
    html = render_reply(reply).html
    assert sneaky in html and "&lt;a&gt;" in html


def test_commands_and_tokens() -> None:
    assert parse_command("/subscribe@blockbell_bot mainnet 0xA0 Transfer") == (
        "subscribe",
        "mainnet 0xA0 Transfer",
    )
    assert parse_command("/LIST") == ("list", "")
    assert redact_token("GET /bot1:abc/getMe and abc", "1:abc") == (
        "GET /bot[redacted]/getMe and [redacted]"
    )
