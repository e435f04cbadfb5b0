"""What a person may watch on a Cosmos SDK chain, and how each choice is stored: the event
name, the contract row's address and the filter the Cosmos index reads (as
watcher/cosmos_subscriptions.py says); and, back from a stored subscription, the words that say
what it watches.

Pure. A Cosmos subscription is an ordinary one: its contract row's address is "" (any
emitter), a CosmWasm contract, or the account of `tx.failed`; it has no ABI; `event_name` is
an ABCI event type, a message type URL (`/…`) or `tx.failed`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from cosmpy.crypto.address import Address
from cosmpy.protos.cosmwasm.wasm.v1 import tx_pb2 as wasm_tx

from bot.core.replies import Text, text
from watcher.cosmos_filters import parse_cosmos_filter
from watcher.cosmos_subscriptions import FAILED_TX, MESSAGE_MARK, subscription_kind
from watcher.errors import InvalidInput

AddressRole = Literal["account", "validator", "contract"]

TRANSFER = "transfer"
WASM = "wasm"
DELEGATE = "/cosmos.staking.v1beta1.MsgDelegate"
# Wallets still sign gov v1beta1 votes (Keplr's amino messages) where the chain also serves
# gov v1, and the index matches type URLs exactly: "governance votes" watches both.
VOTES = ("/cosmos.gov.v1.MsgVote", "/cosmos.gov.v1beta1.MsgVote")
# Every transaction's fee goes to the fee collector module in a `transfer` event of its payer
# (the SDK's ante handler); "tokens sent" leaves those out. A module's address is the first
# 20 bytes of sha256 of its name (x/auth NewModuleAddress).
FEE_COLLECTOR = "fee_collector"
# The event types x/wasm emits with the contract's address (`_contract_address`): only these
# can be narrowed to one contract. `wasm-…` are a contract's own events.
CONTRACT_EVENTS = frozenset({WASM, "execute", "instantiate", "migrate", "sudo", "reply"})
# The x/wasm messages acting on one contract (their `contract` field), as app/subscribe.py.
CONTRACT_MESSAGES = frozenset(
    MESSAGE_MARK + message.full_name
    for message in wasm_tx.DESCRIPTOR.message_types_by_name.values()
    if "contract" in message.fields_by_name
)
_OR_RE = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[()]|[A-Za-z_$][\w$]*")


@dataclass(frozen=True, slots=True)
class CosmosKind:
    """One choice of what to watch. `events` are its event names (none: the person types
    one); `role` says which address it asks for, if any; `field` is the attribute or message
    field the address is compared with (None: the address is the contract row's)."""

    code: str
    events: tuple[str, ...]
    role: AddressRole | None = None
    field: str | None = None

    @property
    def label(self) -> str:
        return f"bot.cosmos.kind.{self.code}"

    @property
    def address_question(self) -> str:
        return f"bot.cosmos.ask_address.{self.code}"


RECEIVED = CosmosKind("received", (TRANSFER,), "account", "recipient")
SENT = CosmosKind("sent", (TRANSFER,), "account", "sender")
DELEGATIONS = CosmosKind("delegations", (DELEGATE,), "validator", "validator_address")
GOVERNANCE = CosmosKind("votes", VOTES)
CONTRACT = CosmosKind("wasm", (WASM,), "contract")
FAILED = CosmosKind("failed", (FAILED_TX,), "account")
OTHER = CosmosKind("event", ())
KINDS = (RECEIVED, SENT, DELEGATIONS, GOVERNANCE, CONTRACT, FAILED, OTHER)
KIND_BY_CODE = {kind.code: kind for kind in KINDS}


def module_address(module: str, bech32_prefix: str) -> str:
    return str(Address(hashlib.sha256(module.encode()).digest()[:20], prefix=bech32_prefix))


def kind_filter(kind: CosmosKind, address: str, bech32_prefix: str) -> str:
    """The filter a kind needs besides what the person adds ("" for none)."""
    if kind.field is None:
        return ""
    own = f"{kind.field} == {address}"
    if kind is SENT:
        return f"{own} and recipient != {module_address(FEE_COLLECTOR, bech32_prefix)}"
    return own


def takes_contract(event_name: str) -> bool:
    """Whether subscriptions to `event_name` may be narrowed to one CosmWasm contract."""
    if subscription_kind(event_name) == "message":
        return event_name in CONTRACT_MESSAGES
    return event_name in CONTRACT_EVENTS or event_name.startswith(f"{WASM}-")


# --- what a stored subscription watches, in words ------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredKind:
    """A stored Cosmos subscription read back: the kind chosen, where it can be told (None: an
    event or message type typed), the kind's address, and the filter added to the kind's."""

    kind: CosmosKind | None
    address: str
    added: str


def read_subscription(event_name: str | None, address: str, filter_expr: str) -> StoredKind:
    """What a stored Cosmos subscription watches. A filter is the kind's own when it starts
    with it, alone or and-ed with more, as the wizard stores it (the combination is written
    as the watcher's parser normalizes it)."""
    name = event_name or "*"
    if name == FAILED_TX:
        return StoredKind(FAILED, address, filter_expr)
    if name in VOTES:
        return StoredKind(GOVERNANCE, "", filter_expr)
    if name == WASM and address:
        return StoredKind(CONTRACT, address, filter_expr)
    for kind in (RECEIVED, SENT, DELEGATIONS):
        found = _own_filter_split(kind, name, address, filter_expr)
        if found is not None:
            return StoredKind(kind, *found)
    return StoredKind(None, address, filter_expr)


def describe_subscription(event_name: str | None, address: str, filter_expr: str) -> Text:
    """What a stored Cosmos subscription watches, in words."""
    stored = read_subscription(event_name, address, filter_expr)
    if stored.kind is not None:
        return text(f"bot.cosmos.what.{stored.kind.code}", address=stored.address)
    name = event_name or "*"
    family = "message" if subscription_kind(name) == "message" else "event"
    if address:
        return text(f"bot.cosmos.what.{family}_contract", event=name, address=address)
    return text(f"bot.cosmos.what.{family}", event=name)


def listed_target(event_name: str | None, address: str, filter_expr: str) -> str:
    """A listing line's short form of what a stored Cosmos subscription narrows to: its
    address (the kind's, compared as the kind compares it) and the filter added."""
    stored = read_subscription(event_name, address, filter_expr)
    kind = stored.kind
    if kind is not None and kind.field is not None:
        own = f"{kind.field} == {stored.address}"
        return " · ".join(part for part in (own, stored.added) if part)
    return " · ".join(part for part in (address, filter_expr) if part) or "*"


_PROBE = "x == 1"


def _own_filter_split(
    kind: CosmosKind, name: str, address: str, filter_expr: str
) -> tuple[str, str] | None:
    """(the kind's address, the filter added) when the stored filter is the kind's own, alone
    or and-ed with more; None when it is not that kind."""
    if address or name not in kind.events or kind.field is None:
        return None
    field, operator, value = filter_expr.lstrip("(").partition(" and ")[0].partition(" == ")
    prefix = value.rpartition("1")[0]
    if field != kind.field or not operator or not prefix or " " in value:
        return None
    own = _normalized(kind_filter(kind, value, prefix))
    if own and filter_expr == own:
        return value, ""
    lead = _normalized(f"({own}) and ({_PROBE})").removesuffix(_PROBE)
    added = filter_expr.removeprefix(lead)
    if not own or added == filter_expr or _has_top_level_or(added):
        return None
    return value, added


def _normalized(source: str) -> str:
    """A filter as the watcher's parser writes it (no amounts: no denominations needed);
    "" when it does not parse."""
    try:
        return parse_cosmos_filter(source).source
    except InvalidInput:
        return ""


def _has_top_level_or(source: str) -> bool:
    """Whether `or` joins the top level of a filter: `own and a or b` is not `own and (…)`."""
    depth = 0
    for token in _OR_RE.findall(source):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0 and token.lower() == "or":
            return True
    return False
