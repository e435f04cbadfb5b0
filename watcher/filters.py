"""Argument filters of subscriptions: a small expression language compiled to closures."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak

from watcher.abi import normalize_event, parse_address
from watcher.errors import InvalidInput

MAX_LENGTH = 1000
MAX_DEPTH = 32

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>==|!=|<=|>=|=|<|>)
    | (?P<paren>[()])
    | (?P<number>-?[0-9](?:[0-9A-Za-z_.]|(?<=[eE])[+-])*)
    | (?P<word>[A-Za-z_$][A-Za-z0-9_$]*)
    )""",
    re.VERBOSE | re.DOTALL,
)
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
_KEYWORDS = ("and", "or", "not")
_OR, _AND, _ATOM = 0, 1, 2
"""Binding strength of a rendered node: how much parenthesising it needs inside another."""

_Token = tuple[str, str, int]
_Combine = Callable[[tuple[Predicate, ...]], Predicate]
_Node = tuple[Predicate, str, int]
"""(predicate, normalized source, binding strength)."""


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _always(args: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Filter:
    """A compiled filter; `source` is its normalized text, which parses to the same filter."""

    source: str
    predicate: Predicate = field(default=_always, repr=False, compare=False)
    names: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """The arguments the filter reads: when one is missing, nothing matches."""

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
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            "filter.too_long",
            f"the filter has {len(text)} characters: at most {MAX_LENGTH} are allowed",
            length=len(text),
            limit=MAX_LENGTH,
        )
    if not text.strip():
        return Filter("")
    inputs = {item["name"]: item for item in normalize_event(event)["inputs"]}
    parser = _Parser(text, inputs)
    predicate, source, _ = parser.parse()
    return Filter(source, predicate, tuple(sorted(parser.names)))


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while (found := _TOKEN_RE.match(text, position)) is not None:
        kind = str(found.lastgroup)  # exactly one alternative matched
        tokens.append((kind, found.group(kind), found.start(kind)))
        position = found.end()
    rest = len(text) - len(text[position:].lstrip())
    tokens.append(("end", "", rest) if rest == len(text) else ("bad", text[rest], rest))
    return tokens


def _describe(token: _Token) -> str:
    kind, text, _ = token
    if kind == "end":
        return "the end"
    if kind == "bad" and text in "\"'":
        return "an unclosed quote"
    return repr(_shown(text))


