"""The bot core's port to the chains, against a real anvil node and a node that is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from eth_utils import keccak

from bot.chain_lookups import ChainLookups
from bot.core.ports import ContractInfo
from storage.subscriptions import ActiveSubscription
from tests.support.anvil import AnvilNode, free_port
from tests.support.token import TOKEN_ABI, Token
from watcher.lookup import ContractLookup
from watcher.rpc import RpcClient

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
RECIPIENT = "0x" + "b0" * 20


@pytest.fixture
async def lookups(anvil: AnvilNode) -> AsyncIterator[ChainLookups]:
    down = f"http://127.0.0.1:{free_port()}"
    async with (
        RpcClient([anvil.url], chain="anvil") as rpc,
        RpcClient([down], chain="down", attempts=1, timeout_s=1.0) as unreachable,
    ):
        yield ChainLookups({"anvil": ContractLookup(rpc), "down": ContractLookup(unreachable)})


def transfers_of(token: Token) -> list[ActiveSubscription]:
    return [ActiveSubscription(1, 1, token.address, TRANSFER, "Transfer", "", TOKEN_ABI)]


async def test_a_token_is_described_and_its_recent_transfer_found(
    lookups: ChainLookups, token: Token
) -> None:
    await token.transfer(RECIPIENT, 42)

    info = await lookups.fetch_contract_info("anvil", token.address)
    recent = await lookups.fetch_recent_matches("anvil", transfers_of(token))

    assert info == ContractInfo(True, "erc20", "Blockbell Test Token", "BBT", 18)
    assert recent is not None
    newest = recent[0]  # the deployment's mint is a Transfer too, older
    assert (newest.name, newest.args["to"], newest.args["value"]) == ("Transfer", RECIPIENT, "42")


async def test_a_node_that_is_down_or_a_chain_without_lookup_answers_none(
    lookups: ChainLookups, token: Token
) -> None:
    assert await lookups.fetch_contract_info("down", token.address) is None
    assert await lookups.fetch_recent_matches("down", transfers_of(token)) is None
    assert await lookups.fetch_contract_info("elsewhere", token.address) is None
    assert await lookups.fetch_recent_matches("elsewhere", transfers_of(token)) is None
