"""The crawl loop against a real anvil node: head following, catch-up, reorgs, halting."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from storage.models import ChainCursor, Delivery, Event
from tests.support.anvil import AnvilNode
from tests.support.builders import make_subscription, subscribe_transfers_by_webhook
from tests.support.token import TOKEN_ABI, Token, calldata
from tests.support.watching import (
    anvil_spec,
    canonical_logs,
    cursor_at_least,
    running_watcher,
    stored_logs,
    wait_until,
)

RECIPIENT = "0x" + "22" * 20


async def subscribe_transfers(token: Token, filter_expr: str = "") -> None:
    await make_subscription(address=token.address, abi=TOKEN_ABI, filter_expr=filter_expr)


async def test_follows_the_head_and_records_each_transfer_once(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    await subscribe_transfers(token)
    async with running_watcher(anvil_spec(anvil.url)) as running:
        for value in range(1, 6):
            await token.transfer(RECIPIENT, value)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head))
        assert running.commits >= 1

    assert await stored_logs() == await canonical_logs(anvil, token.address, head)
    assert await Delivery.filter(status="pending").count() == 6
    values = sorted(int(e.args["value"]) for e in await Event.filter(args__not={}).all())
    assert values[:5] == [1, 2, 3, 4, 5]


async def test_a_subscription_made_while_the_watcher_waits_matches_the_next_block(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    async with running_watcher(anvil_spec(anvil.url, poll_interval_s=0.5)):
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head))
        # Made the way the CLI and the bots make it, while the watcher sleeps before a poll.
        await subscribe_transfers_by_webhook(token.address, TOKEN_ABI)
        await token.transfer(RECIPIENT, 7)
        await wait_until(lambda: cursor_at_least("anvil", head + 1))
    assert [int(e.args["value"]) for e in await Event.all()] == [7]


async def test_filters_decide_which_transfers_are_delivered(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    await subscribe_transfers(token, "value >= 3 and to == " + RECIPIENT)
    async with running_watcher(anvil_spec(anvil.url)):
        for value in range(1, 6):
            await token.transfer(RECIPIENT, value)
        await token.transfer("0x" + "33" * 20, 100)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head))
    values = sorted(int(e.args["value"]) for e in await Event.all())
    assert values == [3, 4, 5]


def stored_steps_sample(sample: str) -> float:
    """The watcher's store-time histogram for the test chain: its count or its sum."""
    value = REGISTRY.get_sample_value(
        f"blockbell_watcher_store_seconds_{sample}", {"chain": "anvil"}
    )
    return value or 0.0


async def test_the_time_spent_storing_each_step_is_exported(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    await subscribe_transfers(token)
    steps, seconds = stored_steps_sample("count"), stored_steps_sample("sum")
    for value in range(1, 4):
        await token.transfer(RECIPIENT, value)
    head = await anvil.block_number()
    async with running_watcher(anvil_spec(anvil.url)) as running:
        await wait_until(lambda: cursor_at_least("anvil", head))
    assert stored_steps_sample("count") - steps >= running.commits >= 1
    assert stored_steps_sample("sum") > seconds


async def test_catches_up_over_ranges_after_a_long_gap(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    await subscribe_transfers(token)
    for value in range(1, 21):
        await token.transfer(RECIPIENT, value)
        await anvil.mine(25)
    head = await anvil.block_number()
    async with running_watcher(anvil_spec(anvil.url, max_block_range=64)):
        await wait_until(lambda: cursor_at_least("anvil", head))
    assert await stored_logs() == await canonical_logs(anvil, token.address, head)


@pytest.mark.parametrize("depth", [1, 5, 20])
async def test_a_reorg_at_the_head_reverts_orphaned_events_and_records_the_new_ones(
    db: str, anvil: AnvilNode, token: Token, depth: int
) -> None:
    await subscribe_transfers(token)
    async with running_watcher(anvil_spec(anvil.url)) as running:
        for value in range(1, depth + 3):
            await token.transfer(RECIPIENT, value)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head))
        orphaned_before = await canonical_logs(anvil, token.address, head)

        replacement = {
            "from": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
            "to": token.address,
            "data": calldata("transfer(address,uint256)", ["address", "uint256"], [RECIPIENT, 777]),
            "gas": hex(200_000),
        }
        await anvil.reorg(depth, [(replacement, 0)])
        await anvil.mine(1)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head))
        canonical = await canonical_logs(anvil, token.address, head)
        await wait_until(lambda: _stored_equals(canonical))
        assert running.status.halted is None

    reverted = await stored_logs("reverted")
    assert reverted == orphaned_before - canonical
    assert len(reverted) == depth
    cancelled = await Delivery.filter(status="cancelled").count()
    assert cancelled == depth
    assert any(e.args.get("value") == "777" for e in await Event.filter(status="active"))


async def test_a_reorg_shallower_than_the_confirmations_is_never_seen(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    await subscribe_transfers(token)
    async with running_watcher(anvil_spec(anvil.url, confirmations=8)):
        for value in range(1, 6):
            await token.transfer(RECIPIENT, value)
        await anvil.reorg(5, [])
        await anvil.mine(10)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head - 8))
    assert await Event.filter(status="reverted").count() == 0
    assert await stored_logs() == await canonical_logs(anvil, token.address, head - 8)


async def test_a_reorg_deeper_than_allowed_halts_the_chain(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    await subscribe_transfers(token)
    async with running_watcher(anvil_spec(anvil.url, max_reorg_depth=4)) as running:
        for value in range(1, 10):
            await token.transfer(RECIPIENT, value)
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head))
        await anvil.reorg(8, [])
        await wait_until(lambda: running.status.halted is not None)
        assert running.task.done()

    cursor = await ChainCursor.get(chain="anvil")
    assert cursor.halted_reason and "deeper than 4" in cursor.halted_reason
    assert await Event.filter(status="reverted").count() == 0


async def _stored_equals(expected: set[tuple[str, str, int]]) -> bool:
    return await stored_logs() == expected
