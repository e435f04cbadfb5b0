"""The in-memory subscription index: which logs matter, to whom, after argument filters.

Rules are kept by emitter, then by topic0 (watcher/key_rules.py files those of one key so a log
meets only the filters it can pass); logs of an emitter nobody watches cost one look-up.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any, Protocol

import orjson

from watcher.abi import event_selector
from watcher.decoding import AbiDecoder, storable_args
from watcher.errors import InvalidInput
from watcher.filters import Filter, filter_parser
from watcher.key_rules import KeyRules, KeyRulesBuilder, Target
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


def _parser_for(source: SubscriptionSource) -> Callable[[str], Filter]:
    """How the subscription's filters compile: against its event in its contract's ABI."""
    event = _event_for(source)
    if event is None:
        raise InvalidInput(
            "subscription.event_missing",
            f"subscription {source.subscription_id}: its event is not in the contract's ABI",
            subscription_id=source.subscription_id,
        )
    return filter_parser(event)


class _Compiler:
    """Compiles each distinct (ABI, event, filter) once, so identical filters are one object;
    and makes one decoder per distinct set of event entries."""

    def __init__(self) -> None:
        self._fingerprints: dict[bytes, bytes] = {}
        self._parsers: dict[tuple[bytes, str | None, str | None], Callable[[str], Filter]] = {}
        self._filters: dict[tuple[bytes, str | None, str | None, str], Filter] = {}
        self._abis: dict[str, set[bytes]] = defaultdict(set)
        self._entries: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)

    def fingerprint(self, abi: list[dict[str, Any]]) -> bytes | None:
        """Equal bytes for equal ABIs read from storage (JSON); None for anything else."""
        try:
            found = orjson.dumps(abi)
        except TypeError:
            return None
        return self._fingerprints.setdefault(found, found)

    def filter_of(self, source: SubscriptionSource, abi: bytes | None) -> Filter | None:
        """The subscription's filter (None: it has none); it was validated when it was made."""
        text = source.filter_expr
        if not text.strip():
            return None
        if abi is None:
            return _parser_for(source)(text)
        event = (abi, source.selector, source.event_name)
        if event not in self._parsers:
            self._parsers[event] = _parser_for(source)
        if (*event, text) not in self._filters:
            self._filters[(*event, text)] = self._parsers[event](text)
        return self._filters[(*event, text)]

    def add_abi(self, address: str, abi: list[dict[str, Any]], fingerprint: bytes | None) -> None:
        entries = self._entries[address]  # every address gets a decoder, if only an empty one
        if fingerprint is not None:
            if fingerprint in self._abis[address]:
                return
            self._abis[address].add(fingerprint)
        for entry in abi:
            if entry.get("type") == "event":
                entries.setdefault(repr(sorted(entry.items())), entry)

    def decoders(self) -> dict[str, AbiDecoder]:
        made: dict[tuple[str, ...], AbiDecoder] = {}
        decoders = {}
        for address, entries in self._entries.items():
            key = tuple(entries)
            if key not in made:
                made[key] = AbiDecoder(list(entries.values()))
            decoders[address] = made[key]
        return decoders


class MatchIndex:
    """Subscriptions of one chain keyed by emitter and topic0; filters run only on hits."""

    def __init__(self, chain: str, sources: Iterable[SubscriptionSource]) -> None:
        self.chain = chain
        compiler = _Compiler()
        values: dict[Any, Any] = {}
        keys: dict[str, dict[str | None, KeyRulesBuilder]] = defaultdict(dict)
        for source in sources:
            fingerprint = compiler.fingerprint(source.abi)
            try:
                compiled = compiler.filter_of(source, fingerprint)
            except InvalidInput as exc:
                log.error("subscription skipped: %s", exc, extra={"chain": chain})
                continue
            address = source.address.lower()
            only_name = source.event_name if source.selector is None else None
            builder = keys[address].get(source.selector)
            if builder is None:
                builder = keys[address][source.selector] = KeyRulesBuilder(values)
            builder.add(compiled, only_name, (source.subscription_id, source.destination_id))
            compiler.add_abi(address, source.abi, fingerprint)
        decoders = compiler.decoders()
        self._rules = {
            address: (
                {topic0: b.build() for topic0, b in builders.items() if topic0 is not None},
                builders[None].build() if None in builders else None,
                decoders[address],
            )
            for address, builders in keys.items()
        }
        self.addresses: tuple[str, ...] = tuple(sorted(keys))
        any_event = any(None in builders for builders in keys.values())
        self.topic0s: tuple[str, ...] | None = (
            None
            if any_event
            else tuple(sorted({t for builders in keys.values() for t in builders if t}))
        )

    @property
    def empty(self) -> bool:
        return not self.addresses

    def match(self, logs: Sequence[RawLog]) -> list[Match]:
        matches: list[Match] = []
        rules = self._rules
        for raw in logs:
            found = rules.get(raw.address)
            if found is None:
                continue
            by_topic0, any_event, decoder = found
            keyed = by_topic0.get(raw.topics[0]) if raw.topics else None
            if keyed is None and any_event is None:
                continue
            name, args = decoder.decode(raw.topics, raw.data)
            targets = _targets(name, args, keyed, any_event)
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


def _targets(
    name: str | None, args: dict[str, Any], keyed: KeyRules | None, any_event: KeyRules | None
) -> tuple[Target, ...]:
    """The key's targets, then those of the emitter's rules for any event, each part in
    subscription order (the order storage lists them in)."""
    targets: tuple[Target, ...] = ()
    for rules in (keyed, any_event):
        if rules is None:
            continue
        passed = [group for group in rules.candidates(args) if group.passes(name, args)]
        if len(passed) == 1:
            targets += passed[0].targets
        elif passed:
            targets += tuple(sorted(chain.from_iterable(group.targets for group in passed)))
    return targets
