"""Blockbell end to end, as a developer uses it: `blockbell subscribe`, `blockbell run`, a real
ERC-20 on anvil, and a webhook receiver that checks every signature."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from eth_utils import to_checksum_address

from storage.db import close_database, open_database
from storage.models import Delivery, Event
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.anvil import DEV_ACCOUNT, AnvilNode
from tests.support.service import ServiceProcess, run_cli, service_env, write_chain_config
from tests.support.token import Token
from tests.support.watching import canonical_logs

RECIPIENT = "0x" + "2b" * 20


async def subscribe(env: dict[str, str], token: Token, receiver: WebhookReceiver) -> int:
    code, out, err = await run_cli(
        env,
        "subscribe",
        "--chain",
        "anvil",
        "--address",
        token.address,
        "--event",
        "Transfer",
        "--standard",
        "erc20",
        "--webhook",
        receiver.url,
        "--json",
    )
    assert code == 0, err
    created = json.loads(out)
    receiver.secret = created["secret"]
    return int(created["subscription_id"])


async def prepared(db: str, tmp_path: Path, anvil: AnvilNode) -> tuple[dict[str, str], Token]:
    """The database the `db` fixture opened is handed to the service: close it here first."""
    await close_database()
    token = await Token.deploy(anvil)
    config = write_chain_config(
        tmp_path / "blockbell.toml", anvil.url, anvil.ws_url, poll_interval=0.1, start_block=1
    )
    return service_env(db, config), token


async def test_a_developer_receives_each_transfer_once_signed_and_decoded(
    db: str, tmp_path: Path, anvil: AnvilNode
) -> None:
    env, token = await prepared(db, tmp_path, anvil)
    receiver = await WebhookReceiver.start()
    subscription_id = await subscribe(env, token, receiver)
    service = ServiceProcess(env, tmp_path / "service.log")
    await service.start()
    try:
        for value in (1, 2, 3):
            await token.transfer(RECIPIENT, value * 10**18)
        await receiver.wait_for_requests(4, timeout_s=30)  # the mint and three transfers
        await asyncio.sleep(0.5)
    finally:
        assert await service.stop() == 0, service.log()
        await receiver.stop()

    bodies = [json.loads(request.body) for request in receiver.requests]
    assert all(request.signature_valid for request in receiver.requests)
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 4
    transfers = sorted(
        (body for body in bodies if body["args"]["from"] != "0x" + "00" * 20),
        key=lambda body: body["block_number"],
    )
    assert [body["args"]["value"] for body in transfers] == [str(v * 10**18) for v in (1, 2, 3)]
    first = transfers[0]
    assert first["type"] == "event" and first["event"] == "Transfer"
    assert first["subscription_id"] == subscription_id
    assert (first["chain"], first["chain_id"]) == ("anvil", 31337)
    assert first["contract"] == to_checksum_address(token.address)
    assert first["args"]["from"] == to_checksum_address(DEV_ACCOUNT)
    assert first["args"]["to"] == to_checksum_address(RECIPIENT)
    assert first["explorer_url"] == "https://explorer.test/tx/" + first["transaction_hash"]


async def test_killing_the_service_repeatedly_loses_and_repeats_nothing(
    db: str, tmp_path: Path, anvil: AnvilNode
) -> None:
    env, token = await prepared(db, tmp_path, anvil)
    receiver = await WebhookReceiver.start()
    await subscribe(env, token, receiver)
    service = ServiceProcess(env, tmp_path / "service.log")
    transfers = 60

    async def stream() -> None:
        for value in range(1, transfers + 1):
            await token.transfer(RECIPIENT, value)
            await asyncio.sleep(0.03)

    await service.start()
    streaming = asyncio.create_task(stream())
    try:
        for _ in range(6):
            await asyncio.sleep(0.6)
            await service.kill()
            await service.start()
        await streaming
        await receiver.wait_for_requests(transfers + 1, timeout_s=60)
        await asyncio.sleep(1.0)
    finally:
        assert await service.stop() == 0, service.log()
        await receiver.stop()

    head = await anvil.block_number()
    await open_database(db)
    events = await Event.all()
    keys = {(e.block_hash, e.transaction_hash, e.log_index) for e in events}
    assert len(events) == len(keys) == transfers + 1
    assert keys == await canonical_logs(anvil, token.address, head)
    deliveries = await Delivery.all()
    assert len(deliveries) == transfers + 1
    assert {d.status for d in deliveries} == {"delivered"}
    received = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert set(received) == {f"msg_{d.id}" for d in deliveries}
    assert all(request.signature_valid for request in receiver.requests)


async def test_an_unreachable_node_degrades_health_without_stopping_the_service(
    tmp_path: Path,
) -> None:
    config = write_chain_config(tmp_path / "blockbell.toml", "http://127.0.0.1:9", None)
    env = service_env(f"sqlite://{tmp_path / 'blockbell.sqlite3'}", config)
    service = ServiceProcess(env, tmp_path / "service.log")
    await service.start()
    try:
        health = await _health_when_reported(env["BLOCKBELL_HTTP_ADDR"])
    finally:
        assert await service.stop() == 0, service.log()
    assert health["status"] == "degraded"
    assert health["chains"]["anvil"]["healthy"] is False
    assert "127.0.0.1:9" in health["chains"]["anvil"]["error"]
    assert "Traceback" not in service.log()


async def _health_when_reported(addr: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://{addr}/health") as response:
                    health: dict[str, Any] = await response.json()
                    if health["chains"]["anvil"]["error"]:
                        assert response.status == 503
                        return health
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the service never reported the unreachable node")
