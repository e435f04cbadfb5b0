"""Blockbell end to end on a Cosmos chain as a Telegram user meets it: `blockbell run` watching a
CometBFT node (the fake one, serving real SDK transactions), a subscription made by tapping the
bot's buttons, a bank transfer, and the notification with its amount in display units."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from locales import translate
from storage.db import close_database
from tests.fakes.cometbft_rpc import FakeCometBft
from tests.fakes.telegram_chat import ChatTelegram, Person
from tests.support.cosmos_chain import CosmosChain, transfer
from tests.support.secret_watch import secret
from tests.support.service import ServiceProcess, service_env

TOKEN = secret("4343:e2e-token-of-the-cosmos-bot")
CHAT = 7101
SERVICE_START_S = 30.0
NOTIFICATION_S = 30.0


def write_cosmos_config(path: Path, rpc_url: str) -> Path:
    path.write_text(
        "\n".join(
            [
                "[chains.hub]",
                'family = "cosmos"',
                'chain_id = "blockbell-1"',
                f'rpc_urls = ["{rpc_url}"]',
                'bech32_prefix = "cosmos"',
                'denoms = [{ base = "uatom", display = "ATOM", exponent = 6 }]',
                "poll_interval = 0.2",
                'explorer_url = "https://explorer.test/hub"',
            ]
        )
        + "\n"
    )
    return path


@pytest.fixture
async def node() -> AsyncIterator[FakeCometBft]:
    fake = await FakeCometBft.start(CosmosChain("blockbell-1"))
    yield fake
    await fake.stop()


async def test_a_user_subscribes_to_transfers_to_an_address_and_sees_the_amount_in_atom(
    db: str, tmp_path: Path, node: FakeCometBft
) -> None:
    await close_database()  # the service process owns the database from here
    alice, bob = node.chain.account("alice"), node.chain.account("bob")
    config = write_cosmos_config(tmp_path / "blockbell.toml", node.url)
    telegram = await ChatTelegram.open(TOKEN)
    env = service_env(db, config, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url)
    service = ServiceProcess(env, tmp_path / "service.log")
    await service.start()
    try:
        await telegram.wait_until(lambda: "getUpdates" in telegram.calls, SERVICE_START_S)
        me = Person(telegram, CHAT, CHAT, "en")
        await me.say("/start")
        asked = await me.tap(translate("en", "bot.choice.subscribe"))
        assert asked.text == translate("en", "bot.cosmos.ask_kind", chain="hub")
        await me.tap(translate("en", "bot.cosmos.kind.received"))
        await me.say(bob)
        await me.tap(translate("en", "bot.choice.no_filter"))
        created = await me.tap(translate("en", "bot.choice.confirm"))
        assert translate("en", "bot.wizard.created", count=1, ids="#1") in created.text

        before = len(telegram.messages(CHAT))
        node.mine(transfer(alice, bob, 1_500_000, "uatom"))
        node.mine(transfer(alice, alice, 9, "uatom", sequence=1))  # not to bob: nothing

        await telegram.wait_for_messages(CHAT, before + 1, NOTIFICATION_S)
        notification = telegram.last(CHAT)
        assert "transfer" in notification.text
        assert "1.5 ATOM" in notification.text
        assert "1500000uatom" not in notification.text
        links = dict(notification.buttons())
        assert links[translate("en", "notify.button_explorer")].startswith(
            "https://explorer.test/hub/tx/"
        )
    finally:
        assert await service.stop() == 0, (tmp_path / "service.log").read_text()
        await telegram.stop()
    assert len(telegram.messages(CHAT)) == before + 1
