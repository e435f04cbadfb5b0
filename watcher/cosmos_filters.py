"""Attribute filters of Cosmos subscriptions: the grammar of every filter (`and`, `or`, `not`,
parentheses, comparisons; see watcher/filter_parser.py) over an event's attributes.

An ABCI event has no ABI, so any attribute key may be named (the tokenizer's names:
`[A-Za-z_$][A-Za-z0-9_$]*`, so `_contract_address` or `msg_index` but no key with a dot or a
dash), and the literal decides how values compare:

- a bech32 address (`prefix1…`, quoted or not) is validated with cosmpy and, when the chain's
  account prefix is known, its prefix must start with it (`cosmos1…`, `cosmosvaloper1…`;
  Crypto.org's validators are `crocncl1…`); values compare case-insensitively, as bech32 is;
- a number (`42`, `-1.5`, `1_000`) compares with values that are plain numbers, exactly;
- an amount (`1500000uatom`, `1.5ATOM`, `"1.5 atom"`, `"5ibc/27394…"`) compares with the coin
  of that denom in a coin-list value (`5uatom,7ibc/…`); a value without that denom (or not a
  coin list) does not compare. Display amounts are turned into base units with the chain's
  denoms. For `==`/`!=` an amount is only an amount when its denom is one of the chain's
  denoms, otherwise it is text; for `<`, `>`, `<=`, `>=` an unknown plain denom is an error
  (a typo would silently never match), but path-like ones (`ibc/…`, `factory/…/…`, `cw20:…`),
  which chains create without end, and any denom of a chain with no denoms configured, are
  taken as base denoms;
- anything else is text, compared exactly; text cannot be ordered.

A key may repeat in one event: a comparison holds when ANY of its values does, `!=` when the
key has a value and none equals. A comparison on a key the event lacks (or whose values are
all null) is false, `!=` included; `not` turns that into true. Matching never raises.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cosmpy.crypto.address import Address

from watcher.abi import shown
from watcher.cosmos_denoms import (
    DENOM_PATTERN,
    NO_DENOMS,
    Amount,
    Denom,
    display_index,
    format_display,
    parse_coins,
    parse_number,
    to_base_units,
)
from watcher.errors import InvalidInput
from watcher.filter_parser import ATOM, Node, Predicate, Token, parse_expression
from watcher.filters import MAX_LENGTH

ValueTest = Callable[[str], bool]
"""Whether one attribute value passes a comparison."""

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_EQUALITY = ("==", "!=")
_NUMBER_RE = re.compile(r"(-?)([0-9](?:_?[0-9])*)(?:\.([0-9](?:_?[0-9])*))?")
_COIN_RE = re.compile(rf"([0-9](?:_?[0-9])*)(?:\.([0-9](?:_?[0-9])*))?\s*({DENOM_PATTERN})")
_BARE_RE = re.compile(r"[0-9][0-9A-Za-z_.]*")
"""Literals the tokenizer reads as one number token: shown without quotes."""
_MIN_ADDRESS_DATA = 38
"""Bech32 characters after the `1` of a 20-byte address (32 of data, 6 of checksum)."""
_MAX_PREFIX = 83


def _always(args: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class CosmosFilter:
    """A compiled attribute filter; `source` is its normalized text, which parses (with the
    same denoms and prefix) to the same filter."""

    source: str
    predicate: Predicate = field(default=_always, repr=False, compare=False)
    names: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """The attribute keys the filter reads."""

    def matches(self, args: dict[str, Any]) -> bool:
        """Whether an event's attributes (key -> value, or list of values) pass; never raises."""
        try:
            return self.predicate(args)
        except (TypeError, ValueError, ArithmeticError):  # a value no node should send
            return False


def parse_cosmos_filter(
    text: str, *, denoms: Mapping[str, Denom] = NO_DENOMS, bech32_prefix: str | None = None
) -> CosmosFilter:
    """Compile `text` for a chain with these denoms (keyed by base denom) and account prefix
    (`cosmos`; None accepts any valid bech32 address); blank text always matches."""
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            "filter.too_long",
            f"the filter has {len(text)} characters: at most {MAX_LENGTH} are allowed",
            length=len(text),
            limit=MAX_LENGTH,
        )
    if not text.strip():
        return CosmosFilter("")
    literals = _Literals(denoms, bech32_prefix)
    predicate, source, names = parse_expression(text, _AnyKey(), literals.comparison)
    return CosmosFilter(source, predicate, names)


