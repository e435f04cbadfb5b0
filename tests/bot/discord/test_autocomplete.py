"""Suggestions while typing: within Discord's limits for any text, and values the one-line
subscribe understands."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.core.oneline import split_one_line
from bot.discord.autocomplete import (
    abi_event_choices,
    chain_choices,
    standard_event_choices,
    subscription_choices,
)
from storage.subscriptions import SubscriptionRow
from watcher.abi import normalize_event
from watcher.signatures import parse_event_signature
from watcher.standards import STANDARDS

CREATED = datetime(2026, 3, 1, tzinfo=UTC)
CHAINS = ("mainnet", "base", "base-sepolia", "polygon", "arbitrum", "sepolia")
SWAP = {
    "type": "event",
    "name": "Swap",
    "inputs": [
        {"name": "sender", "type": "address", "indexed": True},
        {"name": "amount0", "type": "int256", "indexed": False},
        {"name": "", "type": "uint160", "indexed": False},
    ],
}


def test_chains_starting_with_the_text_come_first() -> None:
    assert [c.value for c in chain_choices(CHAINS, "Sep")] == ["sepolia", "base-sepolia"]
    assert [c.value for c in chain_choices(CHAINS, "")] == list(CHAINS)


def test_more_than_25_chains_are_cut_and_overlong_names_left_out() -> None:
    chains = [f"chain{i}" for i in range(40)] + ["c" * 101]
    found = chain_choices(chains, "c")
    assert len(found) == 25 and all(len(c.value) <= 100 for c in found)


def test_a_standards_events_are_offered_by_name() -> None:
    found = standard_event_choices("erc20", "tr")
    assert [(c.name, c.value) for c in found] == [
        ("Transfer(address indexed from, address indexed to, uint256 value)", "Transfer")
    ]
    assert standard_event_choices(None, "") == []
    assert standard_event_choices("nonsense", "") == []


def test_an_abis_events_are_offered_as_signatures_that_parse_back_into_them() -> None:
    found = abi_event_choices([SWAP, {"type": "function", "name": "swap"}], "swap")
    assert [c.value for c in found] == [
        "Swap(address indexed sender, int256 amount0, uint160 arg2)"
    ]
    assert normalize_event(parse_event_signature(found[0].value)) == normalize_event(SWAP)
    line = split_one_line(f"subscribe mainnet 0xabc {found[0].value} amount0 > 5")
    assert line is not None and (line.event, line.filter_text) == (found[0].value, "amount0 > 5")


def test_events_the_one_line_form_cannot_take_are_not_offered() -> None:
    tupled = {
        "type": "event",
        "name": "Order",
        "inputs": [{"name": "o", "type": "tuple", "components": [{"name": "a", "type": "uint8"}]}],
    }
    long = {"type": "event", "name": "E" * 120, "inputs": []}
    assert abi_event_choices([tupled, long, *STANDARDS["erc1155"]], "order") == []
    assert abi_event_choices([tupled, long, *STANDARDS["erc1155"]], "E" * 120) == []


def test_subscriptions_match_by_id_chain_event_or_address() -> None:
    rows = [
        SubscriptionRow(
            id=i,
            user_id=1,
            chain="mainnet" if i % 2 else "base",
            address="0x" + "ab" * 20,
            event_name="Transfer" if i < 30 else None,
            selector=None,
            filter_expr="",
            status="active",
            destination_id=1,
            destination_kind="chat",
            destination_target="1",
            created_at=CREATED,
        )
        for i in range(1, 41)
    ]
    assert [c.value for c in subscription_choices(rows, "#3")] == [3, *range(30, 40)]
    found = subscription_choices(rows, "")
    assert len(found) == 25 and found[0].name == "#1 mainnet Transfer 0x" + "ab" * 20
    assert [c.value for c in subscription_choices(rows, "base *")] == list(range(30, 41, 2))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
EVENTISH = st.fixed_dictionaries(
    {"type": st.just("event"), "name": st.text(max_size=30) | JSON, "inputs": JSON}
)


@given(st.text(), st.lists(st.text(max_size=200), max_size=40))
def test_any_text_gives_chains_within_limits(typed: str, chains: list[str]) -> None:
    found = chain_choices(chains, typed)
    assert len(found) <= 25
    assert all(0 < len(c.name) <= 100 and 0 < len(c.value) <= 100 for c in found)


@given(st.text(), st.lists(EVENTISH | JSON, max_size=10), st.text(max_size=10))
def test_any_abi_and_text_give_events_within_limits(
    typed: str, abi: list[object], std: str
) -> None:
    for found in (abi_event_choices(abi, typed), standard_event_choices(std, typed)):
        assert len(found) <= 25
        assert all(0 < len(c.name) <= 100 and 0 < len(c.value) <= 100 for c in found)
