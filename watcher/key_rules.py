"""The subscriptions of one index key (an emitter and topic0), filed so that a log is offered
only to those whose filter it can pass.

Subscriptions with the same filter and required event name form one group, whose filter runs
once per log for all of them. A group whose filter needs an argument to equal one of some
values (`to == 0xabc…`, Filter.equalities) is filed under those values; one whose filter is a
single lower bound (`value >= 1000`) is filed in order of its bound. A log of a token with
thousands of subscribers is then offered to the few groups its values can pass.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from sys import intern
from typing import Any

from watcher.filters import Filter

Target = tuple[int, int]
"""(subscription_id, destination_id)."""
LOWER_BOUNDS = (">=", ">")


@dataclass(frozen=True, slots=True, eq=False)
class RuleGroup:
    """Subscriptions of one key with the same filter and the same required event name."""

    filter: Filter | None
    """None: every log offered to the group passes (no filter, or one its place decides)."""
    only_name: str | None
    """For subscriptions without a selector (anonymous events): the decoded name required."""
    targets: tuple[Target, ...]

    def passes(self, name: str | None, args: dict[str, Any]) -> bool:
        return (self.only_name is None or self.only_name == name) and (
            self.filter is None or self.filter.matches(args)
        )


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Groups whose filter is `argument >= bound` (inclusive) or `argument > bound`, in
    ascending order of their bounds: a log passes those up to its argument's value."""

    argument: str
    inclusive: bool
    bounds: tuple[Any, ...]
    groups: tuple[RuleGroup, ...]

    def passed(self, args: dict[str, Any]) -> tuple[RuleGroup, ...]:
        value = args.get(self.argument)
        if value is None:
            return ()
        try:
            end = (bisect_right if self.inclusive else bisect_left)(self.bounds, value)
        except TypeError:  # a value of another type than the ABI says passes no bound
            return ()
        return self.groups[:end]


@dataclass(frozen=True, slots=True)
class KeyRules:
    """The groups of one key, or of one emitter's rules for any event."""

    always: tuple[RuleGroup, ...]
    """Offered every log of the key."""
    by_value: tuple[tuple[str, dict[Any, tuple[RuleGroup, ...]]], ...]
    """(argument, value -> groups): offered the logs whose argument has that value."""
    thresholds: tuple[Thresholds, ...]
    """Passed by the logs whose argument reaches their bound."""

    def candidates(self, args: dict[str, Any]) -> Sequence[RuleGroup]:
        """The groups the log may pass, each once."""
        if not self.by_value and not self.thresholds:
            return self.always
        found = list(self.always)
        for thresholds in self.thresholds:
            found += thresholds.passed(args)
        hits = 0
        for argument, groups_by_value in self.by_value:
            try:
                groups = groups_by_value.get(args.get(argument))
            except TypeError:  # a list (decoded by another ABI) equals no filter's value
                continue
            if groups:
                found += groups
                hits += 1
        # `from == A or to == A` is filed under two arguments, so a log may find it twice.
        return list(dict.fromkeys(found)) if hits > 1 else found


def filed_form(compiled: Filter) -> Filter:
    """What the rules keep of a filter: one filed by its bound or decided by its equalities
    never runs, so its text and predicate can go (an index holding thousands of such
    filters keeps only their values)."""
    comparison = compiled.comparison
    if (comparison is not None and comparison[1] in LOWER_BOUNDS) or (
        compiled.equalities and compiled.decided_by_equalities
    ):
        return Filter(
            "",
            equalities=tuple((intern(name), _shared(value)) for name, value in compiled.equalities),
            decided_by_equalities=compiled.decided_by_equalities,
            comparison=None if comparison is None else tuple(map(_shared, comparison)),
        )
    return compiled


def _shared(value: Any) -> Any:
    """Strings (argument names, operators, addresses) as one copy per process."""
    return intern(value) if type(value) is str else value


class KeyRulesBuilder:
    """Collects the subscriptions of one key, then files them."""

    def __init__(self, values: dict[Any, Any]) -> None:
        self._values = values
        """Shared by the builders of an index: one copy of each value filed under."""
        self._groups: dict[tuple[int, str | None], tuple[Filter | None, list[Target]]] = {}

    def add(self, compiled: Filter | None, only_name: str | None, target: Target) -> None:
        """`compiled` filters must be shared: one object stands for one filter."""
        key = (id(compiled), only_name)
        self._groups.setdefault(key, (compiled, []))[1].append(target)

    def build(self) -> KeyRules:
        always: list[RuleGroup] = []
        tables: dict[str, dict[Any, list[RuleGroup]]] = defaultdict(dict)
        bounded: dict[tuple[str, bool], list[tuple[Any, RuleGroup]]] = defaultdict(list)
        for (_, only_name), (compiled, targets) in self._groups.items():
            comparison = compiled.comparison if compiled is not None else None
            if comparison is not None and comparison[1] in LOWER_BOUNDS:
                argument, op, bound = comparison
                group = RuleGroup(None, only_name, tuple(targets))
                bounded[(argument, op == ">=")].append((bound, group))
            elif compiled is not None and compiled.equalities:
                kept = None if compiled.decided_by_equalities else compiled
                group = RuleGroup(kept, only_name, tuple(targets))
                for argument, value in compiled.equalities:
                    value = self._values.setdefault(value, value)
                    tables[argument].setdefault(value, []).append(group)
            else:
                always.append(RuleGroup(compiled, only_name, tuple(targets)))
        by_value = tuple(
            (argument, {value: tuple(groups) for value, groups in table.items()})
            for argument, table in tables.items()
        )
        return KeyRules(tuple(always), by_value, _thresholds(bounded))


def _thresholds(
    bounded: dict[tuple[str, bool], list[tuple[Any, RuleGroup]]],
) -> tuple[Thresholds, ...]:
    ordered = {key: sorted(items, key=lambda item: item[0]) for key, items in bounded.items()}
    return tuple(
        Thresholds(
            argument,
            inclusive,
            tuple(bound for bound, _ in items),
            tuple(group for _, group in items),
        )
        for (argument, inclusive), items in ordered.items()
    )
