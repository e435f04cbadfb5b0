"""The in-memory subscription index of a Cosmos chain: which ABCI events of a block matter,
to whom, after attribute filters.

A subscription names an event type (`event_name`: `transfer`, `wasm`, `wasm-swap`; a trailing
`*` makes it a prefix: `wasm-*` is every `wasm-…` event, `*` or None every event), optionally
a contract (`address`: the CosmWasm contract whose `_contract_address` attribute the event
must carry; "" for any emitter, block-level events included) and a filter on the attributes
(watcher/cosmos_filters.py). Rules are kept by type, then by contract, so an event costs a
dict lookup per distinct prefix length, plus the filters of the rules it hits.

Only the events of successful transactions (code 0) and block-level events (begin, end and
finalize block) match: a failed transaction's state changes were rolled back, whatever events
a node still reports for it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from watcher.cosmos_denoms import NO_DENOMS, Denom
from watcher.cosmos_filters import CosmosFilter, parse_cosmos_filter
from watcher.cosmos_types import CosmosBlock, CosmosEvent
from watcher.errors import InvalidInput
from watcher.matching import SubscriptionSource
from watcher.types import ChainEvent, Match

log = logging.getLogger(__name__)

CONTRACT_KEY = "_contract_address"
"""The attribute x/wasm puts first in every event a contract emits (contracts cannot set it)."""
WILDCARD = "*"


@dataclass(frozen=True, slots=True)
class EventTypePattern:
    """What `event_name` asks for: one type exactly, or (`prefix`) every type starting so."""

    text: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class CosmosRule:
    subscription_id: int
    destination_id: int
    filter: CosmosFilter | None


_Group = Mapping[str, tuple[CosmosRule, ...]]
"""Rules of one event type (or prefix) by contract address; "" holds those for any emitter."""


def parse_event_type(event_name: str | None) -> EventTypePattern:
    """The pattern of a subscription's `event_name`: `transfer`, `wasm-*`, `*` or None (every
    event). A `*` elsewhere than at the end, or a blank name, is refused."""
    if event_name is None:
        return EventTypePattern("", prefix=True)
    head, star, tail = event_name.partition(WILDCARD)
    if not event_name.strip() or tail:
        raise InvalidInput(
            "subscription.bad_event_type",
            f"{event_name!r} is not an event type: expected a type such as transfer or"
            " wasm-swap, or a prefix ending in * such as wasm-*",
            value=event_name,
        )
    return EventTypePattern(head, prefix=bool(star))


def compile_cosmos_rule(
    source: SubscriptionSource, denoms: Mapping[str, Denom], bech32_prefix: str | None
) -> tuple[EventTypePattern, CosmosRule]:
    """A subscription as the hot path evaluates it; raises InvalidInput when it cannot be."""
    pattern = parse_event_type(source.event_name)
    compiled = (
        parse_cosmos_filter(source.filter_expr, denoms=denoms, bech32_prefix=bech32_prefix)
        if source.filter_expr.strip()
        else None
    )
    return pattern, CosmosRule(source.subscription_id, source.destination_id, compiled)


def event_args(event: CosmosEvent) -> dict[str, Any]:
    """An event's attributes as a dict: a key that repeats keeps all its values in order as a
    list; a single value stays a string, a null stays None."""
    args: dict[str, Any] = {}
    for key, value in event.attributes:
        if key not in args:
            args[key] = value
            continue
        held = args[key]
        if isinstance(held, list):
            held.append(value)
        else:
            args[key] = [held, value]
    return args


def emitter_of(event: CosmosEvent) -> str:
    """The contract that emitted the event (its first `_contract_address`), or ""."""
    for key, value in event.attributes:
        if key == CONTRACT_KEY and value is not None:
            return value
    return ""


class CosmosIndex:
    """Active subscriptions of one Cosmos chain, keyed by event type and contract."""

    def __init__(
        self,
        chain: str,
        sources: Iterable[SubscriptionSource],
        denoms: Mapping[str, Denom] = NO_DENOMS,
        bech32_prefix: str | None = None,
    ) -> None:
        self.chain = chain
        exact: dict[str, dict[str, list[CosmosRule]]] = defaultdict(lambda: defaultdict(list))
        prefixed: dict[str, dict[str, list[CosmosRule]]] = defaultdict(lambda: defaultdict(list))
        for source in sources:
            try:
                pattern, rule = compile_cosmos_rule(source, denoms, bech32_prefix)
            except InvalidInput as exc:
                log.warning(
                    "subscription skipped: %s",
                    exc,
                    extra={"chain": chain, "subscription": source.subscription_id},
                )
                continue
            table = prefixed if pattern.prefix else exact
            table[pattern.text][source.address.lower()].append(rule)
        self._exact = _frozen(exact)
        self._prefixed = _frozen(prefixed)
        self._prefix_lengths = tuple(sorted({len(prefix) for prefix in prefixed}))

    @property
    def empty(self) -> bool:
        return not self._exact and not self._prefixed

    def match(self, block: CosmosBlock) -> list[Match]:
        """The block's matched events in block order, one Match per event with every
        (subscription, destination) it matched, sorted."""
        succeeded = {tx.index for tx in block.txs if tx.code == 0}
        matches: list[Match] = []
        for event in block.events:
            if event.tx_index is not None and event.tx_index not in succeeded:
                continue
            emitter = emitter_of(event)
            rules = self._rules_for(event.type, emitter.lower())
            if not rules:
                continue
            args = event_args(event)
            targets = {
                (rule.subscription_id, rule.destination_id)
                for rule in rules
                if rule.filter is None or rule.filter.matches(args)
            }
            if targets:
                matches.append(
                    Match(self._event(block, event, emitter, args), tuple(sorted(targets)))
                )
        return matches

    def _rules_for(self, kind: str, emitter: str) -> list[CosmosRule]:
        rules: list[CosmosRule] = []
        _collect(self._exact.get(kind), emitter, rules)
        for length in self._prefix_lengths:  # ascending
            if length > len(kind):
                break
            _collect(self._prefixed.get(kind[:length]), emitter, rules)
        return rules

    def _event(
        self, block: CosmosBlock, event: CosmosEvent, emitter: str, args: dict[str, Any]
    ) -> ChainEvent:
        return ChainEvent(
            chain=self.chain,
            block_number=block.height,
            block_hash=block.hash,
            transaction_hash=event.tx_hash or "",
            log_index=event.event_index,
            emitter=emitter,
            selector=None,
            name=event.type,
            args=args,
            topics=(),
            data="",
            msg_index=event.msg_index,
        )


def _frozen(table: Mapping[str, Mapping[str, list[CosmosRule]]]) -> dict[str, _Group]:
    return {
        kind: {address: tuple(rules) for address, rules in by_address.items()}
        for kind, by_address in table.items()
    }


def _collect(group: _Group | None, emitter: str, rules: list[CosmosRule]) -> None:
    if group is None:
        return
    rules.extend(group.get("", ()))
    if emitter:
        rules.extend(group.get(emitter, ()))
