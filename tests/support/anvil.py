"""A real anvil node for tests and benchmarks: start, stop, mine, reorg."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import orjson

ROOT = Path(__file__).resolve().parents[2]

# anvil's first default account (unlocked on the node, so eth_sendTransaction needs no key).
DEV_ACCOUNT = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"


def anvil_binary() -> str:
    configured = os.environ.get("ANVIL_BIN")
    if configured and Path(configured).exists():
        return configured
    found = sorted(ROOT.glob("node_modules/@foundry-rs/anvil-*/bin/anvil"))
    if found:
        return str(found[0])
    raise RuntimeError("anvil is not installed: run `make deps` (npm ci installs it)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AnvilNode:
    """One anvil process on a free loopback port, with a small JSON-RPC client."""

    def __init__(self, *, block_time_s: float | None = None, extra_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self._block_time_s = block_time_s
        self._extra_args = extra_args
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ids = 0

    async def start(self) -> AnvilNode:
        args = [anvil_binary(), "--port", str(self.port), "--silent", "--chain-id", "31337"]
        # Past its in-memory history anvil writes every block's state under
        # ~/.foundry/anvil/tmp and never removes it (2 GB for a catch-up benchmark's chain).
        # Reorgs and reads here stay far within the history it keeps in memory.
        args += ["--max-persisted-states", "0"]
        if self._block_time_s:
            args += ["--block-time", str(self._block_time_s)]
        args += list(self._extra_args)
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._session = aiohttp.ClientSession()
        for _ in range(200):
            try:
                await self.rpc("eth_chainId")
                return self
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(0.05)
        raise RuntimeError("anvil did not start")

    async def stop(self) -> None:
        if self._session:
            await self._session.close()
        if self._process:
            self._process.terminate()
            self._process.wait(timeout=10)

    async def rpc(self, method: str, *params: Any) -> Any:
        assert self._session is not None
        self._ids += 1
        body = {"jsonrpc": "2.0", "id": self._ids, "method": method, "params": list(params)}
        async with self._session.post(
            self.url, data=orjson.dumps(body), headers={"content-type": "application/json"}
        ) as resp:
            answer = orjson.loads(await resp.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    async def block_number(self) -> int:
        return int(await self.rpc("eth_blockNumber"), 16)

    async def mine(self, blocks: int = 1) -> None:
        await self.rpc("anvil_mine", hex(blocks))

    async def set_automine(self, enabled: bool) -> None:
        await self.rpc("evm_setAutomine", enabled)

    async def reorg(
        self, depth: int, transactions: list[tuple[dict[str, Any], int]] | None = None
    ) -> None:
        """Replace the last `depth` blocks; `transactions` are (tx, block offset) to include."""
        await self.rpc("anvil_reorg", depth, transactions or [])

    async def block_hash(self, number: int) -> str:
        block = await self.rpc("eth_getBlockByNumber", hex(number), False)
        return str(block["hash"])

    async def send(
        self, to: str | None, data: str, sender: str = DEV_ACCOUNT, *, gas: int = 30_000_000
    ) -> str:
        tx: dict[str, Any] = {"from": sender, "data": data, "gas": hex(gas)}
        if to:
            tx["to"] = to
        return str(await self.rpc("eth_sendTransaction", tx))

    async def receipt(self, tx_hash: str) -> dict[str, Any]:
        for _ in range(400):
            receipt = await self.rpc("eth_getTransactionReceipt", tx_hash)
            if receipt:
                return dict(receipt)
            await asyncio.sleep(0.025)
        raise RuntimeError(f"no receipt for {tx_hash}")
