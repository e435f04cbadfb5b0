"""Reorg handling as a property, against a real anvil node: after any sequence of transfers,
empty blocks and reorgs within the reorg window, the stored chain is the node's chain and the
confirmed deliveries are exactly the node's canonical matching transfers.

One node, one database and one watcher serve every example: each example carries on the chain
the earlier ones left, and the property is checked at the end of each.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from storage.models import ChainCursor, Delivery, Event
from storage.progress import fetch_recent_hashes
from storage.subscriptions import set_owned_subscription_instant
from tests.support.anvil import DEV_ACCOUNT, AnvilNode
from tests.support.builders import Subscribed, make_subscription
from tests.support.token import TOKEN_ABI, Token, calldata
from tests.support.watching import (
    LogKey,
    Running,
    anvil_spec,
    cursor_at_least,
    running_watcher,
    wait_until,
)

CONFIRMATIONS = 2
WINDOW = 6
LARGE = 100
"""The filtered subscription hears of transfers of at least this value only."""
RECIPIENT = "0x" + "22" * 20
SETTLE_TIMEOUT_S = 10.0
GLANCE_S = 0.05
RECENT_BLOCKS = 64
"""More blocks than one example makes: the blocks any reorg of the test can reach."""

# On PostgreSQL only: both backends would double the time.
pytestmark = pytest.mark.parametrize("backend", ["postgres"])


@dataclass(frozen=True)
class Transfer:
    """A transfer in a block of its own."""

    value: int


@dataclass(frozen=True)
class Mine:
    """Empty blocks."""

    blocks: int


@dataclass(frozen=True)
class Reorg:
    """Replace the newest `depth` blocks; each (pick, offset) puts a transfer of the orphaned
    blocks (pick modulo their number) back into a replacement block (offset modulo depth)."""

    depth: int
    reincluded: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Settle:
    """Let the watcher catch up with the node before going on."""


@dataclass(frozen=True)
class Glance:
    """Let the watcher take a step or two, perhaps in the middle of catching up."""


Transfers = dict[LogKey, tuple[int, int]]
"""The node's transfers of the token: (block number, value) by log."""

Operation = Transfer | Mine | Reorg | Settle | Glance

OPERATIONS: st.SearchStrategy[Operation] = st.one_of(
    st.builds(Transfer, st.integers(1, 2 * LARGE)),
    st.builds(Mine, st.integers(1, 3)),
    st.builds(
        Reorg,
        st.integers(1, WINDOW),
        st.lists(st.tuples(st.integers(0, 9), st.integers(0, WINDOW - 1)), max_size=3).map(tuple),
    ),
    st.just(Settle()),
    st.just(Glance()),
)


class Watched:
    """The node, the token, the running watcher and its three subscriptions to the token's
    transfers: every one, the large ones only, and one that is instant in some examples."""

    def __init__(
        self,
        node: AnvilNode,
        token: Token,
        running: Running,
        least_values: dict[int, int],
        switching: Subscribed,
    ) -> None:
        self.node = node
        self.token = token
        self.running = running
        self.least_values = least_values
        """The least value each subscription hears of, by subscription id."""
        self.switching = switching
        self.instant = False
        self.values_by_block: dict[int, list[int]] = {}
        """The transfers the test put in each block, to pick re-included ones from."""
        self.history: list[str] = []
        """Everything done to the chain, for the message of a failure."""

    def __repr__(self) -> str:
        return f"Watched({self.node.url}, instant={self.instant})"


@pytest.fixture
async def watched(db: str, anvil: AnvilNode, token: Token) -> AsyncIterator[Watched]:
    every = await make_subscription(address=token.address, abi=TOKEN_ABI)
    large = await make_subscription(
        address=token.address, abi=TOKEN_ABI, filter_expr=f"value >= {LARGE}"
    )
    switching = await make_subscription(address=token.address, abi=TOKEN_ABI)
    await anvil.mine(WINDOW + 4)  # deep enough for a reorg of the whole window at once
    spec = anvil_spec(
        anvil.url, poll_interval_s=0.02, confirmations=CONFIRMATIONS, max_reorg_depth=WINDOW
    )
    async with running_watcher(spec) as running:
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head - CONFIRMATIONS))
        least_values = {
            every.subscription_id: 0,
            large.subscription_id: LARGE,
            switching.subscription_id: 0,
        }
        yield Watched(anvil, token, running, least_values, switching)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    # Shrinking would replay examples on a chain that later examples have changed: a failure
    # reports the history of the chain instead.
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(instant=st.booleans(), operations=st.lists(OPERATIONS, min_size=1, max_size=8))
async def test_after_any_mining_and_reorgs_the_stored_chain_and_deliveries_are_the_nodes(
    watched: Watched, instant: bool, operations: list[Operation]
) -> None:
    with history_on_failure(watched):
        await switch_instant(watched, instant)
        for operation in operations:
            await apply(watched, operation)
        await check_settled(watched)


