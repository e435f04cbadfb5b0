"""Matching a Cosmos block against the chain's subscriptions: which matter, and to whom.

What each subscription watches, and the rule read from it: watcher/cosmos_subscriptions.py;
its filter: watcher/cosmos_filters.py.

Only the events and messages of successful transactions (code 0) match, besides block-level
events: a failed transaction's state changes were rolled back, whatever a node reports for it.
Rules are kept by type (or type URL), then by contract; failed-transaction rules by account.

Storage rule: a match is stored once per (chain, block hash, transaction hash, `log_index`).
An event's `log_index` is its `event_index` (0, 1, … in its transaction, or among the
block-level events, whose transaction hash is ""); a message's is -(msg_index + 1) (-1, -2, …),
so messages never collide with their transaction's events; a failed transaction's is -1 (its
messages never match, so nothing else of it takes -1).

A message's fields as filters see them, and as its `args` keep them: flat, every name one the
filter tokenizer reads (`[A-Za-z_$][A-Za-z0-9_$]*`), every value a string or a list of them:

- `signer`: the message's signer, always ("" when its type is not known to us);
- a field by its proto name, as protobuf JSON writes it: strings as they are, 64-bit integers
  as decimal strings (`proposal_id == 7` compares numbers), enums by name (`option ==
  VOTE_OPTION_YES`), booleans `true`/`false`, bytes base64; a field holding its default (0, "",
  false, nothing) is absent, as in protobuf JSON;
- a coin, or a list of coins, as a coin list, so amounts compare: `1500000uatom`,
  `5uatom,7ibc/27394…` (`amount >= 1.5ATOM`);
- a nested object's fields as `parent_child` (MsgCreateValidator's `description_moniker`), down
  to NESTED_DEPTH levels; a list as the list of its values (a comparison holds when any value
  does); a list of objects as one list per field (MsgMultiSend's `outputs_address`); an empty
  object or list as "";
- x/wasm's `msg` (JSON bytes) as the JSON it holds, flattened alike: `{"swap": {"max_spread":
  "0.01"}}` gives `msg_swap_max_spread`, `{"claim": {}}` gives `msg_claim` = "";
- in a key of such JSON, characters a name cannot have become `_`; an `Any`'s `@type` is
  `type_url` (MsgExec's `msgs_type_url`).

A string longer than VALUE_MAX_CHARS is cut and ends with `…`; after MAX_VALUES values the
rest of a message is left out. Odd bodies never raise: what cannot be read is left out.
"""

from __future__ import annotations

import heapq
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from operator import itemgetter
from typing import Any

from storage.deliveries import JsonValue
from watcher.cosmos_denoms import NO_DENOMS, Denom
from watcher.cosmos_message_fields import VALUE_MAX_CHARS, message_args
from watcher.cosmos_subscriptions import (
    CONTRACT_KEY,
    FAILED_TX,
    CosmosRule,
    compile_filter_rule,
    parse_account,
    parse_event_type,
    parse_message_type,
    subscription_kind,
)
from watcher.cosmos_types import CosmosBlock, CosmosEvent, CosmosMessage, CosmosTx
from watcher.errors import InvalidInput
from watcher.matching import SubscriptionSource
from watcher.types import ChainEvent, Match

log = logging.getLogger(__name__)

FAILED_LOG_MAX_CHARS = 500

_Group = Mapping[str, tuple[CosmosRule, ...]]
"""Rules of one event type (or prefix, or message type URL) by contract address; "" holds
those for any emitter."""
_Table = dict[str, dict[str, list[CosmosRule]]]
_Ordered = tuple[int, Match]
"""A match with the position of its transaction in the block (block-level events: after all)."""


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


def contract_of(message: CosmosMessage) -> str:
    """The contract a message acts on (its `contract` field), or ""."""
    found = message.body.get("contract")
    return found if isinstance(found, str) else ""


def failed_tx_args(tx: CosmosTx, signer: str) -> dict[str, JsonValue]:
    """What a failed-transaction notice shows, and its filter reads."""
    return {
        "code": str(tx.code),
        "codespace": tx.codespace,
        "log": _capped(tx.log, FAILED_LOG_MAX_CHARS),
        "signer": signer,
        "messages": [message.type_url for message in tx.messages],
        "memo": _capped(tx.memo, VALUE_MAX_CHARS),
    }


class _Tables:
    """Rules while an index is built: events by exact type and by prefix, messages by type
    URL, each then by contract; failed transactions by account."""

    def __init__(self) -> None:
        self.exact: _Table = defaultdict(lambda: defaultdict(list))
        self.prefixed: _Table = defaultdict(lambda: defaultdict(list))
        self.messages: _Table = defaultdict(lambda: defaultdict(list))
        self.failed: dict[str, list[CosmosRule]] = defaultdict(list)

    def add(
        self, source: SubscriptionSource, denoms: Mapping[str, Denom], bech32_prefix: str | None
    ) -> None:
        """Files one subscription; raises InvalidInput when it cannot be evaluated."""
        rule = compile_filter_rule(source, denoms, bech32_prefix)
        kind = subscription_kind(source.event_name)
        if kind == "failed_tx":
            self.failed[parse_account(source.address, bech32_prefix)].append(rule)
            return
        if kind == "message":
            table, key = self.messages, parse_message_type(str(source.event_name))
        else:
            pattern = parse_event_type(source.event_name)
            table, key = (self.prefixed if pattern.prefix else self.exact), pattern.text
        table[key][source.address.lower()].append(rule)


