"""Argument filters: typed comparisons, errors that say what to fix, and property tests."""

from __future__ import annotations

import operator
from typing import Any

import pytest
from eth_hash.auto import keccak
from eth_utils import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.token import TOKEN_ABI
from watcher.abi import event_selector, find_event
from watcher.decoding import AbiDecoder
from watcher.errors import InvalidInput
from watcher.filters import MAX_DEPTH, MAX_LENGTH, parse_filter
from watcher.signatures import parse_event_signature

EVENT = parse_event_signature(
    "Ev(address indexed who, uint256 value, int16 delta, bool ok, string memo, bytes4 tag,"
    " bytes blob, string indexed label, uint8[] list)"
)
TRANSFER = find_event(TOKEN_ABI, "Transfer")
ADDRESSES = ["0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x" + "00" * 20, "0x" + "ab" * 20]
STRINGS = ["", "hi", 'say "hi"', "it's", "back\\slash", "ünï ✓"]
TAGS = ["0xdeadbeef", "0x00000000", "0x12345678"]
BLOBS = ["0x", "0x00", "0xabcdef"]
OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def label_hash(text: str) -> str:
    return "0x" + keccak(text.encode()).hex()


def args_of(**overrides: Any) -> dict[str, Any]:
    args = {
        "who": ADDRESSES[0],
        "value": 10**18,
        "delta": -5,
        "ok": True,
        "memo": "hi",
        "tag": "0xdeadbeef",
        "blob": "0xabcdef",
        "label": label_hash("spot"),
        "list": [1, 2],
    }
    return {**args, **overrides}


def rejected(text: str, event: dict[str, Any] = EVENT) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_filter(text, event)
    return caught.value


# --- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_filters_match_everything(text: str) -> None:
    compiled = parse_filter(text, EVENT)
    assert compiled.source == ""
    assert compiled.matches({})
    assert compiled.matches(args_of())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("value == 1e18", True),
        ("value = 1_000_000_000_000_000_000", True),
        ("value >= 0xde0b6b3a7640000", True),
        ("value > 2.5e17 AND value < 1.5e18", True),
        ("value <= 999999999999999999", False),
        ("value != 1e18", False),
        ("delta < 0 and delta >= -0x5", True),
        ("who == 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", True),
        ("who != 0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", False),
        ("ok == TRUE", True),
        ("ok == false", False),
        ("memo == 'hi'", True),
        ('memo == "Hi"', False),
        ("tag == 0xDEADBEEF", True),
        ("blob == 0xabcdef or blob == 0x", True),
        ('label == "spot"', True),
        ('label != "spot"', False),
        ("not (value > 1 Or delta > 0)", False),
        ("NOT NOT ok = true", True),
        ("value > 1 or delta > 0 and ok == false", True),
        ("(value > 1 or delta > 0) and ok == false", False),
    ],
)
def test_filters_compare_arguments_by_their_abi_type(text: str, expected: bool) -> None:
    assert parse_filter(text, EVENT).matches(args_of()) is expected


def test_the_normalized_source_is_canonical_and_parses_to_itself() -> None:
    compiled = parse_filter(
        " VALUE >= 2.5e6 AND ( who = 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        " OR NOT memo == 'it\\'s' ) ",
        {
            **EVENT,
            "inputs": [
                {**i, "name": i["name"].upper()} if i["name"] == "value" else i
                for i in EVENT["inputs"]
            ],
        },
    )
    assert compiled.source == (
        "VALUE >= 2500000 and (who == 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        ' or not memo == "it\'s")'
    )


def test_a_missing_argument_matches_nothing_even_under_not() -> None:
    assert not parse_filter("not value == 1", EVENT).matches({"who": ADDRESSES[0]})
    assert not parse_filter("value > 1 or ok == true", EVENT).matches({"value": 5})
    assert not parse_filter("value > 1", EVENT).matches({})


def test_a_value_of_an_unexpected_type_does_not_match_and_does_not_raise() -> None:
    assert not parse_filter("value > 1", EVENT).matches(args_of(value="12"))
    assert not parse_filter("value == 12", EVENT).matches(args_of(value=None))


def test_a_filter_on_an_indexed_string_matches_the_hash_in_a_decoded_log() -> None:
    entry = parse_event_signature("Named(string indexed name, uint256 amount)")
    topics = (event_selector(entry), label_hash("alice.eth"))
    name, args = AbiDecoder([entry]).decode(topics, "0x" + (7).to_bytes(32, "big").hex())
    assert name == "Named"
    assert parse_filter('name == "alice.eth" and amount == 7', entry).matches(args)
    assert not parse_filter('name == "bob.eth"', entry).matches(args)


def test_filters_work_on_the_raw_test_token_abi() -> None:
    compiled = parse_filter("to == 0x" + "ab" * 20 + " and value >= 1e3", TRANSFER)
    assert compiled.matches({"from": ADDRESSES[0], "to": "0x" + "ab" * 20, "value": 1000})
    assert not compiled.matches({"from": ADDRESSES[0], "to": "0x" + "ab" * 20, "value": 999})