async def test_a_reorg_deeper_than_the_confirmations_is_undone_before_the_next_block(
    watched: Watched,
) -> None:
    before: list[Operation] = [Transfer(1), Transfer(2), Transfer(3), Transfer(4), Settle()]
    with history_on_failure(watched):
        for operation in before:
            await apply(watched, operation)
        await apply(watched, Reorg(4, ()))
        await check_settled(watched)


async def test_events_read_for_an_instant_subscription_are_confirmed_after_it_stops_being_instant(
    watched: Watched,
) -> None:
    with history_on_failure(watched):
        await switch_instant(watched, True)
        await apply(watched, Transfer(5))
        await apply(watched, Settle())
        await switch_instant(watched, False)
        await apply(watched, Mine(CONFIRMATIONS))
        await check_settled(watched)


async def switch_instant(watched: Watched, instant: bool) -> None:
    if instant == watched.instant:
        return
    switching = watched.switching
    await set_owned_subscription_instant(switching.user_id, switching.subscription_id, instant)
    watched.instant = instant
    watched.history.append(f"instant={instant}")


@contextmanager
def history_on_failure(watched: Watched) -> Iterator[None]:
    """A failure tells what was done to the chain before it."""
    try:
        yield
    except AssertionError as exc:
        recent = "\n  ".join(watched.history[-40:])
        raise AssertionError(f"{exc}\nthe chain's recent history:\n  {recent}") from exc


async def check_settled(watched: Watched) -> None:
    """Once the watcher has settled, the stored chain and the deliveries are the node's (the
    watcher may still be storing what it found in its last step: that gets a moment)."""
    await settle(watched)
    try:
        await wait_until(
            lambda: holds(check_stored_chain_and_deliveries(watched)), timeout_s=SETTLE_TIMEOUT_S
        )
    except AssertionError:
        await check_stored_chain_and_deliveries(watched)


async def holds(check: Awaitable[None]) -> bool:
    try:
        await check
    except AssertionError:
        return False
    return True


async def check_stored_chain_and_deliveries(watched: Watched) -> None:
    cursor = await ChainCursor.get(chain="anvil")
    transfers = await node_transfers(watched, cursor.block_number)
    await check_stored_chain(watched, transfers)
    await check_deliveries(watched, transfers)


async def apply(watched: Watched, operation: Operation) -> None:
    node = watched.node
    if isinstance(operation, Transfer):
        await watched.token.transfer(RECIPIENT, operation.value)
        watched.values_by_block[await node.block_number()] = [operation.value]
    elif isinstance(operation, Mine):
        await node.mine(operation.blocks)
    elif isinstance(operation, Reorg):
        await reorg(watched, operation)
    elif isinstance(operation, Settle):
        await settle(watched)
    else:
        await asyncio.sleep(GLANCE_S)
    watched.history.append(f"{operation!r} -> head {await node.block_number()}")


async def reorg(watched: Watched, operation: Reorg) -> None:
    head = await watched.node.block_number()
    first = head - operation.depth + 1
    orphaned = [v for n in range(first, head + 1) for v in watched.values_by_block.pop(n, [])]
    again = [
        (orphaned[pick % len(orphaned)], offset % operation.depth)
        for pick, offset in (operation.reincluded if orphaned else ())
    ]
    requests = [(transfer_request(watched.token, value), offset) for value, offset in again]
    await watched.node.reorg(operation.depth, requests)
    for value, offset in again:
        watched.values_by_block.setdefault(first + offset, []).append(value)


def transfer_request(token: Token, value: int) -> dict[str, str]:
    data = calldata("transfer(address,uint256)", ["address", "uint256"], [RECIPIENT, value])
    return {"from": DEV_ACCOUNT, "to": token.address, "data": data, "gas": hex(200_000)}


