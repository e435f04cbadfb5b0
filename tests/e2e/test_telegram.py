"""Blockbell end to end as a Telegram user meets it: `blockbell run` with the bot polling a fake
Bot API, a subscription made by pressing the bot's buttons, a real ERC-20 transfer on anvil,
and the notification in the same chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from locales import translate
from storage.db import close_database
from tests.fakes.telegram_chat import ChatTelegram, Person
from tests.support.anvil import DEV_ACCOUNT, AnvilNode
from tests.support.secret_watch import secret
from tests.support.service import ServiceProcess, service_env, write_chain_config
from tests.support.token import Token

TOKEN = secret("4242:e2e-token-of-the-test-bot")
CHAT = 7001
RECIPIENT = "0x" + "3c" * 20
SERVICE_START_S = 30.0
NOTIFICATION_S = 20.0


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_user_subscribes_by_tapping_and_the_transfer_arrives_in_the_chat(
    db: str, tmp_path: Path, anvil: AnvilNode, language: str
) -> None:
    await close_database()  # the service process owns the database from here
    token = await Token.deploy(anvil)
    config = write_chain_config(tmp_path / "blockbell.toml", anvil.url, anvil.ws_url)
    telegram = await ChatTelegram.open(TOKEN)
    env = service_env(db, config, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url)
    service = ServiceProcess(env, tmp_path / "service.log")
    await service.start()
    try:
        await telegram.wait_until(lambda: "getUpdates" in telegram.calls, SERVICE_START_S)
        me = Person(telegram, CHAT, CHAT, language)
        await subscribe_by_tapping(me, token, language)

        before = len(telegram.messages(CHAT))
        await token.transfer(RECIPIENT, 1234 * 10**18 + 5 * 10**17)

        await telegram.wait_for_messages(CHAT, before + 1, NOTIFICATION_S)
        notification = telegram.last(CHAT)
        assert "Transfer" in notification.text
        assert "1,234.5 BBT" in notification.text
        assert to_checksum_address(DEV_ACCOUNT)[:6] in notification.text
        links = dict(notification.buttons())
        explorer = translate(language, "notify.button_explorer")
        assert links[explorer].startswith("https://explorer.test/tx/0x")
        assert translate(language, "notify.button_mute") in links
    finally:
        assert await service.stop() == 0, (tmp_path / "service.log").read_text()
        await telegram.stop()


async def subscribe_by_tapping(me: Person, token: Token, language: str) -> None:
    """/start, then the wizard by its buttons: the steps a first-time user takes."""

    def label(key: str) -> str:
        return translate(language, key)

    welcome = await me.say("/start")
    assert welcome.text == label("bot.start.welcome")
    await me.tap(label("bot.choice.subscribe"))  # one chain configured: no chain to choose
    detected = await me.say(token.address)
    assert "BBT" in detected.text
    await me.tap("Transfer")
    await me.tap(label("bot.choice.done"))
    await me.tap(label("bot.choice.no_filter"))
    confirmed = await me.tap(label("bot.choice.confirm"))
    assert translate(language, "bot.wizard.created", count=1, ids="#1") in confirmed.text
