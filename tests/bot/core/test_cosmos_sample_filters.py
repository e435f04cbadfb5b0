"""The made-up event of a Cosmos subscription's Test passes the subscription's own filter, as
the chain's watcher compiles it, whatever the filter's equalities, orderings and groupings
(each attribute named once, so no filter contradicts itself)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.cosmos_sample import honouring_filter, sample_args
from tests.bot.core.cosmos_setup import HUB
from tests.support.cosmos_chain import account, validator
from watcher.cosmos_filters import parse_cosmos_filter

NAMES = ("recipient", "sender", "amount", "code", "memo", "validator")
ADDRESSES = (account("alice"), account("bob"), validator("val-1"))
ORDERINGS = (">=", ">", "<=", "<")


def _amounts(least: int) -> st.SearchStrategy[str]:
    whole = st.integers(least, 10**9).map(str)
    fraction = st.integers(0, 999_999).map(lambda n: f"{n:06d}".rstrip("0") or "0")
    return st.one_of(
        whole.map(lambda n: f"{n}uatom"),
        whole.map(lambda n: f"{n}ATOM"),
        st.tuples(whole, fraction).map(lambda parts: f"{parts[0]}.{parts[1]}atom"),
        whole.map(lambda n: f'"{n}ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97"'),
    )


NUMBERS = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.decimals("-1000", "1000", places=3).map(str),
)
TEXTS = st.text("abc and or not ()\"'\\", min_size=1, max_size=12).map(
    lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
)
EQUAL_TO = st.one_of(st.sampled_from(ADDRESSES), _amounts(0), NUMBERS, TEXTS)


@st.composite
def comparisons(draw: st.DrawFn, name: str) -> str:
    if draw(st.booleans()):
        return f"{name} == {draw(EQUAL_TO)}"
    op = draw(st.sampled_from(ORDERINGS))
    # No coin is below 0: `amount < 0uatom` is a filter nothing passes.
    return f"{name} {op} {draw(st.one_of(NUMBERS, _amounts(1 if op == '<' else 0)))}"


@st.composite
def filters(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=len(NAMES), unique=True))
    text = draw(comparisons(names[0]))
    for name in names[1:]:
        word = draw(st.sampled_from(("and", "or")))
        left = f"({text})" if draw(st.booleans()) else text
        text = f"{left} {word} {draw(comparisons(name))}"
    return text


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=filters(), event=st.sampled_from(("transfer", "/cosmos.bank.v1beta1.MsgSend")))
def test_a_test_event_passes_its_subscriptions_filter(text: str, event: str) -> None:
    compiled = parse_cosmos_filter(text, denoms=HUB.denoms_by_base, bech32_prefix=HUB.bech32_prefix)
    args = honouring_filter(sample_args(event, "", HUB), compiled.source, HUB)
    assert compiled.matches(args), (compiled.source, args)


def test_a_filter_the_chain_no_longer_reads_leaves_the_sample_as_made_up() -> None:
    made_up = sample_args("transfer", "", HUB)
    assert honouring_filter(made_up, "amount >= 1.5OSMO", HUB) == made_up
