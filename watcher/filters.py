"""Argument filters of subscriptions: compiled filters and their comparisons, typed by the ABI."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak

from watcher.abi import normalize_event, parse_address, shown
from watcher.errors import InvalidInput
from watcher.filter_equalities import Comparison, Equalities, equalities_of
from watcher.filter_parser import (
    ATOM,
    CompileComparison,
    Node,
    Predicate,
    Token,
    parse_expression,
)
from watcher.filter_parser import MAX_DEPTH as MAX_DEPTH

MAX_LENGTH = 1000

_HEX_INT_RE = re.compile(r"(-?)0[xX]([0-9a-fA-F](?:_?[0-9a-fA-F])*)")
_DECIMAL_RE = re.compile(r"(-?)([0-9](?:_?[0-9])*)(?:\.([0-9](?:_?[0-9])*))?(?:[eE]([+-]?[0-9]+))?")
_HEX_BYTES_RE = re.compile(r"0x((?:[0-9a-fA-F]{2})*)")
_INTEGER_TYPE_RE = re.compile(r"(u?)int([0-9]+)")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_EQUALITY = ("==", "!=")


def _always(args: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Filter:
    """A compiled filter; `source` is its normalized text, which parses to the same filter."""

    source: str
    predicate: Predicate = field(default=_always, repr=False, compare=False)
    names: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """The arguments the filter reads: when one is missing, nothing matches."""
    equalities: Equalities = field(default=(), repr=False, compare=False)
    """(argument, value) pairs one of which holds in every log the filter passes, so an index
    by value may pass over the logs that hold none; () when no such pairs are known
    (`value > 5`, `to == A or value > 5`)."""
    decided_by_equalities: bool = field(default=False, repr=False, compare=False)
    """Whether the filter is nothing but its equalities on one argument (`to == A`, `to == A or
    to == B`): a log holding one of them passes."""
    comparison: tuple[str, str, Any] | None = field(default=None, repr=False, compare=False)
    """(argument, operator, value) when the filter is that one comparison (`value >= 1000`)."""

    def matches(self, args: dict[str, Any]) -> bool:
        """Whether decoded arguments pass the filter; never raises."""
        try:
            for name in self.names:
                if name not in args:
                    return False
            return self.predicate(args)
        except TypeError:  # a value of another type than the ABI says cannot match
            return False


def parse_filter(text: str, event: dict[str, Any]) -> Filter:
    """Compile `text` against the arguments of `event`; blank text always matches."""
    _check_length(text)
    if not text.strip():
        return Filter("")
    return filter_parser(event)(text)


def filter_parser(event: dict[str, Any]) -> Callable[[str], Filter]:
    """parse_filter for many filters of one event: the event is read once."""
    inputs = {item["name"]: item for item in normalize_event(event)["inputs"]}

    def parse(text: str) -> Filter:
        _check_length(text)
        if not text.strip():
            return Filter("")
        comparisons: list[Comparison] = []
        predicate, source, names = parse_expression(text, inputs, _noting(comparisons))
        only = comparisons[0] if len(comparisons) == 1 else None
        if only is None or source != only.source:
            equalities, decided = equalities_of(text, inputs, comparisons)
            return Filter(source, predicate, names, equalities, decided)
        # The filter is its one comparison: the common case.
        equal = ((only.name, only.constant),) if only.op == "==" else ()
        comparison = (only.name, only.op, only.constant)
        return Filter(source, predicate, names, equal, bool(equal), comparison)

    return parse


def _check_length(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            "filter.too_long",
            f"the filter has {len(text)} characters: at most {MAX_LENGTH} are allowed",
            length=len(text),
            limit=MAX_LENGTH,
        )


def _noting(comparisons: list[Comparison]) -> CompileComparison:
    """Compiles comparisons as _compile_comparison does, noting each one in order."""

    def compile_comparison(name: str, item: dict[str, Any], op: str, token: Token) -> Node:
        node, constant = _compile_comparison(name, item, op, token)
        comparisons.append(Comparison(name, op, constant, node[1]))
        return node

    return compile_comparison


# --- comparisons, typed by the argument's ABI type ----------------------------------------

_ValueParser = Callable[[str, str, Token], tuple[Any, str]]
"""(argument name, ABI type, value token) -> (constant compared against, normalized text)."""


def _compile_comparison(name: str, item: dict[str, Any], op: str, token: Token) -> tuple[Node, Any]:
    """The comparison's node, and the constant it compares against."""
    type_: str = item["type"]
    rule = _value_rule(type_, bool(item.get("indexed")))
    if rule is None:
        raise InvalidInput(
            "filter.unsupported_type",
            f"argument {name!r} is of type {type_}, which filters cannot compare",
            name=name,
            type=type_,
        )
    parse_value, operators = rule
    if op not in operators:
        raise InvalidInput(
            "filter.bad_operator",
            f"argument {name!r} is of type {type_}: {op} does not apply to it, use"
            f" {' or '.join(operators)}",
            name=name,
            type=type_,
            operator=op,
            expected=list(operators),
        )
    constant, shown = parse_value(name, type_, token)
    compare = _OPERATORS[op]
    return ((lambda args: compare(args[name], constant)), f"{name} {op} {shown}", ATOM), constant