# --- errors --------------------------------------------------------------------------------


def test_an_unknown_argument_lists_the_available_ones() -> None:
    error = rejected("amount > 5", TRANSFER)
    assert error.key == "filter.unknown_argument"
    assert error.params == {"name": "amount", "available": ["from", "to", "value"]}


@pytest.mark.parametrize(
    ("text", "operator_", "expected"),
    [
        ("who > 0x" + "00" * 20, ">", ["==", "!="]),
        ("ok < true", "<", ["==", "!="]),
        ("memo >= 'a'", ">=", ["==", "!="]),
        ("tag <= 0x00000000", "<=", ["==", "!="]),
    ],
)
def test_an_operator_that_does_not_fit_the_type_is_rejected(
    text: str, operator_: str, expected: list[str]
) -> None:
    error = rejected(text)
    assert error.key == "filter.bad_operator"
    assert error.params["operator"] == operator_
    assert error.params["expected"] == expected
    assert error.params["type"] in ("address", "bool", "string", "bytes4")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("value > 1.5", "1.5"),
        ("value > 1e-3", "1e-3"),
        ("value > abc", "abc"),
        ("value > '5'", "'5'"),
        ("value > 0x", "0x"),
        ("value > 1__0", "1__0"),
        ("who == 0x12", "0x12"),
        (
            "who == 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        ),
        ("ok == 1", "1"),
        ("ok == yes", "yes"),
        ("memo == hi", "hi"),
        ("tag == 0x1234", "0x1234"),
        ("tag == 0xdeadbeefff", "0xdeadbeefff"),
        ("blob == 0xabc", "0xabc"),
        ("blob == 'ab'", "'ab'"),
    ],
)
def test_a_value_that_does_not_fit_the_type_is_rejected(text: str, value: str) -> None:
    error = rejected(text)
    assert error.key == "filter.bad_value"
    assert error.params["value"] == value
    assert error.params["expected"]


@pytest.mark.parametrize(
    ("text", "minimum", "maximum"),
    [
        ("value > -1", "0", str(2**256 - 1)),
        ("value < 1e78", "0", str(2**256 - 1)),
        ("value == 1e999999999", "0", str(2**256 - 1)),
        ("delta > 32768", "-32768", "32767"),
        ("delta > -0x8001", "-32768", "32767"),
    ],
)
def test_an_integer_outside_the_type_range_is_rejected(
    text: str, minimum: str, maximum: str
) -> None:
    error = rejected(text)
    assert error.key == "filter.out_of_range"
    assert (error.params["minimum"], error.params["maximum"]) == (minimum, maximum)


def test_arrays_cannot_be_compared() -> None:
    assert rejected("list == 1").key == "filter.unsupported_type"


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("value >", 8, "a value"),
        ("value 5", 7, "an operator: ==, !=, <, >, <= or >="),
        ("(value > 5", 11, "'and', 'or' or ')'"),
        ("value > 5)", 10, "'and', 'or' or the end of the filter"),
        ("value > 5 and", 14, "an argument name, 'not' or '('"),
        ("and value > 5", 1, "an argument name, 'not' or '('"),
        ("memo == 'open", 9, "a value"),
        ("value > 5 # comment", 11, "'and', 'or' or the end of the filter"),
        ("value >> 5", 8, "a value"),
        ("()", 2, "an argument name, 'not' or '('"),
    ],
)
def test_syntax_errors_give_the_position_and_what_was_expected(
    text: str, position: int, expected: str
) -> None:
    error = rejected(text)
    assert error.key == "filter.syntax"
    assert error.params["position"] == position
    assert error.params["expected"] == expected


def test_limits_on_length_and_depth_are_errors_not_recursion_errors() -> None:
    assert rejected("value > 1 or " * 100 + "ok == true").key == "filter.too_long"
    assert rejected("(" * 600 + "value > 1" + ")" * 600).params == {
        "length": 1209,
        "limit": MAX_LENGTH,
    }
    assert rejected("(" * 400 + "value > 1" + ")" * 400).key == "filter.too_deep"
    assert rejected("not " * 200 + "ok == true").key == "filter.too_deep"
    deepest = "(" * MAX_DEPTH + "value > 1" + ")" * MAX_DEPTH
    assert parse_filter(deepest, EVENT).matches(args_of())
    assert rejected("(" + deepest + ")").params["limit"] == MAX_DEPTH


# --- properties ----------------------------------------------------------------------------


def int_renderings(value: int) -> st.SearchStrategy[str]:
    sign, magnitude = ("-" if value < 0 else ""), abs(value)
    forms = [
        str(value),
        sign + f"{magnitude:_}",
        sign + hex(magnitude),
        sign + "0X" + f"{magnitude:X}",
    ]
    zeros = len(str(magnitude)) - len(str(magnitude).rstrip("0")) if magnitude else 0
    forms.append(f"{sign}{magnitude // 10**zeros}e{zeros}")
    if magnitude >= 10:
        digits = str(magnitude)
        forms.append(f"{sign}{digits[0]}.{digits[1:]}e+{len(digits) - 1}")
    return st.sampled_from(forms)


