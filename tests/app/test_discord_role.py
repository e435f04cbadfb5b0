"""The Discord bot role when Discord refuses the token: it says so once and turns itself off."""

from __future__ import annotations

import pytest

from app.discord_role import run_discord_bot
from app.settings import Settings
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_client import discord_pointed_at
from tests.support.logs import service_logging
from tests.support.secret_watch import secret

GOOD_TOKEN = secret("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.the-token-discord-knows")
REFUSED_TOKEN = secret("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.a-token-discord-refuses")
OFF = "Discord refused DISCORD_BOT_TOKEN: the Discord bot is off"


async def test_a_refused_token_turns_the_bot_off_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    discord = await FakeDiscord.start(GOOD_TOKEN)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", REFUSED_TOKEN)
    monkeypatch.setenv("DISCORD_API_URL", f"{discord.url}/api/v10")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", discord.ws_url)
    try:
        # discord_pointed_at only puts discord.py's settings back for the other tests.
        with discord_pointed_at(discord), service_logging(REFUSED_TOKEN):
            await run_discord_bot(Settings(), [])  # returns: the bot is off
    finally:
        await discord.stop()
    logged = capfd.readouterr().err
    assert logged.count(OFF) == 1
    assert "a-token-discord-refuses" not in logged
    assert discord.commands() == []