class _AnyKey(dict[str, dict[str, Any]]):
    """The "inputs" of an ABCI event for the parser: every name is a possible attribute key."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> dict[str, Any]:
        return {}


def _values(value: object) -> tuple[str, ...]:
    """An attribute's text values: one, several for a repeated key, none when null."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _predicate(name: str, negated: bool, test: ValueTest) -> Predicate:
    if negated:

        def differs(args: dict[str, Any]) -> bool:
            values = _values(args.get(name))
            return bool(values) and not any(map(test, values))

        return differs

    return lambda args: any(map(test, _values(args.get(name))))


def _number_test(compare: Callable[[Any, Any], bool], constant: Amount) -> ValueTest:
    def test(value: str) -> bool:
        number = parse_number(value)
        return number is not None and compare(number, constant)

    return test


def _coin_test(denom: str, compare: Callable[[Any, Any], bool], constant: int) -> ValueTest:
    def test(value: str) -> bool:
        for found, amount in parse_coins(value) or ():
            if found == denom and compare(amount, constant):
                return True
        return False

    return test


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number_literal(text: str) -> tuple[Amount, str] | None:
    """A plain number literal: its exact value and canonical text (`-0.50` -> -0.5, "-0.5")."""
    found = _NUMBER_RE.fullmatch(text)
    if found is None:
        return None
    sign, whole, fraction = found.group(1), found.group(2), found.group(3) or ""
    canonical = format_display(whole.replace("_", ""), fraction.replace("_", ""))
    if canonical == "0":
        return 0, "0"
    canonical = sign + canonical
    return (Decimal(canonical) if "." in canonical else int(canonical)), canonical