def quoted(text: str, quote: str) -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[Any, str]:
    """(("cmp", name, op, the value the arguments hold when equal), filter text)."""
    name = draw(st.sampled_from(["value", "delta", "who", "ok", "memo", "tag", "blob", "label"]))
    op = draw(st.sampled_from(list(OPERATORS) if name in ("value", "delta") else ["==", "!="]))
    shown_op = "=" if op == "==" and draw(st.booleans()) else op
    if name in ("value", "delta"):
        value = draw(st.integers(0, 30) if name == "value" else st.integers(-30, 30))
        text = draw(int_renderings(value))
    elif name == "who":
        value = draw(st.sampled_from(ADDRESSES))
        text = draw(st.sampled_from([value, to_checksum_address(value), "0x" + value[2:].upper()]))
    elif name == "ok":
        value = draw(st.booleans())
        text = draw(st.sampled_from([str(value).lower(), str(value), str(value).upper()]))
    elif name in ("memo", "label"):
        plain = draw(st.sampled_from(STRINGS))
        text = quoted(plain, draw(st.sampled_from(["'", '"'])))
        value = label_hash(plain) if name == "label" else plain
    else:
        value = draw(st.sampled_from(TAGS if name == "tag" else BLOBS))
        text = draw(st.sampled_from([value, "0x" + value[2:].upper()]))
    return ("cmp", name, op, value), f"{name} {shown_op} {text}"


def keyword(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([word, word.upper(), word.capitalize()])


@st.composite
def combined(draw: st.DrawFn, children: st.SearchStrategy[tuple[Any, str]]) -> tuple[Any, str]:
    kind = draw(st.sampled_from(["not", "and", "or"]))
    if kind == "not":
        child, text = draw(children)
        bare = child[0] in ("cmp", "not") and draw(st.booleans())
        return ("not", child), f"{draw(keyword('not'))} " + (text if bare else f"({text})")
    parts = draw(st.lists(children, min_size=2, max_size=3))
    rendered = []
    for child, text in parts:
        needs = kind == "and" and child[0] == "or"
        rendered.append(f"({text})" if needs or draw(st.booleans()) else text)
    return (kind, tuple(child for child, _ in parts)), f" {draw(keyword(kind))} ".join(rendered)


EXPRESSIONS = st.recursive(comparisons(), combined, max_leaves=10)


def evaluate(node: Any, args: dict[str, Any]) -> bool:
    """The reference: a direct reading of the grammar's meaning."""
    if node[0] == "cmp":
        _, name, op, value = node
        return bool(OPERATORS[op](args[name], value))
    if node[0] == "not":
        return not evaluate(node[1], args)
    results = [evaluate(child, args) for child in node[1]]
    return all(results) if node[0] == "and" else any(results)


ARGS = st.fixed_dictionaries(
    {
        "who": st.sampled_from(ADDRESSES),
        "value": st.integers(0, 30),
        "delta": st.integers(-30, 30),
        "ok": st.booleans(),
        "memo": st.sampled_from(STRINGS),
        "tag": st.sampled_from(TAGS),
        "blob": st.sampled_from(BLOBS),
        "label": st.sampled_from(STRINGS).map(label_hash),
    }
)


@settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, ARGS)
def test_random_filters_agree_with_a_reference_evaluator(
    expression: tuple[Any, str], args: dict[str, Any]
) -> None:
    node, text = expression
    compiled = parse_filter(text, EVENT)
    assert compiled.matches(args) is evaluate(node, args)
    again = parse_filter(compiled.source, EVENT)
    assert again.source == compiled.source
    assert again.matches(args) is evaluate(node, args)


SOUP = st.lists(
    st.sampled_from(
        [
            "(",
            ")",
            "not",
            "AND",
            "or",
            "value",
            "who",
            "memo",
            "list",
            "==",
            "=",
            "<",
            ">=",
            "!",
            "1e18",
            "-1",
            "0x",
            "0xZZ",
            '"a',
            "'b'",
            "true",
            "2.5e-3",
            "\x00",
            "é",
            " ",
            "\\",
            "1e",
            "0x" + "ab" * 20,
        ]
    ),
    max_size=150,
).map(" ".join)


GARBAGE = st.one_of(
    st.text(max_size=1200),
    st.text(st.characters(exclude_categories=()), max_size=60).map(lambda t: f"memo == '{t}'"),
    SOUP,
    st.text(alphabet="()notand ", min_size=500, max_size=1000),
)


@settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(GARBAGE)
def test_any_text_either_compiles_or_raises_invalid_input(text: str) -> None:
    try:
        compiled = parse_filter(text, EVENT)
    except InvalidInput as exc:
        assert exc.key.startswith("filter.")
        assert str(exc)
    else:
        assert isinstance(compiled.matches(args_of()), bool)
