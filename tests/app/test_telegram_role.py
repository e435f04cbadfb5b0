"""The Telegram bot role when Telegram refuses the token: it says so once and turns itself off."""

from __future__ import annotations

import pytest

from app.settings import Settings
from app.telegram_role import run_telegram_bot
from tests.fakes.telegram_chat import ChatTelegram
from tests.support.logs import service_logging
from tests.support.secret_watch import secret

GOOD_TOKEN = secret("1111:the-token-telegram-knows")
REFUSED_TOKEN = secret("2222:a-token-telegram-refuses")


async def test_a_refused_token_turns_the_bot_off_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    telegram = await ChatTelegram.open(GOOD_TOKEN)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", REFUSED_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", telegram.url)
    try:
        with service_logging(REFUSED_TOKEN):
            await run_telegram_bot(Settings(), [])  # returns: the bot is off
    finally:
        await telegram.stop()
    logged = capfd.readouterr().err
    assert "Telegram refused TELEGRAM_BOT_TOKEN: the Telegram bot is off" in logged
    assert "a-token-telegram-refuses" not in logged
