"""The syntax of filters: tokens, and recursive descent over and, or, not and parentheses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from watcher.abi import shown
from watcher.errors import InvalidInput

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
_KEYWORDS = ("and", "or", "not")
_OR, _AND, ATOM = 0, 1, 2
"""Binding strength of a rendered node: how much parenthesising it needs inside another."""

Token = tuple[str, str, int]
"""(kind, text, position): kind is a group of the token pattern, "end" or "bad"."""
Node = tuple[Predicate, str, int]
"""(predicate, normalized source, binding strength)."""
CompileComparison = Callable[[str, dict[str, Any], str, Token], Node]
"""(argument name, its ABI input, operator, value token) -> the comparison's node."""
_Combine = Callable[[tuple[Predicate, ...]], Predicate]


def parse_expression(
    text: str, inputs: dict[str, dict[str, Any]], compile_comparison: CompileComparison
) -> tuple[Predicate, str, tuple[str, ...]]:
    """The predicate of `text`, its normalized source and the argument names it reads."""
    parser = _Parser(text, inputs, compile_comparison)
    predicate, source, _ = parser.parse()
    return predicate, source, tuple(sorted(parser.names))


def _tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while (found := _TOKEN_RE.match(text, position)) is not None:
        kind = str(found.lastgroup)  # exactly one alternative matched
        tokens.append((kind, found.group(kind), found.start(kind)))
        position = found.end()
    rest = len(text) - len(text[position:].lstrip())
    tokens.append(("end", "", rest) if rest == len(text) else ("bad", text[rest], rest))
    return tokens


def _describe(token: Token) -> str:
    kind, text, _ = token
    if kind == "end":
        return "the end"
    if kind == "bad" and text in "\"'":
        return "an unclosed quote"
    return repr(shown(text))


class _Parser:
    """Recursive descent with an explicit depth bound, so deep nesting never exhausts the stack."""

    def __init__(
        self,
        text: str,
        inputs: dict[str, dict[str, Any]],
        compile_comparison: CompileComparison,
    ) -> None:
        self.inputs = inputs
        self.compile_comparison = compile_comparison
        self.tokens = _tokens(text)
        self.at = 0
        self.names: set[str] = set()

    def peek(self) -> Token:
        return self.tokens[self.at]

    def advance(self) -> Token:
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

    def parse(self) -> Node:
        node = self.expression(0)
        if self.peek()[0] != "end":
            raise self.syntax_error("'and', 'or' or the end of the filter")
        return node

    def expression(self, depth: int) -> Node:
        nodes = [self.term(depth)]
        while self.keyword("or"):
            nodes.append(self.term(depth))
        return _join(nodes, _OR, "or", _any_of)

    def term(self, depth: int) -> Node:
        nodes = [self.factor(depth)]
        while self.keyword("and"):
            nodes.append(self.factor(depth))
        return _join(nodes, _AND, "and", _all_of)

    def factor(self, depth: int) -> Node:
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
            inner = source if strength == ATOM else f"({source})"
            return _negation(predicate), f"not {inner}", ATOM
        node = self.expression(depth + 1)
        if self.peek()[:2] != ("paren", ")"):
            raise self.syntax_error("'and', 'or' or ')'")
        self.advance()
        return node

    def comparison(self) -> Node:
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
        return self.compile_comparison(name, self.inputs[name], op, value_token)


def _join(nodes: list[Node], strength: int, word: str, combine: _Combine) -> Node:
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
