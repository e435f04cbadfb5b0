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
from watcher.key_rules import KeyRules, KeyRulesBuilder, Target, filed_form
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


class _Abis:
    """Each distinct ABI once: a fingerprint equal for equal ABIs, and its event entries."""

    def __init__(self) -> None:
        self._fingerprints: dict[bytes, bytes] = {}
        self.entries: dict[bytes, dict[str, dict[str, Any]]] = {}
        """Fingerprint -> the ABI's event entries, by a key equal for equal entries."""

    def fingerprint(self, abi: list[dict[str, Any]]) -> bytes:
        try:
            found = orjson.dumps(abi)
        except TypeError:  # not from storage: equal only to itself
            found = repr(abi).encode()
        if found not in self._fingerprints:
            self._fingerprints[found] = found
            self.entries[found] = {
                repr(sorted(entry.items())): entry for entry in abi if entry.get("type") == "event"
            }
        return self._fingerprints[found]


class _Compiler:
    """Compiles each distinct (ABI, event, filter) of one update once, so identical filters
    are one object (one rule group). It lives for one update only: kept, it would hold every
    filter's text and parse tree."""

    def __init__(self) -> None:
        self._parsers: dict[tuple[bytes, str | None, str | None], Callable[[str], Filter]] = {}
        self._filters: dict[tuple[bytes, str | None, str | None, str], Filter] = {}

    def filter_of(self, source: SubscriptionSource, abi: bytes) -> Filter | None:
        """The subscription's filter (None: it has none); it was validated when it was made."""
        text = source.filter_expr
        if not text.strip():
            return None
        event = (abi, source.selector, source.event_name)
        if event not in self._parsers:
            self._parsers[event] = _parser_for(source)
        if (*event, text) not in self._filters:
            self._filters[(*event, text)] = filed_form(self._parsers[event](text))
        return self._filters[(*event, text)]


Member = tuple[Filter | None, str | None, Target]
"""How one subscription is filed under its key: (filter, required event name, target)."""
Rules = tuple[dict[str, KeyRules], KeyRules | None, AbiDecoder]
"""An emitter's rules: by topic0, for any event (subscriptions without a selector), decoder."""


class _Book:
    """What an index needs to change some subscriptions without filing the others again."""

    def __init__(self) -> None:
        self.abis = _Abis()
        self.values: dict[Any, Any] = {}
        """Shared by the rule builders: one copy of each value filed under."""
        self.members: dict[str, dict[str | None, dict[int, Member]]] = {}
        """Emitter -> topic0 (None: any event) -> subscription id -> how it is filed."""
        self.placed: dict[int, tuple[str, str | None, bytes]] = {}
        """Subscription id -> (emitter, topic0, its ABI's fingerprint)."""
        self.decoders: dict[tuple[str, ...], AbiDecoder] = {}
        """One decoder per distinct set of event entries, shared by the emitters that have it."""
        self._placements: dict[tuple[str, str | None, bytes], tuple[str, str | None, bytes]] = {}

    def place(
        self, address: str, topic0: str | None, fingerprint: bytes
    ) -> tuple[str, str | None, bytes]:
        """One shared record of each placement: each subscription's own copy of the strings
        would cost more than the rest of the index."""
        placement = (address, topic0, fingerprint)
        return self._placements.setdefault(placement, placement)

    def remove(self, subscription_id: int) -> tuple[str, str | None] | None:
        """Unfile a subscription; its key, or None if it was not filed."""
        placed = self.placed.pop(subscription_id, None)
        if placed is None:
            return None
        address, topic0, _ = placed
        del self.members[address][topic0][subscription_id]
        return address, topic0

    def rules(self, address: str, topic0s: Iterable[str | None], old: Rules | None) -> Rules | None:
        """The emitter's rules with the keys `topic0s` filed again; None if it has none left."""
        keys = self.members[address]
        by_topic0 = dict(old[0]) if old is not None else {}
        any_event = old[1] if old is not None else None
        for topic0 in topic0s:
            built = self._build(keys[topic0]) if keys.get(topic0) else None
            if not built:
                keys.pop(topic0, None)
            if topic0 is None:
                any_event = built
            elif built is None:
                by_topic0.pop(topic0, None)
            else:
                by_topic0[topic0] = built
        if not keys:
            del self.members[address]
            return None
        return by_topic0, any_event, self._decoder(keys)

    def _build(self, members: dict[int, Member]) -> KeyRules:
        builder = KeyRulesBuilder(self.values)
        for subscription_id in sorted(members):  # in subscription order, as storage lists them
            builder.add(*members[subscription_id])
        return builder.build()

    def _decoder(self, keys: dict[str | None, dict[int, Member]]) -> AbiDecoder:
        """The emitter's decoder knows the events of every ABI its subscriptions came with,
        the first subscription's first."""
        subscription_ids = sorted(chain.from_iterable(keys.values()))
        fingerprints = dict.fromkeys(self.placed[s][2] for s in subscription_ids)
        entries: dict[str, dict[str, Any]] = {}
        for fingerprint in fingerprints:
            for key, entry in self.abis.entries[fingerprint].items():
                entries.setdefault(key, entry)
        made = self.decoders.get(tuple(entries))
        if made is None:
            made = self.decoders[tuple(entries)] = AbiDecoder(list(entries.values()))
        return made