class CosmosIndex:
    """Active subscriptions of one Cosmos chain: events by type and contract, messages by type
    URL and contract, failed transactions by account."""

    def __init__(
        self,
        chain: str,
        sources: Iterable[SubscriptionSource],
        denoms: Mapping[str, Denom] = NO_DENOMS,
        bech32_prefix: str | None = None,
    ) -> None:
        self.chain = chain
        tables = _Tables()
        for source in sources:
            try:
                tables.add(source, denoms, bech32_prefix)
            except InvalidInput as exc:
                log.warning(
                    "subscription skipped: %s",
                    exc,
                    extra={"chain": chain, "subscription": source.subscription_id},
                )
        self._exact = _frozen(tables.exact)
        self._prefixed = _frozen(tables.prefixed)
        self._prefix_lengths = tuple(sorted({len(prefix) for prefix in tables.prefixed}))
        self._messages = _frozen(tables.messages)
        self._failed = {account: tuple(rules) for account, rules in tables.failed.items()}

    @property
    def empty(self) -> bool:
        return not (self._exact or self._prefixed or self._messages or self._failed)

    def match(self, block: CosmosBlock) -> list[Match]:
        """The block's matches in block order, one per event, message or failed transaction,
        with every (subscription, destination) it matched, sorted. A transaction's failure or
        messages come before its events; block-level events last."""
        events = self._event_matches(block)
        if not self._messages and not self._failed:
            return [match for _, match in events]
        merged = heapq.merge(self._tx_matches(block), events, key=itemgetter(0))
        return [match for _, match in merged]

    def _event_matches(self, block: CosmosBlock) -> list[_Ordered]:
        succeeded = {tx.index for tx in block.txs if tx.code == 0}
        after_txs = len(block.txs)
        matches: list[_Ordered] = []
        for event in block.events:
            if event.tx_index is not None and event.tx_index not in succeeded:
                continue
            emitter = emitter_of(event)
            rules = self._rules_for(event.type, emitter.lower())
            if not rules:
                continue
            args = event_args(event)
            targets = _targets(rules, args)
            if targets:
                order = after_txs if event.tx_index is None else event.tx_index
                place = (event.tx_hash or "", event.event_index, event.msg_index)
                chain_event = self._chain_event(block, place, event.type, emitter, args)
                matches.append((order, Match(chain_event, targets)))
        return matches

    def _rules_for(self, kind: str, emitter: str) -> list[CosmosRule]:
        rules: list[CosmosRule] = []
        _collect(self._exact.get(kind), emitter, rules)
        for length in self._prefix_lengths:  # ascending
            if length > len(kind):
                break
            _collect(self._prefixed.get(kind[:length]), emitter, rules)
        return rules

    def _tx_matches(self, block: CosmosBlock) -> list[_Ordered]:
        payers = self._fee_payers(block) if self._failed else {}
        matches: list[_Ordered] = []
        for tx in block.txs:
            if tx.code == 0:
                matches.extend((tx.index, match) for match in self._message_matches(block, tx))
            elif self._failed:
                failure = self._failed_match(block, tx, payers.get(tx.index, []))
                if failure is not None:
                    matches.append((tx.index, failure))
        return matches

    def _message_matches(self, block: CosmosBlock, tx: CosmosTx) -> Iterator[Match]:
        for message in tx.messages:
            group = self._messages.get(message.type_url)
            if group is None:
                continue
            contract = contract_of(message)
            rules: list[CosmosRule] = []
            _collect(group, contract.lower(), rules)
            if not rules:
                continue
            args = message_args(message)
            targets = _targets(rules, args)
            if targets:
                place = (tx.hash, -(message.index + 1), message.index)  # the storage rule
                event = self._chain_event(block, place, message.type_url, contract, args)
                yield Match(event, targets)

    def _fee_payers(self, block: CosmosBlock) -> dict[int, list[str]]:
        """Accounts of each failed transaction that its events name: the ante handler's `tx`
        events give the fee payer (a fee granter, when there is one) and each signer."""
        failed = {tx.index for tx in block.txs if tx.code != 0}
        payers: dict[int, list[str]] = defaultdict(list)
        if not failed:
            return payers
        for event in block.events:
            index = event.tx_index
            if index is None or index not in failed or event.type != "tx":
                continue
            for key, value in event.attributes:
                if key == "fee_payer" and value:
                    payers[index].append(value)
                elif key == "acc_seq" and value:  # `address/sequence`
                    payers[index].append(value.rpartition("/")[0] or value)
        return payers

    def _failed_match(self, block: CosmosBlock, tx: CosmosTx, payers: list[str]) -> Match | None:
        accounts = [message.signer for message in tx.messages if message.signer] + payers
        rules = [
            rule
            for account in dict.fromkeys(account.lower() for account in accounts)
            for rule in self._failed.get(account, ())
        ]
        if not rules:
            return None
        args = failed_tx_args(tx, accounts[0])
        targets = _targets(rules, args)
        if not targets:
            return None
        return Match(self._chain_event(block, (tx.hash, -1, None), FAILED_TX, "", args), targets)

    def _chain_event(
        self,
        block: CosmosBlock,
        place: tuple[str, int, int | None],
        name: str,
        emitter: str,
        args: dict[str, Any],
    ) -> ChainEvent:
        """`place` is (transaction hash, log_index, msg_index): see the storage rule."""
        tx_hash, log_index, msg_index = place
        return ChainEvent(
            chain=self.chain,
            block_number=block.height,
            block_hash=block.hash,
            transaction_hash=tx_hash,
            log_index=log_index,
            emitter=emitter,
            selector=None,
            name=name,
            args=args,
            topics=(),
            data="",
            msg_index=msg_index,
        )


def _targets(rules: list[CosmosRule], args: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    found = {
        (rule.subscription_id, rule.destination_id)
        for rule in rules
        if rule.filter is None or rule.filter.matches(args)
    }
    return tuple(sorted(found))


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


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