class _Literals:
    """Compiles comparisons for one chain: its denoms and its address prefixes."""

    def __init__(self, denoms: Mapping[str, Denom], bech32_prefix: str | None) -> None:
        self.by_base = {denom.base: denom for denom in denoms.values()}
        self.by_display = display_index(denoms)
        self.prefix = bech32_prefix.lower() if bech32_prefix else None

    def chain_prefix(self, prefix: str) -> bool:
        """Whether an address prefix is one of this chain's: accounts, validators, keys."""
        return self.prefix is None or prefix.lower().startswith(self.prefix)

    def comparison(self, name: str, item: dict[str, Any], op: str, token: Token) -> Node:
        text = self.literal_text(name, token)
        if op in _EQUALITY:
            test, canonical = self.equality(name, text)
        else:
            test, canonical = self.ordering(name, op, text)
        return _predicate(name, op == "!=", test), f"{name} {op} {canonical}", ATOM

    def literal_text(self, name: str, token: Token) -> str:
        kind, raw, _ = token
        if kind != "string":
            return raw
        value = re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.DOTALL)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: no attribute can ever hold them
            raise _bad_value(name, "text", raw, "text that is valid Unicode") from None
        return value

    def equality(self, name: str, text: str) -> tuple[ValueTest, str]:
        address = self.address(name, text)
        if address is not None:
            return (lambda value: value.lower() == address), address
        coin = self.coin(name, text, strict=False)
        if coin is not None:
            denom, amount, canonical = coin
            return _coin_test(denom, operator.eq, amount), canonical
        number = _number_literal(text)
        if number is not None:
            return _number_test(operator.eq, number[0]), number[1]
        return (lambda value: value == text), _quoted(text)

    def ordering(self, name: str, op: str, text: str) -> tuple[ValueTest, str]:
        compare = _OPERATORS[op]
        number = _number_literal(text)
        if number is not None:
            return _number_test(compare, number[0]), number[1]
        coin = self.coin(name, text, strict=True)
        if coin is not None:
            denom, amount, canonical = coin
            return _coin_test(denom, compare, amount), canonical
        kind = "address" if self.looks_like_address(text) else "text"
        raise InvalidInput(
            "filter.bad_operator",
            f"attribute {name!r}: {shown(text)!r} is {kind}, which {op} cannot order; {op}"
            " compares numbers (42) and amounts (1500000uatom, 1.5ATOM): use == or != for"
            f" {kind}",
            name=name,
            type=kind,
            operator=op,
            expected=list(_EQUALITY),
        )

    def looks_like_address(self, text: str) -> bool:
        """`prefix1…` with enough data for an account: meant as an address, typo or not.
        Hex hashes (`1A2B…`, `0x…`) and words (`v1beta1`) are not."""
        prefix, separator, data = text.rpartition("1")
        return (
            bool(separator)
            and len(data) >= _MIN_ADDRESS_DATA
            and data.isascii()
            and data.isalnum()
            and 0 < len(prefix) <= _MAX_PREFIX
            and (
                (prefix.isascii() and prefix.isalpha())
                or (self.prefix is not None and self.chain_prefix(prefix))
            )
        )

    def address(self, name: str, text: str) -> str | None:
        """The lower-case address `text` spells, None when it is not meant as one."""
        if not self.looks_like_address(text):
            return None
        expected = f"{self.prefix or 'cosmos'}1…"
        try:
            Address(text)
        except (RuntimeError, TypeError, ValueError):
            expected_text = f"a valid bech32 address such as {expected}"
            raise _bad_value(name, "bech32 address", text, expected_text) from None
        prefix = text.rpartition("1")[0].lower()
        if not self.chain_prefix(prefix):
            raise InvalidInput(
                "filter.wrong_prefix",
                f"attribute {name!r}: {shown(text)!r} is an address of another chain"
                f" ({prefix}1…): this chain's addresses start with {expected}",
                name=name,
                value=shown(text),
                prefix=f"{prefix}1…",
                expected=expected,
            )
        return text.lower()

    def coin(self, name: str, text: str, *, strict: bool) -> tuple[str, int, str] | None:
        """(base denom, amount in base units, canonical text) of an amount literal. None when
        `text` is no amount, or (not `strict`) its denom is not one of the chain's."""
        found = None if text[:2] in ("0x", "0X") else _COIN_RE.fullmatch(text)
        if found is None:
            return None
        whole = found.group(1).replace("_", "")
        fraction = (found.group(2) or "").replace("_", "")
        written = found.group(3)
        base = self.by_base.get(written)
        denom = base or self.by_display.get(written.lower())
        if denom is not None:
            exponent, label = (0, written) if base else (denom.exponent, denom.display)
            amount = to_base_units(whole, fraction, exponent)
            if amount is None:
                raise _precision(name, text, label, exponent)
            return denom.base, amount, _shown_amount(format_display(whole, fraction) + label)
        if not strict:
            return None
        if self.by_base and "/" not in written and ":" not in written:
            raise self.unknown_denom(name, written)
        if fraction.rstrip("0"):
            raise self.unknown_denom(name, written)
        return written, int(whole), _shown_amount(str(int(whole)) + written)

    def unknown_denom(self, name: str, written: str) -> InvalidInput:
        known = [f"{d.display} ({d.base}, {d.exponent} decimals)" for d in self.by_base.values()]
        advice = (
            f"this chain knows {', '.join(known)}"
            if known
            else "this chain has no display denominations configured: write whole base units"
        )
        return InvalidInput(
            "filter.unknown_denom",
            f"attribute {name!r}: {shown(written)!r} is not a denomination of this chain;"
            f" {advice}; ibc/…, factory/… and cw20:… denominations are taken as written",
            name=name,
            denom=shown(written),
            known=known,
        )


def _shown_amount(text: str) -> str:
    return text if _BARE_RE.fullmatch(text) else _quoted(text)


def _bad_value(name: str, kind: str, raw: str, expected: str) -> InvalidInput:
    return InvalidInput(
        "filter.bad_value",
        f"attribute {name!r}: {shown(raw)!r} is not {expected}",
        name=name,
        type=kind,
        value=shown(raw),
        expected=expected,
    )


def _precision(name: str, text: str, label: str, exponent: int) -> InvalidInput:
    places = f"at most {exponent} decimal places" if exponent else "whole numbers only"
    return InvalidInput(
        "filter.amount_precision",
        f"attribute {name!r}: {shown(text)!r} is not a whole number of base units:"
        f" amounts in {label} take {places}",
        name=name,
        value=shown(text),
        denom=label,
        decimals=exponent,
    )
