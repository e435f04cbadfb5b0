"""Several watcher processes over one PostgreSQL: one crawls the chain at a time; when it dies or
stalls, another takes over within the lease's TTL plus one poll, and nothing is lost or recorded
twice."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from functools import partial
from pathlib import Path

import pytest

from storage.models import ChainCursor, Delivery, Event, Lease
from tests.support.anvil import AnvilNode
from tests.support.builders import TRANSFER_TOPIC, make_subscription
from tests.support.service import ServiceProcess, service_env, write_chain_config
from tests.support.token import TOKEN_ABI, Token
from tests.support.watching import canonical_logs, wait_until

RECIPIENT = "0x" + "2b" * 20
LEASE_TTL_S = 1.0
POLL_S = 0.1
# A standby tries every min(poll_interval, TTL / 2); the rest is process scheduling and queries
# on a shared 2-core machine, where other work may slow any process for a while.
TAKEOVER_BOUND_S = LEASE_TTL_S + POLL_S + 2.5
HANDOVERS = 10


class Watchers:
    """Three `blockbell run --roles watcher` processes, each found by the pid in its lease."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.by_pid: dict[int, ServiceProcess] = {}
        self.started = 0

    async def start_one(self) -> None:
        self.started += 1
        log_path = self.folder / f"watcher-{self.started}.log"
        service = ServiceProcess(self.env, log_path, roles="watcher")
        await service.start()
        assert service.process is not None
        self.by_pid[service.process.pid] = service

    async def leader(self) -> tuple[int, ServiceProcess]:
        lease = await Lease.get(name="chain:anvil")
        return lease.token, self.by_pid[int(lease.holder.split(":")[1])]

    async def stop_all(self) -> None:
        for service in self.by_pid.values():
            if service.process is not None and service.process.returncode is None:
                service.process.send_signal(signal.SIGCONT)
                await service.stop()


async def lease_token() -> int:
    lease = await Lease.get_or_none(name="chain:anvil")
    return 0 if lease is None else lease.token


@pytest.mark.parametrize("backend", ["postgres"])
async def test_killed_or_stalled_leaders_hand_the_chain_over_and_nothing_is_lost_or_repeated(
    db: str, tmp_path: Path, anvil: AnvilNode
) -> None:
    token = await Token.deploy(anvil)
    await make_subscription(address=token.address, abi=TOKEN_ABI, selector=TRANSFER_TOPIC)
    config = write_chain_config(
        tmp_path / "blockbell.toml", anvil.url, None, poll_interval=POLL_S, start_block=1
    )
    env = service_env(db, config, BLOCKBELL_LEASE_TTL=str(LEASE_TTL_S))
    watchers = Watchers(env, tmp_path)
    cursor_tokens: list[int] = []
    streaming = True

    async def stream() -> None:
        value = 0
        while streaming:
            value += 1
            await token.transfer(RECIPIENT, value)
            await asyncio.sleep(0.05)

    async def sample_cursor_tokens() -> None:
        while True:
            cursor = await ChainCursor.get_or_none(chain="anvil")
            if cursor is not None:
                cursor_tokens.append(cursor.lease_token)
            await asyncio.sleep(0.02)

    for _ in range(3):
        await watchers.start_one()
    transfers = asyncio.create_task(stream())
    sampler = asyncio.create_task(sample_cursor_tokens())
    takeovers: list[float] = []
    try:
        await wait_until(lambda: _cursor_under_lease(), timeout_s=30)
        for handover in range(HANDOVERS):
            old_token, leader = await watchers.leader()
            assert leader.process is not None
            stall = handover % 2 == 1
            began = time.monotonic()
            leader.process.send_signal(signal.SIGSTOP if stall else signal.SIGKILL)
            await wait_until(partial(_token_above, old_token), timeout_s=10)
            takeovers.append(time.monotonic() - began)
            # A leader stopped inside a transaction holds its locks until the server ends the
            # idle session (storage.db.IDLE_IN_TRANSACTION_TIMEOUT_MS).
            await wait_until(partial(_cursor_written_under, old_token + 1), timeout_s=20)
            if stall:
                leader.process.send_signal(signal.SIGCONT)
                await wait_until(partial(_says, leader, "lost the lease chain:anvil"), timeout_s=10)
            else:
                await leader.process.wait()
                del watchers.by_pid[leader.process.pid]
                await watchers.start_one()
        streaming = False
        await transfers
        head = await anvil.block_number()
        await wait_until(lambda: _cursor_at(head), timeout_s=30)
        await asyncio.sleep(0.1)  # a last sample of the cursor's token
        # Read before the processes stop: a leader stopping gives its lease up to a standby.
        final_token = await lease_token()
    finally:
        streaming = False
        sampler.cancel()
        await asyncio.gather(transfers, sampler, return_exceptions=True)
        await watchers.stop_all()

    assert max(takeovers) <= TAKEOVER_BOUND_S, takeovers
    assert cursor_tokens == sorted(cursor_tokens), "the cursor moved under an older lease"
    assert cursor_tokens[-1] == final_token >= HANDOVERS + 1
    events = await Event.all()
    keys = {(e.block_hash, e.transaction_hash, e.log_index) for e in events}
    assert len(events) == len(keys)
    assert keys == await canonical_logs(anvil, token.address, head)
    per_event = Counter(str(d.event_id) for d in await Delivery.all())  # type: ignore[attr-defined]
    assert set(per_event.values()) == {1} and len(per_event) == len(events)


async def _cursor_under_lease() -> bool:
    cursor = await ChainCursor.get_or_none(chain="anvil")
    return cursor is not None and cursor.lease_token > 0


async def _token_above(token: int) -> bool:
    return await lease_token() > token


async def _cursor_written_under(token: int) -> bool:
    cursor = await ChainCursor.get_or_none(chain="anvil")
    return cursor is not None and cursor.lease_token >= token


async def _cursor_at(block: int) -> bool:
    cursor = await ChainCursor.get_or_none(chain="anvil")
    return cursor is not None and cursor.block_number >= block


def _says(service: ServiceProcess, text: str) -> bool:
    return text in service.log()
