"""Reading the REST API's answers about a denom: which display unit a metadata gives, which base
denom a trace names, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.cosmos_rest import bank_metadata
from watcher.cosmos_denoms import Denom
from watcher.cosmos_rest_answers import (
    MalformedAnswer,
    ibc_hash,
    is_askable,
    parse_denom_base,
    parse_metadata_unit,
    parse_trace_base,
)

HASH = "27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"


def answer(metadata: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": metadata}


def test_the_symbol_names_the_unit_and_the_display_units_exponent_scales_it() -> None:
    metadata = bank_metadata("uatom", "atom", 6, symbol="ATOM")
    assert parse_metadata_unit("uatom", answer(metadata)) == Denom("uatom", "ATOM", 6)


def test_without_a_symbol_the_display_unit_in_capitals_names_it() -> None:
    metadata = bank_metadata("uion", "ion", 6)
    assert parse_metadata_unit("uion", answer(metadata)) == Denom("uion", "ION", 6)


def test_a_display_unit_found_among_the_aliases_and_camel_case_names_are_read() -> None:
    metadata = {
        "base": "afet",
        "display": "fet",
        "denomUnits": [
            {"denom": "afet", "exponent": 0},
            {"denom": "FET", "exponent": "18", "aliases": ["fet"]},
        ],
        "symbol": "FET",
        "a_field_of_a_later_sdk": True,
    }
    assert parse_metadata_unit("afet", answer(metadata)) == Denom("afet", "FET", 18)


@pytest.mark.parametrize(
    "metadata",
    [
        {},  # the answer of some nodes for a denom without metadata
        bank_metadata("uosmo", "osmo", 6, symbol="OSMO"),  # another denom's
        {**bank_metadata("uion", "ion", 6), "display": "mion"},  # display not among the units
        bank_metadata("uion", "ion", 31, symbol="ION"),  # beyond any real token's decimals
        bank_metadata("uion", "the ion", 6, symbol="ION COIN"),  # names that are no word
        bank_metadata("uion", "ion", 6, symbol="I\nON") | {"display": "i\u200bon"},
    ],
    ids=["empty", "other-denom", "display-missing", "exponent", "spaces", "control"],
)
def test_a_metadata_that_gives_no_usable_unit_gives_none(metadata: dict[str, Any]) -> None:
    assert parse_metadata_unit("uion", answer(metadata)) is None


def test_a_readable_display_unit_stands_in_for_an_unreadable_symbol() -> None:
    metadata = bank_metadata("uion", "ion", 6, symbol="Ion token")
    assert parse_metadata_unit("uion", answer(metadata)) == Denom("uion", "ION", 6)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "metadata",
        {"metadata": "uion"},
        {"metadata": {"denom_units": [{"exponent": -1}]}},
        {"metadata": {"denom_units": [{"exponent": 2**40}]}},
    ],
)
def test_a_body_that_is_not_the_querys_json_is_malformed(body: Any) -> None:
    with pytest.raises(MalformedAnswer):
        parse_metadata_unit("uion", body)


def test_both_trace_shapes_give_the_base_denom() -> None:
    v8 = {"denom_trace": {"path": "transfer/channel-0", "base_denom": "uatom"}}
    v10 = {"denom": {"base": "uatom", "trace": [{"port_id": "transfer", "channel_id": "c-0"}]}}
    assert parse_trace_base(v8) == parse_denom_base(v10) == "uatom"


def test_a_trace_naming_no_sdk_denom_gives_none() -> None:
    no_base = {"denom_trace": {"path": "transfer/channel-0", "base_denom": ""}}
    assert parse_trace_base(no_base) is None
    assert parse_denom_base({"denom": {"base": "x/../../admin"}}) is None
    assert parse_denom_base({}) is None


@pytest.mark.parametrize("trace", ["uatom", {"base_denom": 7, "base": 7}])
def test_a_trace_that_is_not_the_querys_json_is_malformed(trace: Any) -> None:
    with pytest.raises(MalformedAnswer):
        parse_trace_base({"denom_trace": trace})
    with pytest.raises(MalformedAnswer):
        parse_denom_base({"denom": trace})


def test_only_ibc_vouchers_have_a_trace_hash_and_only_plain_denoms_are_asked_for() -> None:
    assert ibc_hash(f"ibc/{HASH}") == HASH
    assert ibc_hash("uatom") is None and ibc_hash("ibc/XYZ") is None
    assert is_askable(f"ibc/{HASH}") and is_askable("factory/osmo1abc/token")
    assert not is_askable("ab/../cosmos") and not is_askable("ab//c") and not is_askable("u?x=1")
