"""What a Cosmos subscription watches, read from its `event_name` and address into a rule.

`event_name` says what a subscription watches:

- an event type (`transfer`, `wasm`, `wasm-swap`; a trailing `*` makes it a prefix: `wasm-*` is
  every `wasm-…` event, `*` or None every event), optionally a contract (`address`: the
  CosmWasm contract whose `_contract_address` attribute the event must carry; "" for any
  emitter, block-level events included), filtered on the event's attributes;
- a message type URL, exactly (`/cosmos.gov.v1.MsgVote`; it starts with `/`, no `*`),
  optionally a contract (`address`: the message's `contract` field, which MsgExecuteContract
  and the other x/wasm messages acting on a contract have), filtered on the message's fields;
- `tx.failed` (FAILED_TX) with an account (`address`, required): a failed transaction (code
  != 0) that the account signed, or paid the fee of (the ante handler's `tx` event, when the
  node reports it), filtered on `code`, `codespace`, `log`, `signer` (the transaction's first
  signer), `messages` (its type URLs) and `memo`. `*` and None never cover messages or this.

How the index matches blocks against these rules: watcher/cosmos_matching.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cosmpy.crypto.address import Address

from watcher.abi import shown
from watcher.cosmos_denoms import Denom
from watcher.cosmos_filters import CosmosFilter, parse_cosmos_filter
from watcher.errors import InvalidInput
from watcher.matching import SubscriptionSource

CONTRACT_KEY = "_contract_address"
"""The attribute x/wasm puts first in every event a contract emits (contracts cannot set it)."""
WILDCARD = "*"
FAILED_TX = "tx.failed"
"""The `event_name` of failed-transaction subscriptions. No ABCI event is named so: event
types with dots are typed events' proto names (`cosmos.bank.v1beta1.EventX`)."""
MESSAGE_MARK = "/"
"""What a message type URL starts with, and an event type never does."""

SubscriptionKind = Literal["event", "message", "failed_tx"]


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


def subscription_kind(event_name: str | None) -> SubscriptionKind:
    """Whether a subscription watches events, messages (a type URL) or failed transactions."""
    if event_name == FAILED_TX:
        return "failed_tx"
    if event_name is not None and event_name.startswith(MESSAGE_MARK):
        return "message"
    return "event"


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


def parse_message_type(event_name: str) -> str:
    """A message subscription's type URL (`/cosmos.bank.v1beta1.MsgSend`), matched exactly."""
    if (
        len(event_name) < 2
        or WILDCARD in event_name
        or not event_name.isprintable()
        or (any(char.isspace() for char in event_name))
    ):
        raise InvalidInput(
            "subscription.bad_message_type",
            f"{shown(event_name)!r} is not a message type: expected a type URL such as"
            " /cosmos.bank.v1beta1.MsgSend, written out in full",
            value=shown(event_name),
        )
    return event_name


def parse_account(address: str, bech32_prefix: str | None) -> str:
    """The lower-case account a failed-transaction subscription watches; refused unless it is
    a valid bech32 address with the chain's account prefix (when known)."""
    account = address.strip()
    expected = f"{bech32_prefix or 'cosmos'}1…"
    try:
        Address(account)
        valid = bool(account)
    except (RuntimeError, TypeError, ValueError):
        valid = False
    prefix = account.rpartition("1")[0].lower()
    if not valid or (bech32_prefix is not None and prefix != bech32_prefix.lower()):
        raise InvalidInput(
            "subscription.bad_account",
            f"{shown(account)!r} is not an account of this chain: {FAILED_TX} watches the"
            f" failed transactions of one account, such as {expected}",
            value=shown(account),
            expected=expected,
        )
    return account.lower()


def compile_filter_rule(
    source: SubscriptionSource, denoms: Mapping[str, Denom], bech32_prefix: str | None
) -> CosmosRule:
    """A subscription's targets and compiled filter, whatever it watches; raises InvalidInput
    when the filter cannot be compiled."""
    compiled = (
        parse_cosmos_filter(source.filter_expr, denoms=denoms, bech32_prefix=bech32_prefix)
        if source.filter_expr.strip()
        else None
    )
    return CosmosRule(source.subscription_id, source.destination_id, compiled)


def compile_cosmos_rule(
    source: SubscriptionSource, denoms: Mapping[str, Denom], bech32_prefix: str | None
) -> tuple[EventTypePattern, CosmosRule]:
    """An event subscription as the hot path evaluates it; raises InvalidInput when it cannot
    be."""
    pattern = parse_event_type(source.event_name)
    return pattern, compile_filter_rule(source, denoms, bech32_prefix)