class _Parser:
    """Recursive descent with an explicit depth bound, so deep nesting never exhausts the stack."""

    def __init__(self, text: str, inputs: dict[str, dict[str, Any]]) -> None:
        self.inputs = inputs
        self.tokens = _tokens(text)
        self.at = 0
        self.names: set[str] = set()

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def advance(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def syntax_error(self, expected: str) -> InvalidInput:
        token = self.peek()
        return InvalidInput(
            "filter.syntax",
            f"filter, character {token[2] + 1}: expected {expected}, found {_describe(token)}",
            position=token[2] + 1,
            expected=expected,
            found=_describe(token),
        )

    def keyword(self, word: str) -> bool:
        kind, text, _ = self.peek()
        if kind == "word" and text.lower() == word:
            self.at += 1
            return True
        return False

    def parse(self) -> _Node:
        node = self.expression(0)
        if self.peek()[0] != "end":
            raise self.syntax_error("'and', 'or' or the end of the filter")
        return node

    def expression(self, depth: int) -> _Node:
        nodes = [self.term(depth)]
        while self.keyword("or"):
            nodes.append(self.term(depth))
        return _join(nodes, _OR, "or", _any_of)

    def term(self, depth: int) -> _Node:
        nodes = [self.factor(depth)]
        while self.keyword("and"):
            nodes.append(self.factor(depth))
        return _join(nodes, _AND, "and", _all_of)

    def factor(self, depth: int) -> _Node:
        kind, text, position = self.peek()
        word = text.lower() if kind == "word" else None
        if word is not None and word not in _KEYWORDS:
            return self.comparison()
        if word in ("and", "or") or (kind != "word" and (kind, text) != ("paren", "(")):
            raise self.syntax_error("an argument name, 'not' or '('")
        if depth >= MAX_DEPTH:
            raise InvalidInput(
                "filter.too_deep",
                f"filter, character {position + 1}: nested more than {MAX_DEPTH} levels deep",
                position=position + 1,
                limit=MAX_DEPTH,
            )
        self.advance()
        if word == "not":
            predicate, source, strength = self.factor(depth + 1)
            inner = source if strength == _ATOM else f"({source})"
            return _negation(predicate), f"not {inner}", _ATOM
        node = self.expression(depth + 1)
        if self.peek()[:2] != ("paren", ")"):
            raise self.syntax_error("'and', 'or' or ')'")
        self.advance()
        return node

    def comparison(self) -> _Node:
        name_token = self.advance()
        name = name_token[1]
        if name not in self.inputs:
            available = list(self.inputs)
            raise InvalidInput(
                "filter.unknown_argument",
                f"the event has no argument {name!r}: it has {', '.join(available) or 'none'}",
                name=name,
                available=available,
            )
        if self.peek()[0] != "op":
            raise self.syntax_error("an operator: ==, !=, <, >, <= or >=")
        op = self.advance()[1]
        op = "==" if op == "=" else op
        if self.peek()[0] not in ("number", "word", "string"):
            raise self.syntax_error("a value")
        value_token = self.advance()
        self.names.add(name)
        return _compile_comparison(name, self.inputs[name], op, value_token)


def _join(nodes: list[_Node], strength: int, word: str, combine: _Combine) -> _Node:
    if len(nodes) == 1:
        return nodes[0]
    sources = [text if binding > strength else f"({text})" for _, text, binding in nodes]
    return combine(tuple(node[0] for node in nodes)), f" {word} ".join(sources), strength


def _any_of(predicates: tuple[Predicate, ...]) -> Predicate:
    def match(args: dict[str, Any]) -> bool:
        # any() over a generator costs a generator object per log; the loop does not.
        for predicate in predicates:  # noqa: SIM110
            if predicate(args):
                return True
        return False

    return match


def _all_of(predicates: tuple[Predicate, ...]) -> Predicate:
    def match(args: dict[str, Any]) -> bool:
        for predicate in predicates:  # noqa: SIM110 (see _any_of)
            if not predicate(args):
                return False
        return True

    return match


def _negation(predicate: Predicate) -> Predicate:
    return lambda args: not predicate(args)


# --- comparisons, typed by the argument's ABI type ----------------------------------------

_ValueParser = Callable[[str, str, _Token], tuple[Any, str]]
"""(argument name, ABI type, value token) -> (constant compared against, normalized text)."""


def _compile_comparison(name: str, item: dict[str, Any], op: str, token: _Token) -> _Node:
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
    return (lambda args: compare(args[name], constant)), f"{name} {op} {shown}", _ATOM


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
    if type_.startswith("bytes") and type_[5:].isdigit():
        return _bytes_value, _EQUALITY
    return None


def _bad_value(name: str, type_: str, token: _Token, expected: str) -> InvalidInput:
    return InvalidInput(
        "filter.bad_value",
        f"argument {name!r} is of type {type_}: {_shown(token[1])!r} is not {expected}",
        name=name,
        type=type_,
        value=_shown(token[1]),
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

    def parse(name: str, type_: str, token: _Token) -> tuple[Any, str]:
        value = _integer_literal(token[1]) if token[0] == "number" else None
        if value is None:
            raise _bad_value(name, type_, token, "an integer such as 1000, 1_000, 0x3e8 or 1e18")
        if not low <= value <= high:
            raise InvalidInput(
                "filter.out_of_range",
                f"argument {name!r} is of type {type_}: {_shown(token[1])} is outside"
                f" {low}..{high}",
                name=name,
                type=type_,
                value=_shown(token[1]),
                minimum=str(low),
                maximum=str(high),
            )
        return value, str(value)

    return parse


def _address_value(name: str, type_: str, token: _Token) -> tuple[Any, str]:
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


def _bool_value(name: str, type_: str, token: _Token) -> tuple[Any, str]:
    text = token[1].lower() if token[0] == "word" else ""
    if text not in ("true", "false"):
        raise _bad_value(name, type_, token, "true or false")
    return text == "true", text


def _string_value(name: str, type_: str, token: _Token) -> tuple[Any, str]:
    if token[0] != "string":
        raise _bad_value(name, type_, token, 'a quoted string such as "abc"')
    value = re.sub(r"\\(.)", r"\1", token[1][1:-1], flags=re.DOTALL)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no event string can ever hold them
        raise _bad_value(name, type_, token, "text that is valid Unicode") from None
    return value, '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bytes_value(name: str, type_: str, token: _Token) -> tuple[Any, str]:
    found = _HEX_BYTES_RE.fullmatch(token[1]) if token[0] == "number" else None
    size = int(type_[5:]) if type_ != "bytes" else None
    if found is None or (size is not None and len(found.group(1)) != 2 * size):
        digits = "an even number of" if size is None else str(2 * size)
        raise _bad_value(name, type_, token, f"0x followed by {digits} hex digits")
    value = "0x" + found.group(1).lower()
    return value, value


def _hashed(parse_value: _ValueParser) -> _ValueParser:
    """Indexed strings and bytes are only their keccak256 hash in the log: compare hashes."""

    def parse(name: str, type_: str, token: _Token) -> tuple[Any, str]:
        value, shown = parse_value(name, type_, token)
        raw = value.encode("utf-8") if type_ == "string" else bytes.fromhex(value[2:])
        return "0x" + keccak(raw).hex(), shown

    return parse
