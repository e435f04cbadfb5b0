"""Chain leases: one holder at a time, a token that grows at each takeover, and writes fenced by
it so that a holder whose lease passed on can no longer write."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from storage.leases import chain_lease_name, give_up_lease, renew_lease, take_lease
from storage.models import ChainCursor, Delivery, Event
from storage.outbox import LeaseLost, Step, commit_step, rollback
from storage.progress import create_progress
from tests.support.builders import block_hash, make_subscription, transfer_match

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = chain_lease_name("anvil")


def step(frm: int, to: int, fence: int) -> Step:
    return Step(
        chain="anvil",
        expected=(frm, block_hash(frm)),
        new=(to, block_hash(to)),
        hashes=[(n, block_hash(n)) for n in range(frm + 1, to + 1)],
        keep_hashes=8,
        fence=fence,
    )


async def test_a_lease_has_one_holder_until_it_expires_and_each_takeover_grows_the_token(
    db: str,
) -> None:
    first = await take_lease(LEASE, "first", ttl_s=0.5)
    assert first is not None and first.token == 1
    assert await take_lease(LEASE, "second", ttl_s=0.5) is None
    assert await renew_lease(first, ttl_s=0.5)

    await asyncio.sleep(0.7)
    second = await take_lease(LEASE, "second", ttl_s=30)

    assert second is not None and second.token == 2
    assert not await renew_lease(first, ttl_s=30)
    assert await take_lease(LEASE, "first", ttl_s=30) is None
    assert await take_lease(chain_lease_name("base"), "first", ttl_s=30) is not None


async def test_a_lease_given_up_is_taken_at_once(db: str) -> None:
    first = await take_lease(LEASE, "first", ttl_s=30)
    assert first is not None
    await give_up_lease(first)

    second = await take_lease(LEASE, "second", ttl_s=30)
    assert second is not None and second.token == first.token + 1


async def test_a_writer_whose_lease_passed_on_writes_nothing(db: str) -> None:
    sub = await make_subscription()
    await create_progress("anvil", 10, block_hash(10))
    old = await take_lease(LEASE, "old", ttl_s=0.2)
    assert old is not None
    matches = [transfer_match(sub, block_number=11, block_hash=block_hash(11))]
    await commit_step(step(10, 11, old.token), matches, NOW)
    await asyncio.sleep(0.4)
    new = await take_lease(LEASE, "new", ttl_s=30)
    assert new is not None

    later = [transfer_match(sub, block_number=12, block_hash=block_hash(12))]
    with pytest.raises(LeaseLost):
        await commit_step(step(11, 12, old.token), later, NOW)
    with pytest.raises(LeaseLost):
        await rollback("anvil", (11, block_hash(11)), (10, block_hash(10)), [], NOW, old.token)

    assert await Event.all().count() == await Delivery.all().count() == 1
    cursor = await ChainCursor.get(chain="anvil")
    assert (cursor.block_number, cursor.lease_token) == (11, old.token)
    await commit_step(step(11, 12, new.token), later, NOW)
    cursor = await ChainCursor.get(chain="anvil")
    assert (cursor.block_number, cursor.lease_token) == (12, new.token)


async def test_a_writer_without_the_lease_ever_taken_is_refused(db: str) -> None:
    await create_progress("anvil", 10, block_hash(10))

    with pytest.raises(LeaseLost):
        await commit_step(step(10, 11, 1), [], NOW)
    unfenced = replace(step(10, 11, 1), fence=None)
    await commit_step(unfenced, [], NOW)
    assert (await ChainCursor.get(chain="anvil")).block_number == 11
