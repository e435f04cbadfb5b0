"""Attribute filters of Cosmos events: addresses, numbers, amounts and text, clear errors, and
property tests that no filter and no attribute value ever makes matching raise."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.cosmos_denoms import Denom
from watcher.cosmos_filters import parse_cosmos_filter
from watcher.errors import InvalidInput
from watcher.filters import MAX_LENGTH

# Real addresses from the croeseid and osmosis fixtures.
SENDER = "tcro1feqh6ad9ytjkr79kjk5nhnl4un3wez0ynurrwv"
RECIPIENT = "tcro17xpfvakm2amg962yls6f84z3kell8c5lxhzaha"
VALIDATOR = "tcrocncl1j7pej8kplem4wt50p4hfvndhuw5jprxxxtenvr"
OSMO_ACCOUNT = "osmo1ddl9hnacgqfls5xgm7jy30uvc3lll4jdrdk35n"
IBC = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
TX_HASH = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
DENOMS = {
    "basetcro": Denom(base="basetcro", display="TCRO", exponent=8),
    "uatom": Denom(base="uatom", display="ATOM", exponent=6),
}

ARGS: dict[str, Any] = {
    "recipient": RECIPIENT,
    "sender": SENDER,
    "validator": VALIDATOR,
    "amount": "1000000000basetcro",
    "action": "send",
    "msg_index": "0",
    "count": "42",
    "ratio": "0.000821761419299675",
    "coins": f"5uatom,7{IBC}",
    "commission": "86855003.139276634441927306basetcro",
    "hash": TX_HASH,
    "nothing": None,
    "repeated": ["a", None, "b"],
}


def compiled(text: str, prefix: str | None = "tcro") -> Any:
    return parse_cosmos_filter(text, denoms=DENOMS, bech32_prefix=prefix)


def rejected(text: str, *, denoms: dict[str, Denom] = DENOMS) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_cosmos_filter(text, denoms=denoms, bech32_prefix="tcro")
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"recipient == {RECIPIENT}", True),
        (f"recipient == '{RECIPIENT.upper()}'", True),
        (f"recipient != {RECIPIENT}", False),
        (f"sender == {RECIPIENT}", False),
        (f"validator == {VALIDATOR}", True),
        ("action == send", True),
        ('action = "send"', True),
        ("action == Send", False),
        ("action != swap", True),
        ("amount >= 10TCRO", True),
        ("amount > 10TCRO", False),
        ('amount >= "10 tcro"', True),
        ("amount == 10TCRO", True),
        ("amount == 1_000_000_000basetcro", True),
        ("amount < 10.00000001TCRO", True),
        ("amount >= 1000000001basetcro", False),
        (f'amount >= "1{IBC}"', False),
        ("coins >= 5uatom", True),
        ("coins > 5uatom", False),
        ("coins == 0.000005atom", True),
        ("coins < 0.000006ATOM", True),
        (f'coins >= "7{IBC}"', True),
        (f'coins > "7{IBC}"', False),
        ("count > 41", True),
        ("count == 42", True),
        ("count == 42.0", True),
        ('count == "42"', True),
        ("count >= -5", True),
        ("amount > 5", False),
        ("msg_index == 0", True),
        ("ratio > 0.0008217614192996749", True),
        ("ratio < 0.0008217614192996751", True),
        ("ratio == 0.000821761419299675", True),
        ("commission > 0.86855003TCRO", True),
        ("commission < 0.86855004TCRO", True),
        (f'hash == "{TX_HASH}"', True),
        (f"hash == {TX_HASH.lower()}", False),
        ("nothing == x", False),
        ("nothing != x", False),
        ("not nothing == x", True),
        ("absent == x", False),
        ("absent != x", False),
        ("absent > 1", False),
        ("not absent == x", True),
        ("repeated == a", True),
        ("repeated == b", True),
        ("repeated != a", False),
        ("repeated != c", True),
        (f"amount >= 10TCRO and (action == swap or not sender == {RECIPIENT})", True),
    ],
)
def test_attributes_compare_as_their_literal_says(text: str, expected: bool) -> None:
    assert compiled(text).matches(ARGS) is expected


@pytest.mark.parametrize("text", ["", "  ", "\n"])
def test_blank_filters_match_everything(text: str) -> None:
    blank = compiled(text)
    assert blank.source == ""
    assert blank.matches({}) and blank.matches(ARGS)


def test_the_normalized_source_is_canonical_and_parses_to_itself() -> None:
    text = (
        f' AMOUNT >= "1.50 tcro" and recipient = {RECIPIENT.upper()} or action == send'
        f' or coins < "0_7{IBC}" or count != 00.50'
    )

    first = compiled(text)

    assert first.source == (
        f'AMOUNT >= 1.5TCRO and recipient == {RECIPIENT} or action == "send"'
        f' or coins < "7{IBC}" or count != 0.5'
    )
    assert first.names == ("AMOUNT", "action", "coins", "count", "recipient")
    again = compiled(first.source)
    assert again.source == first.source
    assert again.matches(ARGS) is first.matches(ARGS) is True


def test_keys_with_any_name_the_tokenizer_reads_can_be_filtered() -> None:
    args = {"_contract_address": "x", "$weird": "y", "packet_data_hex": "z"}

    assert compiled("_contract_address == x and $weird == y and packet_data_hex == z").matches(args)


def test_without_a_chain_prefix_any_valid_address_is_accepted() -> None:
    assert compiled(f"receiver == {OSMO_ACCOUNT}", prefix=None).matches({"receiver": OSMO_ACCOUNT})


def test_without_denoms_base_amounts_still_compare() -> None:
    loose = parse_cosmos_filter("amount >= 1000000uosmo and amount < 2000000uosmo")

    assert loose.matches({"amount": "1500000uosmo"})
    assert not loose.matches({"amount": "2500000uosmo"})


def test_an_amount_with_an_unknown_denom_is_text_for_equality() -> None:
    as_text = compiled("amount == 1000uosmo")

    assert as_text.source == 'amount == "1000uosmo"'
    assert as_text.matches({"amount": "1000uosmo"})
    assert not as_text.matches({"amount": "1000uosmo,5uatom"})


@pytest.mark.parametrize(
    "value",
    [None, "", "garbage", "1.5", "-3basetcro", "5basetcro,", "1e9basetcro", "9" * 5000, 7, {}],
)
def test_values_that_are_no_amount_do_not_match_and_do_not_raise(value: Any) -> None:
    assert compiled("amount >= 1basetcro").matches({"amount": value}) is False
    assert compiled("amount != 1basetcro").matches({"amount": value}) is isinstance(value, str)


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ("amount ~ 5", "filter.syntax", "expected an operator"),
        ("amount >", "filter.syntax", "expected a value"),
        ("amount >= 5 amount", "filter.syntax", "'and', 'or' or the end"),
        (f"recipient == {SENDER[:-1]}w", "filter.bad_value", "not a valid bech32 address"),
        (f"recipient == {OSMO_ACCOUNT}", "filter.wrong_prefix", "start with tcro1…"),
        ("amount >= 1.5OSMO", "filter.unknown_denom", "knows TCRO (basetcro, 8 decimals), ATOM"),
        ("amount >= 5uosmo", "filter.unknown_denom", "'uosmo' is not a denomination"),
        ('amount >= "1.5 ibc/ABC"', "filter.unknown_denom", "'ibc/ABC'"),
        ("amount >= 1.123456789TCRO", "filter.amount_precision", "at most 8 decimal places"),
        ("amount == 0.5basetcro", "filter.amount_precision", "whole numbers only"),
        ("action > send", "filter.bad_operator", "use == or != for text"),
        (f"recipient < {RECIPIENT}", "filter.bad_operator", "is address"),
        ("hash > 0x1234", "filter.bad_operator", "is text"),
        ("action == '\ud800'", "filter.bad_value", "valid Unicode"),
        ("x == 1 or " * 200 + "x == 1", "filter.too_long", f"at most {MAX_LENGTH}"),
        ("(" * 40 + "x == 1" + ")" * 40, "filter.too_deep", "nested more than"),
    ],
)
def test_errors_say_what_is_wrong(text: str, key: str, says: str) -> None:
    error = rejected(text)

    assert error.key == key
    assert says in str(error)


def test_a_display_amount_on_a_chain_without_denoms_asks_for_base_units() -> None:
    error = rejected("amount >= 1.5ATOM", denoms={})

    assert error.key == "filter.unknown_denom"
    assert "no display denominations configured: write whole base units" in str(error)


# --- properties ----------------------------------------------------------------------------

KEYS = ["amount", "recipient", "action", "count", "_contract_address"]
LITERALS_ANY_OP = ["1.5TCRO", "10basetcro", "42", "-0.5", '"3ibc/ABC"', '"2 tcro"', "0"]
LITERALS_EQUALITY = [*LITERALS_ANY_OP, RECIPIENT, "send", '"1000uosmo"', '""', "'a\\'b'", "true"]
VALUES = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(
        [
            RECIPIENT,
            RECIPIENT.upper(),
            "150000000basetcro",
            f"5basetcro,7{IBC}",
            "1.000000000000000001basetcro",
            "42",
            "-0.5",
            "0",
            "",
            ",",
            "9" * 200 + "basetcro",
            "send",
        ]
    ),
    st.integers(),
    st.lists(st.one_of(st.none(), st.text(max_size=10), st.just("10basetcro")), max_size=3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)
ATTRIBUTES = st.dictionaries(st.sampled_from([*KEYS, "", "other"]), VALUES, max_size=6)


@st.composite
def comparison(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(["==", "=", "!=", "<", ">", "<=", ">="]))
    pool = LITERALS_EQUALITY if op in ("==", "=", "!=") else LITERALS_ANY_OP
    return f"{draw(st.sampled_from(KEYS))} {op} {draw(st.sampled_from(pool))}"


def combined(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        children.map(lambda text: f"not ({text})"),
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(
            lambda parts: f"({parts[0]}) {parts[1]} ({parts[2]})"
        ),
    )


FILTERS = st.recursive(comparison(), combined, max_leaves=8)


@settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(FILTERS, ATTRIBUTES)
def test_random_filters_on_random_attributes_never_raise(text: str, args: dict[str, Any]) -> None:
    compiled_filter = compiled(text)
    negated = compiled(f"not ({text})")

    result = compiled_filter.matches(args)

    assert isinstance(result, bool)
    assert negated.matches(args) is not result
    assert compiled(compiled_filter.source).matches(args) is result


GARBAGE = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            [
                "(",
                ")",
                "not",
                "and",
                "OR",
                "amount",
                ">=",
                "==",
                "!=",
                "<",
                "1.5",
                "TCRO",
                '"',
                "'x'",
                "1.5TCRO",
                "5uosmo",
                RECIPIENT,
                RECIPIENT[:-1],
                OSMO_ACCOUNT,
                "0x",
                "-",
                "ibc/A",
                "1_",
                "é",
                " ",
            ]
        ),
        max_size=60,
    ).map(" ".join),
)


@settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(GARBAGE, ATTRIBUTES)
def test_any_text_either_compiles_or_raises_invalid_input(text: str, args: dict[str, Any]) -> None:
    try:
        compiled_filter = compiled(text)
    except InvalidInput as exc:
        assert exc.key.startswith("filter.")
        assert str(exc)
    else:
        assert isinstance(compiled_filter.matches(args), bool)
