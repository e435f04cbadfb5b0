"""The Discord bot over the fake Discord: a test server with an admin and a member, the real
discord.py client over the real core and database, and what its users see in answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import ContractInfo
from bot.discord.app import BlockbellClient
from tests.bot.core.conftest import FakeChainLookup, lookup_with_tokens
from tests.fakes.discord_api import FakeDiscord, FakeMessage, InteractionRecord
from tests.fakes.discord_client import discord_pointed_at, running_client
from tests.fakes.discord_interactions import submit_modal
from tests.support.discord_guild import ALERTS, GENERAL, GUILD, GUILD_ID
from tests.support.secret_watch import secret

TOKEN = secret("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.bot-over-fake-token")
APP_ID = 1_100_000_000_000_000_001
# The channel the tests talk in, and another one of the same server.
CHANNEL, OTHER = ALERTS, GENERAL


@dataclass
class SlowLookup(FakeChainLookup):
    """The chain port of tests/bot/core, answering after `delay_s` like a slow node."""

    delay_s: float = 0.0
    failure: Exception | None = None

    async def fetch_contract_info(self, chain: str, address: str) -> ContractInfo | None:
        await asyncio.sleep(self.delay_s)
        if self.failure is not None:
            raise self.failure
        return await super().fetch_contract_info(chain, address)


# The fake sends every guild at once: READY need not wait long for more.
GUILDS_ARRIVED_S = 0.05


@pytest.fixture
def lookup() -> SlowLookup:
    """The tokens and plain contracts of tests/bot/core's chain port."""
    return SlowLookup(contracts=lookup_with_tokens().contracts)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord.start(TOKEN, application_id=APP_ID, guilds=[GUILD])
    yield server
    await server.stop()


@pytest.fixture
async def bot(db: str, fake: FakeDiscord, lookup: SlowLookup) -> AsyncIterator[BlockbellClient]:
    core = BotCore(CoreSettings(chains=("mainnet", "base"), lookup=lookup))
    with discord_pointed_at(fake):
        async with running_client(
            BlockbellClient(core, GUILD_ID, guild_ready_timeout_s=GUILDS_ARRIVED_S), TOKEN
        ) as client:
            assert isinstance(client, BlockbellClient)
            yield client


async def answer(fake: FakeDiscord, record: InteractionRecord) -> FakeMessage:
    """The last message the user sees in answer, once it no longer says "thinking"."""

    def shown() -> bool:
        responses = fake.interaction_responses(record.id)
        return bool(responses) and not responses[-1].loading

    await fake.wait_until(shown)
    return fake.interaction_responses(record.id)[-1]


def custom_ids(message: FakeMessage) -> list[str]:
    return [
        str(component["custom_id"])
        for row in message.components
        for component in row.get("components") or []
        if "custom_id" in component
    ]


def labelled(message: FakeMessage, label: str) -> str:
    """The custom id of the component of `message` whose label contains `label`."""
    for row in message.components:
        for component in row.get("components") or []:
            if label in str(component.get("label", "")) and "custom_id" in component:
                return str(component["custom_id"])
    raise AssertionError(f"no component {label!r} in {message.components}")


def looks(message: FakeMessage) -> tuple[str, str]:
    return message.content, repr(message.components)


async def changed(
    fake: FakeDiscord, record: InteractionRecord, was: tuple[str, str]
) -> FakeMessage:
    """What the user sees once the answer to `record` no longer looks as `was` (an answer
    that edits the message in place shows it at once, still unchanged, while the bot
    works)."""

    def shown() -> bool:
        responses = fake.interaction_responses(record.id)
        return bool(responses) and (responses[-1].content, repr(responses[-1].components)) != was

    await fake.wait_until(shown)
    return fake.interaction_responses(record.id)[-1]


async def press_as(
    fake: FakeDiscord,
    user_id: int,
    shown: FakeMessage,
    custom_id: str,
    values: list[str] | None = None,
    locale: str = "en-US",
) -> FakeMessage:
    """The user uses a component of `shown` and sees the answer."""
    was = looks(shown)
    record = await fake.press(user_id, shown.id, custom_id, values, locale=locale)
    return await changed(fake, record, was)


async def open_modal(
    fake: FakeDiscord, user_id: int, shown: FakeMessage, label: str, locale: str = "en-US"
) -> InteractionRecord:
    """The user presses the button labelled `label` and the bot answers with a modal."""
    record = await fake.press(user_id, shown.id, labelled(shown, label), locale=locale)
    await fake.answered(record)
    assert record.modal is not None, fake.interaction_responses(record.id)
    return record


async def submit(
    fake: FakeDiscord,
    user_id: int,
    opened: InteractionRecord,
    shown: FakeMessage,
    typed: str,
    locale: str = "en-US",
) -> FakeMessage:
    """The user types `typed` into the modal `opened` and submits it; the answer replaces
    `shown`, the message the modal was opened from."""
    was = looks(shown)
    record = await submit_modal(fake, user_id, opened, {"answer": typed}, locale=locale)
    answered = await changed(fake, record, was)
    assert record.refusals == []
    return answered
