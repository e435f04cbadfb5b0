"""The comparisons of one way to pass a Cosmos filter, read from its normalized source
(watcher/cosmos_filters.py writes it): all of those joined by `and`, those of the first
alternative of an `or`, none under `not` (a match passes it by what it does not hold).

Pure. The normalized source separates tokens by spaces, writes keywords in lower case and
quotes every text value, so a bare `and`, `or` or `not` is always a keyword.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[()]|[^\s()"]+')
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Comparison:
    """`name op value`; `value` is the literal as the filter means it, without quotes."""

    name: str
    op: str
    value: str


def matching_comparisons(source: str) -> list[Comparison]:
    """The comparisons of one way to pass a normalized filter, in order: an event holding
    values that pass them all passes the filter, unless a `not` or `!=` says otherwise."""
    return _matching(_TOKEN_RE.findall(source))


def _matching(tokens: list[str]) -> list[Comparison]:
    first = _split(tokens, "or")[0]
    found: list[Comparison] = []
    for factor in _split(first, "and"):
        if factor[:1] == ["("]:
            found += _matching(factor[1:-1])
        elif len(factor) == 3 and factor[0] != "not":
            name, op, literal = factor
            found.append(Comparison(name, op, _unquoted(literal)))
    return found


def _split(tokens: list[str], keyword: str) -> list[list[str]]:
    """The tokens between the keyword's occurrences outside parentheses."""
    parts: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        if depth == 0 and token == keyword:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _unquoted(literal: str) -> str:
    if not literal.startswith('"'):
        return literal
    return _ESCAPE_RE.sub(r"\1", literal[1:-1])
