"""What the chain said of a token is kept with the contract a subscription is made for."""

from __future__ import annotations

import pytest

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import ContractInfo
from storage.models import Contract, Subscription
from tests.bot.core.conftest import NFT, PLAIN, Clock, FakeChainLookup, action, person, render

BBT = "0x8464135c8F25Da09e49BC8782676a84730C318bC"
LONG_SYMBOL = "B" * 40


@pytest.fixture
def lookup() -> FakeChainLookup:
    return FakeChainLookup(
        contracts={
            ("mainnet", BBT.lower()): ContractInfo(True, "erc20", "Blockbell Token", "BBT", 18),
            ("mainnet", PLAIN.lower()): ContractInfo(True, "erc20", "Long", LONG_SYMBOL, 6),
            ("mainnet", NFT.lower()): ContractInfo(True, "erc721", "Apes", "BAYC", None),
        }
    )


async def token_of(subscription_id: int) -> tuple[str | None, int | None]:
    subscription = await Subscription.get(id=subscription_id).prefetch_related("contract")
    contract: Contract = subscription.contract
    return contract.symbol, contract.decimals


async def subscribe_with_wizard(core: BotCore, clock: Clock, address: str, event: str) -> None:
    me = person()
    reply = await core.command(me, "subscribe", "", clock.tick())
    reply = await core.action(me, action(reply, "mainnet"), clock.tick())
    reply = await core.message(me, address, clock.tick())
    reply = await core.action(me, action(reply, event), clock.tick())
    reply = await core.action(me, action(reply, "Done"), clock.tick())
    reply = await core.action(me, action(reply, "No filter"), clock.tick())
    reply = await core.action(me, action(reply, "Subscribe"), clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)


async def test_the_wizard_keeps_an_erc20_tokens_symbol_and_decimals(
    core: BotCore, clock: Clock
) -> None:
    await subscribe_with_wizard(core, clock, BBT, "Transfer")
    assert await token_of(1) == ("BBT", 18)


async def test_the_one_line_form_keeps_an_erc20_tokens_symbol_and_decimals(
    core: BotCore, clock: Clock
) -> None:
    reply = await core.message(person(), f"subscribe mainnet {BBT} Approval", clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert await token_of(1) == ("BBT", 18)


async def test_an_nft_collection_keeps_no_token_amount_facts(core: BotCore, clock: Clock) -> None:
    await subscribe_with_wizard(core, clock, NFT, "Transfer")
    assert await token_of(1) == (None, None)


async def test_an_event_given_by_signature_keeps_no_token_amount_facts(
    core: BotCore, clock: Clock
) -> None:
    line = f"subscribe mainnet {BBT} Transfer(address indexed from, address indexed to, uint256 v)"
    reply = await core.message(person(), line, clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert await token_of(1) == (None, None)


async def test_a_symbol_longer_than_the_column_is_cut(core: BotCore, clock: Clock) -> None:
    await core.message(person(), f"subscribe mainnet {PLAIN} Transfer", clock.tick())
    assert await token_of(1) == ("B" * 32, 6)


async def test_without_a_chain_answer_the_contract_has_no_token_facts(
    clock: Clock, db: str
) -> None:
    core = BotCore(CoreSettings(chains=("mainnet",), lookup=FakeChainLookup()))
    line = f"subscribe mainnet {BBT} Transfer(address indexed from, address indexed to, uint256 v)"
    await core.message(person(), line, clock.tick())
    assert await token_of(1) == (None, None)