def _value_rule(type_: str, indexed: bool) -> tuple[_ValueParser, tuple[str, ...]] | None:
    if found := _INTEGER_TYPE_RE.fullmatch(type_):
        return _integer_parser(found.group(1) == "", int(found.group(2))), tuple(_OPERATORS)
    if type_ == "address":
        return _address_value, _EQUALITY
    if type_ == "bool":
        return _bool_value, _EQUALITY
    if type_ == "string":
        return (_hashed(_string_value) if indexed else _string_value), _EQUALITY
    if type_ == "bytes":
        return (_hashed(_bytes_value) if indexed else _bytes_value), _EQUALITY
    if type_.startswith("bytes") and type_[5:].isascii() and type_[5:].isdigit():
        return _bytes_value, _EQUALITY
    return None


def _bad_value(name: str, type_: str, token: Token, expected: str) -> InvalidInput:
    return InvalidInput(
        "filter.bad_value",
        f"argument {name!r} is of type {type_}: {shown(token[1])!r} is not {expected}",
        name=name,
        type=type_,
        value=shown(token[1]),
        expected=expected,
    )


def _integer_literal(text: str) -> int | None:
    """Decimal (1_000), hex (0x3e8) or scientific (1e18, 2.5e6) text of an exact integer."""
    if found := _HEX_INT_RE.fullmatch(text):
        magnitude = int(found.group(2), 16)
        return -magnitude if found.group(1) else magnitude
    found = _DECIMAL_RE.fullmatch(text)
    if found is None:
        return None
    sign, whole, fraction, exponent = found.groups()
    fraction = (fraction or "").replace("_", "")
    digits = whole.replace("_", "") + fraction
    mantissa, shift = int(digits), int(exponent or "0") - len(fraction)
    if mantissa == 0:
        return 0
    value: int
    if shift < 0:
        # A mantissa of n digits (not zero) is never a multiple of 10**k for k > n.
        if -shift > len(digits) or mantissa % 10**-shift:
            return None
        value = mantissa // 10**-shift
    else:
        # Past 10**100 every integer type overflows anyway; capping keeps "1e999999999" cheap.
        value = mantissa * 10 ** min(shift, 100)
    return -value if sign else value


def _integer_parser(signed: bool, bits: int) -> _ValueParser:
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)

    def parse(name: str, type_: str, token: Token) -> tuple[Any, str]:
        value = _integer_literal(token[1]) if token[0] == "number" else None
        if value is None:
            raise _bad_value(name, type_, token, "an integer such as 1000, 1_000, 0x3e8 or 1e18")
        if not low <= value <= high:
            raise InvalidInput(
                "filter.out_of_range",
                f"argument {name!r} is of type {type_}: {shown(token[1])} is outside {low}..{high}",
                name=name,
                type=type_,
                value=shown(token[1]),
                minimum=str(low),
                maximum=str(high),
            )
        return value, str(value)

    return parse


def _address_value(name: str, type_: str, token: Token) -> tuple[Any, str]:
    try:
        address = parse_address(token[1]) if token[0] == "number" else None
    except InvalidInput as exc:
        if exc.key == "address.bad_checksum":
            expected = "an address with a valid EIP-55 checksum (or in lower case)"
            raise _bad_value(name, type_, token, expected) from None
        address = None
    if address is None:
        raise _bad_value(name, type_, token, "an address: 0x followed by 40 hex digits")
    return address, address


def _bool_value(name: str, type_: str, token: Token) -> tuple[Any, str]:
    text = token[1].lower() if token[0] == "word" else ""
    if text not in ("true", "false"):
        raise _bad_value(name, type_, token, "true or false")
    return text == "true", text


def _string_value(name: str, type_: str, token: Token) -> tuple[Any, str]:
    if token[0] != "string":
        raise _bad_value(name, type_, token, 'a quoted string such as "abc"')
    value = re.sub(r"\\(.)", r"\1", token[1][1:-1], flags=re.DOTALL)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no event string can ever hold them
        raise _bad_value(name, type_, token, "text that is valid Unicode") from None
    return value, '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bytes_value(name: str, type_: str, token: Token) -> tuple[Any, str]:
    found = _HEX_BYTES_RE.fullmatch(token[1]) if token[0] == "number" else None
    size = int(type_[5:]) if type_ != "bytes" else None
    if found is None or (size is not None and len(found.group(1)) != 2 * size):
        digits = "an even number of" if size is None else str(2 * size)
        raise _bad_value(name, type_, token, f"0x followed by {digits} hex digits")
    value = "0x" + found.group(1).lower()
    return value, value


def _hashed(parse_value: _ValueParser) -> _ValueParser:
    """Indexed strings and bytes are only their keccak256 hash in the log: compare hashes."""

    def parse(name: str, type_: str, token: Token) -> tuple[Any, str]:
        value, shown = parse_value(name, type_, token)
        raw = value.encode("utf-8") if type_ == "string" else bytes.fromhex(value[2:])
        return "0x" + keccak(raw).hex(), shown

    return parse
