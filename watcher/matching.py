"""The in-memory subscription index: which logs matter, to whom, after argument filters."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from watcher.abi import event_selector
from watcher.decoding import AbiDecoder, storable_args
from watcher.errors import InvalidInput
from watcher.filters import Filter, parse_filter
from watcher.types import ChainEvent, Match, RawLog

log = logging.getLogger(__name__)


class SubscriptionSource(Protocol):
    """What the index needs of one active subscription (storage returns such records)."""

    @property
    def subscription_id(self) -> int: ...
    @property
    def destination_id(self) -> int: ...
    @property
    def address(self) -> str: ...
    @property
    def selector(self) -> str | None: ...
    @property
    def event_name(self) -> str | None: ...
    @property
    def filter_expr(self) -> str: ...
    @property
    def abi(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class Rule:
    subscription_id: int
    destination_id: int
    filter: Filter | None
    only_name: str | None = None
    """For subscriptions without a selector (anonymous events): the decoded name required."""


def _event_for(source: SubscriptionSource) -> dict[str, Any] | None:
    for entry in source.abi:
        if entry.get("type") != "event":
            continue
        if (
            source.selector is None
            and entry.get("anonymous")
            and entry.get("name") == source.event_name
        ):
            return entry
        if source.selector is not None and event_selector(entry) == source.selector:
            return entry
    return None


def compile_rule(source: SubscriptionSource) -> Rule:
    """A subscription as the hot path evaluates it; its filter was validated when it was made."""
    only_name = source.event_name if source.selector is None else None
    if not source.filter_expr.strip():
        return Rule(source.subscription_id, source.destination_id, None, only_name)
    event = _event_for(source)
    if event is None:
        raise InvalidInput(
            "subscription.event_missing",
            f"subscription {source.subscription_id}: its event is not in the contract's ABI",
            subscription_id=source.subscription_id,
        )
    compiled = parse_filter(source.filter_expr, event)
    return Rule(source.subscription_id, source.destination_id, compiled, only_name)


class MatchIndex:
    """Subscriptions of one chain keyed by (emitter, topic0); filters run only on hits."""

    def __init__(self, chain: str, sources: Iterable[SubscriptionSource]) -> None:
        self.chain = chain
        by_key: dict[tuple[str, str], list[Rule]] = defaultdict(list)
        by_address: dict[str, list[Rule]] = defaultdict(list)
        abis: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for source in sources:
            try:
                rule = compile_rule(source)
            except InvalidInput as exc:
                log.error("subscription skipped: %s", exc, extra={"chain": chain})
                continue
            address = source.address.lower()
            if source.selector is None:
                by_address[address].append(rule)
            else:
                by_key[(address, source.selector)].append(rule)
            for entry in source.abi:
                if entry.get("type") == "event":
                    abis[address][repr(sorted(entry.items()))] = entry
        self._by_key = {key: tuple(rules) for key, rules in by_key.items()}
        self._by_address = {address: tuple(rules) for address, rules in by_address.items()}
        self._decoders = {
            address: AbiDecoder(list(entries.values())) for address, entries in abis.items()
        }
        self.addresses: tuple[str, ...] = tuple(sorted({a for a, _ in by_key} | set(by_address)))
        self.topic0s: tuple[str, ...] | None = (
            None if by_address else tuple(sorted({t for _, t in by_key}))
        )

    @property
    def empty(self) -> bool:
        return not self.addresses

    def match(self, logs: Sequence[RawLog]) -> list[Match]:
        matches: list[Match] = []
        by_key, by_address, decoders = self._by_key, self._by_address, self._decoders
        for raw in logs:
            topic0 = raw.topics[0] if raw.topics else ""
            rules = by_key.get((raw.address, topic0), ())
            wildcard = by_address.get(raw.address, ())
            if not rules and not wildcard:
                continue
            name, args = decoders[raw.address].decode(raw.topics, raw.data)
            targets = tuple(
                (rule.subscription_id, rule.destination_id)
                for rule in (*rules, *wildcard)
                if (rule.only_name is None or rule.only_name == name)
                and (rule.filter is None or rule.filter.matches(args))
            )
            if targets:
                matches.append(Match(self._event(raw, name, args), targets))
        return matches

    def _event(self, raw: RawLog, name: str | None, args: dict[str, Any]) -> ChainEvent:
        return ChainEvent(
            chain=self.chain,
            block_number=raw.block_number,
            block_hash=raw.block_hash,
            transaction_hash=raw.transaction_hash,
            log_index=raw.log_index,
            emitter=raw.address,
            selector=raw.topics[0] if raw.topics else None,
            name=name,
            args=storable_args(args),
            topics=raw.topics,
            data=raw.data,
        )