class MatchIndex:
    """Subscriptions of one chain keyed by emitter and topic0; filters run only on hits."""

    def __init__(self, chain: str, sources: Iterable[SubscriptionSource] = ()) -> None:
        self.chain = chain
        self._book: _Book | None = _Book()
        self._rules: dict[str, Rules] = {}
        self.addresses: tuple[str, ...] = ()
        self.topic0s: tuple[str, ...] | None = ()
        self._apply(sources, ())

    def updated(self, changed: Iterable[SubscriptionSource], gone: Iterable[int]) -> MatchIndex:
        """A new index with `changed` subscriptions added or replaced (by id) and `gone` ones
        removed, filing again only the keys they touch. This index goes on matching as it did
        (a read-ahead may still hold it), but only the new one can be updated."""
        book, self._book = self._book, None
        if book is None:
            raise RuntimeError("this index was updated already: update the newest one")
        new = MatchIndex.__new__(MatchIndex)
        new.chain, new._book, new._rules = self.chain, book, dict(self._rules)
        new.addresses, new.topic0s = self.addresses, self.topic0s
        new._apply(changed, gone)
        return new

    def _apply(self, changed: Iterable[SubscriptionSource], gone: Iterable[int]) -> None:
        book = self._book
        assert book is not None
        touched: dict[str, set[str | None]] = defaultdict(set)
        for subscription_id in gone:
            key = book.remove(subscription_id)
            if key is not None:
                touched[key[0]].add(key[1])
        compiler = _Compiler()
        fingerprints: dict[int, bytes] = {}  # storage hands the same list for the same ABI
        for source in changed:
            key = book.remove(source.subscription_id)
            if key is not None:
                touched[key[0]].add(key[1])
            abi = source.abi
            fingerprint = fingerprints.get(id(abi))
            if fingerprint is None:
                fingerprint = fingerprints[id(abi)] = book.abis.fingerprint(abi)
            try:
                compiled = compiler.filter_of(source, fingerprint)
            except InvalidInput as exc:
                log.error("subscription skipped: %s", exc, extra={"chain": self.chain})
                continue
            placed = book.place(source.address.lower(), source.selector, fingerprint)
            address, topic0, _ = placed
            only_name = source.event_name if topic0 is None else None
            target = (source.subscription_id, source.destination_id)
            keys = book.members.setdefault(address, {})
            keys.setdefault(topic0, {})[source.subscription_id] = (compiled, only_name, target)
            book.placed[source.subscription_id] = placed
            touched[address].add(topic0)
        reshaped = False
        for address, topic0s in touched.items():
            old = self._rules.get(address)
            rules = book.rules(address, topic0s, old) if address in book.members else None
            if rules is None:
                reshaped |= self._rules.pop(address, None) is not None
                continue
            self._rules[address] = rules
            reshaped |= (
                old is None
                or old[0].keys() != rules[0].keys()
                or (old[1] is None) != (rules[1] is None)
            )
        if reshaped:
            self._reshape()

    def _reshape(self) -> None:
        """The emitters and topic0s a range read asks the node for."""
        self.addresses = tuple(sorted(self._rules))
        any_event = any(rules[1] is not None for rules in self._rules.values())
        self.topic0s = (
            None
            if any_event
            else tuple(sorted({t for rules in self._rules.values() for t in rules[0]}))
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
        # Positional: with keywords, making the record takes twice as long (one per match).
        return ChainEvent(
            self.chain,
            raw.block_number,
            raw.block_hash,
            raw.transaction_hash,
            raw.log_index,
            raw.address,  # emitter
            raw.topics[0] if raw.topics else None,  # selector
            name,
            storable_args(args),
            raw.topics,
            raw.data,
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
