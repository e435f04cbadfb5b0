"""The EVM subscription index: which subscriptions a log reaches, with filters indexed by the
values their equalities name, and the same answers as evaluating every filter."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.subscriptions import ActiveSubscription
from tests.support.builders import ERC20_ABI, TRANSFER_TOPIC
from tests.watcher.test_filters import ARGS, EVENT, EXPRESSIONS
from watcher.abi import event_selector
from watcher.decoding import AbiDecoder
from watcher.filters import parse_filter
from watcher.matching import MatchIndex
from watcher.signatures import parse_event_signature
from watcher.types import RawLog

TOKEN = "0x" + "70" * 20
A = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
A_CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
B = "0x" + "bb" * 20
C = "0x" + "cc" * 20


def subscription(
    subscription_id: int,
    filter_expr: str = "",
    *,
    abi: list[dict[str, Any]] = ERC20_ABI,
    selector: str | None = TRANSFER_TOPIC,
    event_name: str | None = "Transfer",
) -> ActiveSubscription:
    return ActiveSubscription(
        subscription_id=subscription_id,
        destination_id=1000 + subscription_id,
        address=TOKEN,
        selector=selector,
        event_name=event_name,
        filter_expr=filter_expr,
        abi=abi,
    )


def transfer(sender: str, recipient: str, value: int, log_index: int = 0) -> RawLog:
    return RawLog(
        block_number=1,
        block_hash="0x" + "11" * 32,
        transaction_hash="0x" + "22" * 32,
        transaction_index=0,
        log_index=log_index,
        address=TOKEN,
        topics=(TRANSFER_TOPIC, "0x" + "0" * 24 + sender[2:], "0x" + "0" * 24 + recipient[2:]),
        data="0x" + f"{value:064x}",
    )


def reached(sources: list[ActiveSubscription], log: RawLog) -> list[int]:
    """The ids of the subscriptions the log reaches, in the order of its targets."""
    matches = MatchIndex("anvil", sources).match([log])
    return [subscription_id for match in matches for subscription_id, _ in match.targets]


def test_an_equality_or_a_threshold_matches_either_way() -> None:
    sources = [subscription(1, f"to == {A} or value > 5")]

    assert reached(sources, transfer(C, B, 6)) == [1]
    assert reached(sources, transfer(C, A, 1)) == [1]
    assert reached(sources, transfer(C, B, 5)) == []


def test_a_log_reaches_only_the_subscriptions_whose_address_it_carries() -> None:
    sources = [subscription(i, f"to == 0x{i:040x}") for i in range(1, 2001)]

    assert reached(sources, transfer(C, f"0x{1234:040x}", 1)) == [1234]
    assert reached(sources, transfer(C, B, 1)) == []


def test_a_checksummed_address_in_a_filter_matches_the_lower_case_log() -> None:
    sources = [subscription(1, f"to == {A_CHECKSUMMED}"), subscription(2, f"from == {A}")]

    assert reached(sources, transfer(B, A, 1)) == [1]
    assert reached(sources, transfer(A, B, 1)) == [2]


def test_subscriptions_without_a_filter_share_the_key_with_indexed_ones() -> None:
    sources = [subscription(1), subscription(2, f"to == {A}"), subscription(3, "value >= 10")]

    assert reached(sources, transfer(B, A, 10)) == [1, 2, 3]
    assert reached(sources, transfer(B, C, 1)) == [1]


def test_a_transfer_to_oneself_reaches_a_from_or_to_filter_once() -> None:
    sources = [subscription(1, f"from == {A} or to == {A}"), subscription(2, f"to == {A}")]

    assert reached(sources, transfer(A, A, 1)) == [1, 2]


def test_equalities_combined_with_other_conditions_still_apply_them() -> None:
    sources = [
        subscription(1, f"to == {A} and value >= 10"),
        subscription(2, f"not to == {A}"),
        subscription(3, f"to != {A}"),
        subscription(4, f"(to == {A} or to == {B}) and from != {C}"),
    ]

    assert reached(sources, transfer(B, A, 10)) == [1, 4]
    assert reached(sources, transfer(B, A, 9)) == [4]
    assert reached(sources, transfer(C, B, 10)) == [2, 3]
    assert reached(sources, transfer(B, C, 10)) == [2, 3]


def test_identical_filters_reach_every_subscription_that_has_them() -> None:
    sources = [subscription(i, "value >= 10") for i in (1, 2, 3)] + [subscription(4, f"to == {A}")]
    sources.append(subscription(5, f"to == {A}"))

    assert reached(sources, transfer(B, A, 10)) == [1, 2, 3, 4, 5]
    assert reached(sources, transfer(B, C, 10)) == [1, 2, 3]


def test_rules_for_every_event_of_a_contract_are_indexed_too() -> None:
    anonymous = {**ERC20_ABI[0], "anonymous": True}
    sources = [
        subscription(1, f"to == {A}", abi=[anonymous], selector=None),
        subscription(2, abi=[], selector=None, event_name=None),
        subscription(3, "value > 5"),
    ]
    to_a = transfer(B, A, 6)

    assert reached(sources, transfer(B, C, 1)) == [2]
    assert reached(sources, to_a._replace(topics=to_a.topics[1:])) == [1, 2]
    # The key's subscriptions first, then those for any event of the contract.
    assert reached(sources, to_a) == [3, 1, 2]


def test_lower_bounds_reach_every_subscription_whose_bound_the_value_reaches() -> None:
    sources = [
        subscription(1, "value >= 10"),
        subscription(2, "value > 10"),
        subscription(3, "value >= 5"),
        subscription(4, "value >= 10"),
        subscription(5, "value < 10"),
    ]

    assert reached(sources, transfer(B, A, 10)) == [1, 3, 4]
    assert reached(sources, transfer(B, A, 11)) == [1, 2, 3, 4]
    assert reached(sources, transfer(B, A, 4)) == [5]


def test_an_argument_that_another_abi_decodes_as_text_passes_no_bound() -> None:
    # Same selector, names swapped: the first ABI's plan decodes `b` as a string.
    first = parse_event_signature("Ev(uint256 a, string b)")
    second = parse_event_signature("Ev(uint256 b, string a)")
    selector = event_selector(first)
    sources = [
        subscription(1, abi=[first], selector=selector, event_name="Ev"),
        subscription(2, "b >= 5", abi=[second], selector=selector, event_name="Ev"),
    ]
    data = "".join(f"{word:064x}" for word in (5, 64, 2)) + "6869" + "00" * 30  # a = 5, b = "hi"
    log = transfer(B, A, 0)._replace(topics=(selector,), data="0x" + data)

    assert reached(sources, log) == [1]


def test_an_argument_that_another_abi_decodes_as_a_list_matches_no_equality() -> None:
    # Same selector, names swapped: the first ABI's plan decodes `b` as a list.
    first = parse_event_signature("Ev(uint256 a, uint256[] b)")
    second = parse_event_signature("Ev(uint256 b, uint256[] a)")
    selector = event_selector(first)
    sources = [
        subscription(1, abi=[first], selector=selector, event_name="Ev"),
        subscription(2, "b == 5", abi=[second], selector=selector, event_name="Ev"),
    ]
    words = [5, 64, 1, 5]  # a = 5, b = [5]
    log = transfer(B, A, 0)._replace(
        topics=(selector,), data="0x" + "".join(f"{w:064x}" for w in words)
    )

    assert reached(sources, log) == [1]


# --- properties ----------------------------------------------------------------------------


@settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, ARGS)
def test_a_filter_passes_only_where_one_of_its_equalities_holds(
    expression: tuple[Any, str], args: dict[str, Any]
) -> None:
    compiled = parse_filter(expression[1], EVENT)
    holds = any(args[name] == value for name, value in compiled.equalities)
    if compiled.equalities and compiled.matches(args):
        assert holds
    if compiled.decided_by_equalities:
        assert compiled.matches(args) is holds


def transfer_filters() -> st.SearchStrategy[str]:
    atoms = st.one_of(
        st.builds(
            "{} {} {}".format,
            st.sampled_from(["from", "to"]),
            st.sampled_from(["==", "!="]),
            st.sampled_from([A, B, C, A_CHECKSUMMED]),
        ),
        st.builds(
            "value {} {}".format,
            st.sampled_from(["==", "!=", ">", ">=", "<", "<="]),
            st.integers(0, 3),
        ),
    )
    combined = st.recursive(
        atoms,
        lambda children: st.one_of(
            children.map("not ({})".format),
            st.lists(children, min_size=2, max_size=3).map(lambda t: "(" + ") and (".join(t) + ")"),
            st.lists(children, min_size=2, max_size=3).map(lambda t: "(" + ") or (".join(t) + ")"),
        ),
        max_leaves=6,
    )
    return st.one_of(st.just(""), combined)


TRANSFERS = st.builds(
    transfer, st.sampled_from([A, B, C]), st.sampled_from([A, B, C]), st.integers(0, 3)
)


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(transfer_filters(), min_size=1, max_size=8), st.lists(TRANSFERS, max_size=6))
def test_the_index_reaches_what_evaluating_every_filter_reaches(
    filters: list[str], logs: list[RawLog]
) -> None:
    logs = [log._replace(log_index=i) for i, log in enumerate(logs)]
    sources = [subscription(i, text) for i, text in enumerate(filters, start=1)]
    decoder = AbiDecoder(ERC20_ABI)
    compiled = [parse_filter(text, ERC20_ABI[0]) for text in filters]
    matches = {m.event.log_index: m.targets for m in MatchIndex("anvil", sources).match(logs)}

    for log_index, log in enumerate(logs):
        _, args = decoder.decode(log.topics, log.data)
        expected = [
            (s.subscription_id, s.destination_id)
            for s, f in zip(sources, compiled, strict=True)
            if f.matches(args)
        ]
        assert list(matches.get(log_index, ())) == expected
