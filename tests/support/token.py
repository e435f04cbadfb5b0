"""Deploys the test ERC-20 (tests/contracts/Token.sol) on anvil and makes transfers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from tests.support.anvil import DEV_ACCOUNT, AnvilNode

ARTIFACT = json.loads(
    (Path(__file__).resolve().parents[1] / "contracts" / "Token.json").read_text()
)
TOKEN_ABI: list[dict[str, Any]] = ARTIFACT["abi"]
INITIAL_SUPPLY = 10**30


def calldata(signature: str, types: list[str], values: list[Any]) -> str:
    return "0x" + (function_signature_to_4byte_selector(signature) + encode(types, values)).hex()


@dataclass
class Token:
    node: AnvilNode
    address: str

    @classmethod
    async def deploy(cls, node: AnvilNode) -> Token:
        data = ARTIFACT["bytecode"] + encode(["uint256"], [INITIAL_SUPPLY]).hex()
        tx_hash = await node.send(None, data)
        receipt = await node.receipt(tx_hash)
        return cls(node, str(receipt["contractAddress"]).lower())

    async def transfer(
        self, to: str, value: int, sender: str = DEV_ACCOUNT, *, wait: bool = True
    ) -> str:
        """Sends a transfer; with `wait`, returns once its block exists (anvil may answer
        eth_sendTransaction before it has mined the block)."""
        data = calldata("transfer(address,uint256)", ["address", "uint256"], [to, value])
        tx_hash = await self.node.send(self.address, data, sender)
        if wait:
            await self.node.receipt(tx_hash)
        return tx_hash

    async def approve(self, spender: str, value: int) -> str:
        data = calldata("approve(address,uint256)", ["address", "uint256"], [spender, value])
        return await self.node.send(self.address, data)

    async def batch_transfer(
        self, first_to: str, count: int, value: int, *, wait: bool = True, gas: int = 30_000_000
    ) -> str:
        data = calldata(
            "batchTransfer(address,uint256,uint256)",
            ["address", "uint256", "uint256"],
            [first_to, count, value],
        )
        tx_hash = await self.node.send(self.address, data, gas=gas)
        if wait:
            await self.node.receipt(tx_hash)
        return tx_hash
