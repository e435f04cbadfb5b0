"""Updating the subscription index in place of building it again: after any sequence of
subscriptions added, changed and removed, the updated index reaches exactly what an index
built from scratch over the same subscriptions reaches."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.subscriptions import ActiveSubscription
from tests.support.builders import ERC20_ABI, TRANSFER_TOPIC
from tests.watcher.test_matching import TOKEN, A, B, C, subscription, transfer, transfer_filters
from watcher.matching import MatchIndex
from watcher.standards import STANDARDS
from watcher.types import RawLog

OTHER_TOKEN = "0x" + "71" * 20
ABIS = {"erc20": ERC20_ABI, "erc721": STANDARDS["erc721"]}


def nft_transfer(sender: str, recipient: str, token_id: int) -> RawLog:
    """An ERC-721 Transfer: the same topic0 as ERC-20's, with the token id indexed too."""
    words = [sender, recipient, f"0x{token_id:040x}"]
    return transfer(A, B, 0)._replace(
        topics=(TRANSFER_TOPIC, *("0x" + "0" * 24 + word[2:] for word in words)), data="0x"
    )


def source(
    subscription_id: int, address: str, abi: str, any_event: bool, filter_expr: str
) -> ActiveSubscription:
    made = subscription(
        subscription_id,
        "" if any_event else filter_expr,
        abi=ABIS[abi],
        selector=None if any_event else TRANSFER_TOPIC,
        event_name=None if any_event else "Transfer",
    )
    return ActiveSubscription(**{**_fields(made), "address": address})


def _fields(made: ActiveSubscription) -> dict[str, Any]:
    return {name: getattr(made, name) for name in made.__slots__}


SOURCES = st.builds(
    source,
    st.integers(1, 8),
    st.sampled_from([TOKEN, OTHER_TOKEN, TOKEN.upper().replace("0X", "0x")]),
    st.sampled_from(sorted(ABIS)),
    st.booleans(),
    transfer_filters(),
)
CHANGES = st.lists(
    st.tuples(st.lists(SOURCES, max_size=4), st.lists(st.integers(1, 8), max_size=3)),
    min_size=1,
    max_size=6,
)
LOGS = [
    log._replace(log_index=i, address=address)
    for i, (log, address) in enumerate(
        (made, address)
        for made in (transfer(A, B, 2), transfer(C, A, 0), nft_transfer(B, C, 7))
        for address in (TOKEN, OTHER_TOKEN)
    )
]


def reached(index: MatchIndex) -> list[tuple[int, str | None, Any, tuple[tuple[int, int], ...]]]:
    return [(m.event.log_index, m.event.name, m.event.args, m.targets) for m in index.match(LOGS)]


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES)
def test_an_updated_index_reaches_what_a_new_one_reaches(
    changes: list[tuple[list[ActiveSubscription], list[int]]],
) -> None:
    index = MatchIndex("anvil")
    current: dict[int, ActiveSubscription] = {}
    for changed, gone in changes:
        before, seen_before = index, reached(index)
        index = index.updated(changed, gone)
        for subscription_id in gone:
            current.pop(subscription_id, None)
        current.update((s.subscription_id, s) for s in changed)
        fresh = MatchIndex("anvil", [current[s] for s in sorted(current)])

        assert reached(index) == reached(fresh)
        assert (index.addresses, index.topic0s) == (fresh.addresses, fresh.topic0s)
        assert reached(before) == seen_before  # a read-ahead holding it is not disturbed


def test_only_the_newest_index_can_be_updated() -> None:
    first = MatchIndex("anvil", [subscription(1)])
    second = first.updated([subscription(2, f"to == {A}")], [1])

    with pytest.raises(RuntimeError, match="updated already"):
        first.updated([], [2])
    assert [m.targets for m in second.match([transfer(C, A, 1)])] == [((2, 1002),)]
    assert [m.targets for m in first.match([transfer(C, A, 1)])] == [((1, 1001),)]
