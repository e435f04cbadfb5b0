"""Blockbell end to end as Discord users meet it: `blockbell run` with the bot on a fake Discord's
gateway, an admin subscribing a server channel with `/subscribe` and its options, a member their
DMs step by step (the address typed into a modal), real ERC-20 transfers on anvil, and the
notification embeds where they were asked for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from locales import translate
from storage.db import close_database
from tests.fakes.discord_api import FakeDiscord, FakeMessage, InteractionRecord
from tests.fakes.discord_interactions import submit_modal
from tests.support.anvil import AnvilNode
from tests.support.discord_guild import ADMIN, ALERTS, GENERAL, GUILD, MEMBER
from tests.support.secret_watch import secret
from tests.support.service import ServiceProcess, service_env, write_chain_config
from tests.support.token import Token

TOKEN = secret("MTEwMDAwMDAwMDAwMDAwMDAwMQ.e2e.discord-bot-token")
RECIPIENT = "0x" + "3c" * 20
SERVICE_START_S = 30.0
ANSWER_S = 15.0
NOTIFICATION_S = 20.0


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord.start(TOKEN, guilds=[GUILD])
    yield server
    await server.stop()


async def test_an_admin_subscribes_a_channel_a_member_their_dms_and_transfers_arrive(
    db: str, tmp_path: Path, anvil: AnvilNode, fake: FakeDiscord
) -> None:
    await close_database()  # the service process owns the database from here
    token = await Token.deploy(anvil)
    config = write_chain_config(tmp_path / "blockbell.toml", anvil.url, anvil.ws_url)
    env = service_env(  # no Telegram token: only the Discord bot runs
        db,
        config,
        DISCORD_BOT_TOKEN=TOKEN,
        DISCORD_API_URL=f"{fake.url}/api/v10",
        DISCORD_GATEWAY_URL=fake.ws_url,
        TELEGRAM_BOT_TOKEN="",
    )
    service = ServiceProcess(env, tmp_path / "service.log")
    await service.start()
    try:
        await until(lambda: bot_is_connected(fake), SERVICE_START_S)
        transfer = {"chain": "anvil", "address": token.address, "event": "Transfer"}

        # The admin, in #general, subscribes #alerts.
        record = await fake.slash(
            ADMIN, "subscribe", transfer | {"channel": ALERTS}, channel_id=GENERAL
        )
        assert subscribed(await answer(fake, record), "#1")
        before = len(fake.messages(ALERTS))
        await token.transfer(RECIPIENT, 1234 * 10**18 + 5 * 10**17)
        await until(lambda: len(fake.messages(ALERTS)) > before, NOTIFICATION_S)
        assert_transfer_embed(fake.messages(ALERTS)[-1], "1,234.5 BBT")

        # A member without rights subscribes their DMs from the server, step by step.
        record = await fake.slash(MEMBER, "subscribe", {"dm": True}, channel_id=GENERAL)
        assert subscribed(await dm_wizard(fake, await answer(fake, record), token.address), "#2")
        before = len(fake.dms(MEMBER))
        await token.transfer(RECIPIENT, 7 * 10**18)
        await until(lambda: len(fake.dms(MEMBER)) > before, NOTIFICATION_S)
        assert_transfer_embed(fake.dms(MEMBER)[-1], "7 BBT")
    finally:
        assert await service.stop() == 0, service.log()


def bot_is_connected(fake: FakeDiscord) -> bool:
    """The bot published its commands and holds a gateway session."""
    sessions = fake.gateway.sessions.values()
    return bool(fake.commands("global")) and any(s.socket is not None for s in sessions)


async def until(predicate: Callable[[], bool], timeout_s: float) -> None:
    """Polls: a gateway IDENTIFY changes nothing the fake announces to `wait_until`."""
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.05)


async def answer(fake: FakeDiscord, record: InteractionRecord) -> FakeMessage:
    """The last message the user sees in answer, once it no longer says "thinking"."""

    def shown() -> bool:
        responses = fake.interaction_responses(record.id)
        return bool(responses) and not responses[-1].loading

    await until(shown, ANSWER_S)
    return fake.interaction_responses(record.id)[-1]


async def dm_wizard(fake: FakeDiscord, asked: FakeMessage, address: str) -> FakeMessage:
    """The member's wizard for their DMs, shown in the server: the address typed into the
    modal its button opens, the Transfer event chosen, no filter, confirmed."""
    assert asked.content == translate("en", "dc.wizard.ask_address", chain="anvil")
    opened = await fake.press(MEMBER, asked.id, component(asked, "Type the address"))
    await until(lambda: opened.modal is not None, ANSWER_S)
    shown = await after(fake, asked, submit_modal(fake, MEMBER, opened, {"answer": address}))
    select = next(c for row in shown.components for c in row["components"] if c.get("options"))
    transfer = [o["value"] for o in select["options"] if o["label"] == "Transfer"]
    shown = await after(fake, shown, fake.press(MEMBER, shown.id, select["custom_id"], transfer))
    for label in ("Done", "No filter", "Subscribe"):
        shown = await after(fake, shown, fake.press(MEMBER, shown.id, component(shown, label)))
    return shown


def component(message: FakeMessage, label: str) -> str:
    """The custom id of the component labelled with `label` (it acts for the member's DMs)."""
    for row in message.components:
        for item in row["components"]:
            if label in str(item.get("label", "")):
                assert str(item["custom_id"]).startswith("@dm|")
                return str(item["custom_id"])
    raise AssertionError(f"no {label!r} in {message.components}")


async def after(
    fake: FakeDiscord, shown: FakeMessage, acting: Coroutine[Any, Any, InteractionRecord]
) -> FakeMessage:
    """What the member sees once `acting` (a press or a modal on `shown`) changed it."""
    was = (shown.content, repr(shown.components))
    record = await acting

    def changed() -> bool:
        responses = fake.interaction_responses(record.id)
        return bool(responses) and (responses[-1].content, repr(responses[-1].components)) != was

    await until(changed, ANSWER_S)
    return fake.interaction_responses(record.id)[-1]


def subscribed(message: FakeMessage, ids: str) -> bool:
    return translate("en", "bot.wizard.created", count=1, ids=ids) in message.content


def assert_transfer_embed(message: FakeMessage, amount: str) -> None:
    [embed] = message.embeds
    assert embed["title"] == "Transfer"
    assert any(amount in field["value"] for field in embed["fields"]), embed["fields"]
    assert embed["url"].startswith("https://explorer.test/tx/0x")
    assert "https://explorer.test/block/" in embed["description"]