async def settle(watched: Watched) -> None:
    """Wait until the watcher has read as far as it reads (the head with an instant
    subscription, the confirmed blocks without) and its cursor is on the node's chain."""

    async def settled() -> bool:
        head = await watched.node.block_number()
        target = head - (0 if watched.instant else CONFIRMATIONS)
        cursor = await ChainCursor.get(chain="anvil")
        if cursor.block_number < target or cursor.block_number > head:
            return False
        return cursor.block_hash == await watched.node.block_hash(cursor.block_number)

    assert watched.running.status.halted is None, watched.running.status.halted
    try:
        await wait_until(settled, timeout_s=SETTLE_TIMEOUT_S)
    except AssertionError:
        cursor = await ChainCursor.get(chain="anvil")
        head = await watched.node.block_number()
        status = watched.running.status
        raise AssertionError(
            f"the watcher did not settle: cursor {cursor.block_number} {cursor.block_hash}, "
            f"node head {head}, node's hash at the cursor "
            f"{await watched.node.block_hash(min(cursor.block_number, head))}; "
            f"halted: {status.halted}, error: {status.error}"
        ) from None


async def check_stored_chain(watched: Watched, transfers: Transfers) -> None:
    """The active events are the node's transfers up to the cursor, and every stored block
    hash is the node's at its height."""
    assert await active_events() == set(transfers)
    for number, block_hash in await fetch_recent_hashes("anvil", RECENT_BLOCKS):
        assert block_hash == await watched.node.block_hash(number), f"stored hash of {number}"


async def check_deliveries(watched: Watched, transfers: Transfers) -> None:
    """Per subscription: one delivery that is due (or made) of each canonical matching transfer
    with its confirmations, one waiting (or provisional) of each without; none of anything
    else, and none due of a reverted event."""
    confirmed_through = await watched.node.block_number() - CONFIRMATIONS
    rows = await Delivery.filter(kind="event").values_list(
        "subscription_id",
        "status",
        "provisional",
        "event__status",
        "event__block_hash",
        "event__transaction_hash",
        "event__log_index",
    )
    for sid, least in watched.least_values.items():
        matching = {k: n for k, (n, value) in transfers.items() if value >= least}
        due, unconfirmed = sort_deliveries([row for row in rows if row[0] == sid])
        assert due == sorted(k for k, n in matching.items() if n <= confirmed_through)
        assert unconfirmed == sorted(k for k, n in matching.items() if n > confirmed_through)


def sort_deliveries(rows: list[tuple[Any, ...]]) -> tuple[list[LogKey], list[LogKey]]:
    """The events (sorted, repeated if delivered twice) of the deliveries that are due or
    made, and of those waiting for confirmations or provisional; cancelled ones are left out."""
    due: list[LogKey] = []
    unconfirmed: list[LogKey] = []
    for _, status, provisional, event_status, block_hash, tx_hash, log_index in rows:
        log_key = (str(block_hash), str(tx_hash), int(log_index))
        if status == "cancelled":
            continue
        assert event_status == "active", f"{status} delivery of reverted event {log_key}"
        (unconfirmed if status == "waiting" or provisional else due).append(log_key)
    return sorted(due), sorted(unconfirmed)


async def active_events() -> set[LogKey]:
    rows = await Event.filter(status="active").values_list(
        "block_hash", "transaction_hash", "log_index"
    )
    return {(str(b), str(t), int(i)) for b, t, i in rows}


async def node_transfers(watched: Watched, to_block: int) -> Transfers:
    """The token's Transfer logs on the node's chain up to `to_block`: (block, value) by key.

    Right after anvil_reorg, eth_getLogs may answer with logs of orphaned blocks for a moment;
    only an answer whose recent logs agree with the node's block hashes is taken (older blocks
    are below every reorg the test makes).
    """
    node = watched.node
    recent_from = to_block - RECENT_BLOCKS
    for _ in range(200):
        logs = await node.rpc(
            "eth_getLogs",
            {"fromBlock": "0x0", "toBlock": hex(to_block), "address": watched.token.address},
        )
        recent = [log for log in logs if int(log["blockNumber"], 16) >= recent_from]
        numbers = {int(log["blockNumber"], 16) for log in recent}
        hashes = {n: await node.block_hash(n) for n in numbers}
        if all(hashes[int(log["blockNumber"], 16)] == log["blockHash"] for log in recent):
            return {
                (log["blockHash"], log["transactionHash"], int(log["logIndex"], 16)): (
                    int(log["blockNumber"], 16),
                    int(log["data"], 16),
                )
                for log in logs
            }
        await asyncio.sleep(0.05)
    raise AssertionError("the node's logs never agreed with its block hashes")
