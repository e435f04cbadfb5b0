"""Reorgs during a stream of transfers, with the watcher and the notifier running together:
the stored state matches the node, and the receiver gets each event once plus a correction
for every event it was told about that a reorg removed."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from notifier.channels.webhook import WebhookChannel
from notifier.loop import ChainInfo, Notifier
from notifier.webhook_targets import LOCAL_TARGETS
from storage.models import Event
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.anvil import DEV_ACCOUNT, AnvilNode
from tests.support.builders import make_subscription
from tests.support.token import TOKEN_ABI, Token, calldata
from tests.support.watching import (
    anvil_spec,
    canonical_logs,
    cursor_at_least,
    running_watcher,
    stored_logs,
    wait_until,
)

RECIPIENT = "0x" + "2c" * 20


@asynccontextmanager
async def running_notifier() -> AsyncIterator[Notifier]:
    async with aiohttp.ClientSession() as session:
        channel = WebhookChannel(session, targets=LOCAL_TARGETS, timeout_s=5)
        notifier = Notifier({"anvil": ChainInfo(31337, None)}, channel, idle_poll_s=0.05)
        task = asyncio.create_task(notifier.run())
        try:
            yield notifier
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def replacement_transfer(token: Token, value: int) -> dict[str, str]:
    data = calldata("transfer(address,uint256)", ["address", "uint256"], [RECIPIENT, value])
    return {"from": DEV_ACCOUNT, "to": token.address, "data": data, "gas": hex(200_000)}


async def received_by_type(receiver: WebhookReceiver) -> dict[str, Counter[tuple[str, str, int]]]:
    kinds: dict[str, Counter[tuple[str, str, int]]] = {}
    for request in receiver.requests:
        assert request.signature_valid
        body = json.loads(request.body)
        key = (body["block_hash"], body["transaction_hash"], body["log_index"])
        kinds.setdefault(body["type"], Counter())[key] += 1
    return kinds


@pytest.mark.parametrize("depth", [1, 5, 20])
@pytest.mark.parametrize("above_depth", [False, True], ids=["confirmations-0", "above-depth"])
async def test_a_reorg_during_a_stream_is_recorded_and_corrected(
    db: str, anvil: AnvilNode, token: Token, depth: int, above_depth: bool
) -> None:
    confirmations = depth + 2 if above_depth else 0
    receiver = await WebhookReceiver.start()
    await make_subscription(
        address=token.address, abi=TOKEN_ABI, url=receiver.url, secret=receiver.secret
    )
    spec = anvil_spec(anvil.url, confirmations=confirmations)
    async with running_notifier() as notifier, running_watcher(spec) as running:
        running.watcher.on_commit = notifier.wake
        for value in range(1, depth + 6):
            await token.transfer(RECIPIENT, value)
        seen = await anvil.block_number() - confirmations
        await wait_until(lambda: cursor_at_least("anvil", seen))
        await anvil.reorg(depth, [(replacement_transfer(token, 777), 0)])
        for value in range(100, 105):
            await token.transfer(RECIPIENT, value)
        await anvil.mine(confirmations)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head - confirmations))
        canonical = await canonical_logs(anvil, token.address, head - confirmations)
        await wait_until(lambda: _all_delivered(receiver, canonical))
        await asyncio.sleep(0.3)
        assert running.status.halted is None

    assert await stored_logs() == canonical
    reverted = await stored_logs("reverted")
    received = await received_by_type(receiver)
    assert set(received["event"]) >= canonical
    assert all(count == 1 for count in received["event"].values()), "an event was sent twice"
    told_about_reverted = set(received["event"]) - canonical
    assert told_about_reverted <= reverted
    assert Counter(received.get("event.reverted", Counter())) == Counter(told_about_reverted)
    if above_depth:
        assert reverted == set() and "event.reverted" not in received
    else:
        assert len(reverted) == depth
    await receiver.stop()
    assert await Event.filter(status="active").count() == len(canonical)


async def _all_delivered(receiver: WebhookReceiver, canonical: set[tuple[str, str, int]]) -> bool:
    """Every canonical event arrived, and a correction for each removed one that had."""
    received = await received_by_type(receiver)
    sent = set(received.get("event", Counter()))
    corrected = set(received.get("event.reverted", Counter()))
    return canonical <= sent and sent - canonical == corrected
