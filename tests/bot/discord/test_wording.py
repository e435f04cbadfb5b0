"""The core's messages in Discord's words: each Discord wording takes the same parameters,
in every language, so any reply the core makes can be shown in it."""

from __future__ import annotations

import pytest

from bot.core.replies import Reply, text
from bot.discord.render import render_reply
from bot.discord.wording import DISCORD_WORDING
from locales import SUPPORTED_LANGUAGES, messages, placeholders


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_discord_wording_takes_the_core_messages_parameters(language: str) -> None:
    catalog = messages(language)
    for core_key, discord_key in DISCORD_WORDING.items():
        core, discord = catalog[core_key], catalog[discord_key]
        assert len(core) == len(discord), f"{discord_key}: plural forms differ"
        for core_text, discord_text in zip(core, discord, strict=True):
            assert placeholders(core_text) == placeholders(discord_text), discord_key


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_no_discord_wording_asks_for_a_file(language: str) -> None:
    catalog = messages(language)
    for discord_key in DISCORD_WORDING.values():
        assert all(".json" not in text for text in catalog[discord_key]), discord_key


def test_a_webhooks_usage_names_the_option_discord_asks_for() -> None:
    reply = Reply(text("bot.dest.title"), extra=(text("bot.dest.how_to_add"),))
    assert "/webhook url:https://example.com/hooks" in render_reply(reply, True).content
