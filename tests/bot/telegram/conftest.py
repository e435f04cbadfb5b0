"""The Telegram front-end polling a fake Bot API, over a real database and the core."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import ContractInfo
from bot.telegram.app import build_application, start_bot, stop_bot
from tests.bot.core.conftest import FakeChainLookup, lookup_with_tokens
from tests.fakes.telegram_chat import ChatTelegram
from tests.support.secret_watch import secret

TOKEN = secret("123456:SECRET-token-of-the-test-bot")
# A contract whose lookup fails unexpectedly (a broken chain port), to exercise the error path.
BROKEN = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"
# mainnet has an explorer, base has none.
EXPLORER = "https://etherscan.io"
EXPLORERS = {"mainnet": EXPLORER, "base": None}


class ChainLookup(FakeChainLookup):
    async def fetch_contract_info(self, chain: str, address: str) -> ContractInfo | None:
        if address.lower() == BROKEN.lower():
            raise RuntimeError(f"lookup of {address} exploded")
        return await super().fetch_contract_info(chain, address)


@pytest.fixture
def lookup() -> FakeChainLookup:
    return ChainLookup(contracts=lookup_with_tokens().contracts)


@pytest.fixture
async def telegram(db: str, lookup: FakeChainLookup) -> AsyncIterator[ChatTelegram]:
    """The fake Bot API with the bot polling it."""
    fake = await ChatTelegram.open(TOKEN)
    core = BotCore(CoreSettings(chains=("mainnet", "base"), lookup=lookup))
    application = build_application(TOKEN, fake.url, core, EXPLORERS)
    await start_bot(application)
    try:
        yield fake
    finally:
        await stop_bot(application)
        await fake.stop()
