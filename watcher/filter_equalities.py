"""Which equalities a filter cannot pass without (`to == 0xabc…`), so the subscription index
can file it by value, read from the filter's truth table."""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

from watcher.filter_parser import ATOM, CompileComparison, Node, Token, parse_expression

MAX_TABULATED_COMPARISONS = 8
"""Filters with more comparisons get no equalities (their truth table would be too long)."""

Equalities = tuple[tuple[str, Any], ...]
"""(argument, value) pairs."""


class Comparison(NamedTuple):
    """One comparison of a filter as its parse compiled it."""

    name: str
    op: str
    constant: Any
    source: str


def equalities_of(
    text: str, inputs: dict[str, dict[str, Any]], comparisons: list[Comparison]
) -> tuple[Equalities, bool]:
    """The equalities of the filter `text` one of which holds whenever it passes, or () when it
    can pass with none; and whether holding one is enough to pass (`to == A or to == B`).

    Each comparison is taken as true or false on its own, which covers every log there can
    be (comparisons of one argument are not independent, so some rows cannot happen: they
    only make the answer more cautious). `comparisons` are those of the filter's parse, in
    order.
    """
    equal = tuple(c.op == "==" for c in comparisons)
    pairs = tuple(dict.fromkeys((c.name, c.constant) for c in comparisons if c.op == "=="))
    if not pairs or len(comparisons) > MAX_TABULATED_COMPARISONS:
        return (), False
    truth_of = parse_expression(text, inputs, _truth_lookups())[0]
    # Enough to pass only when the filter reads one argument: a missing one fails it.
    decided = all(equal) and len({c.name for c in comparisons}) == 1
    for truths in itertools.product((False, True), repeat=len(comparisons)):
        passes = truth_of({str(i): truth for i, truth in enumerate(truths)})
        holds = any(t and e for t, e in zip(truths, equal, strict=True))
        if passes and not holds:
            return (), False
        decided = decided and (passes or not holds)
    return pairs, decided


def _truth_lookups() -> CompileComparison:
    """Compiles the comparisons, in order, to look-ups of "0", "1", ... in a table of truths
    (the first parse checked their values)."""
    numbers = itertools.count()

    def compile_comparison(name: str, item: dict[str, Any], op: str, token: Token) -> Node:
        key = str(next(numbers))
        return (lambda truths: bool(truths[key])), "", ATOM

    return compile_comparison
