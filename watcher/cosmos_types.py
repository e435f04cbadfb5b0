"""Normalized records of a Cosmos SDK chain's blocks, as the Cosmos adapter hands them on.

Built from the CometBFT RPC (`/block`, `/block_results`), whatever the node's version: event
attributes are plain text here whether the node sent them base64-encoded (Tendermint 0.34,
some forks) or not, and block-level events are one list whatever phase produced them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from storage.deliveries import JsonValue

EventPhase = Literal["tx", "begin_block", "end_block", "finalize_block"]


@dataclass(frozen=True, slots=True)
class Coin:
    """An amount in a base denomination (`1500000`, `uatom`)."""

    amount: str
    denom: str


@dataclass(frozen=True, slots=True)
class CosmosMessage:
    """One message of a transaction: its type URL, who signed it (when the message names its
    signer), and its fields as protobuf JSON with the proto field names (`from_address`), empty
    when the type, or a type packed inside it, is not known to us."""

    index: int
    type_url: str
    signer: str | None
    body: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CosmosTx:
    """A transaction of a block with its result. `code` 0 is success; a failed transaction
    keeps its code, codespace and log (and usually has no events). `decoded` is False when
    its bytes were not a transaction we could read: its hash and result are still kept."""

    index: int
    hash: str
    """Upper-case hex SHA-256 of the transaction's bytes, as explorers show it."""
    code: int
    codespace: str
    log: str
    memo: str
    fee: tuple[Coin, ...]
    messages: tuple[CosmosMessage, ...]
    decoded: bool = True


@dataclass(frozen=True, slots=True)
class CosmosEvent:
    """An ABCI event. A transaction's event has `tx_index`, `tx_hash` and, when the SDK said
    which message emitted it, `msg_index`: from the `msg_index` attribute (SDK 0.50+), or for
    earlier SDKs from the `message`/`action` event that opens each message's events (only when
    there is one per message); the ante handler's (fee) events have none. A block-level event
    has none of them; its phase comes from the list it was in, or from the SDK 0.50 `mode`
    marker of a finalize_block event (then removed from the attributes); `finalize_block`
    means unmarked. `event_index` is the position in its transaction, or in the block's
    block-level events. A key that repeats keeps every value, in order; a value may be None
    (nodes do send `null`); an event without a type, or a key, has ""."""

    type: str
    attributes: tuple[tuple[str, str | None], ...]
    event_index: int
    phase: EventPhase
    tx_index: int | None = None
    tx_hash: str | None = None
    msg_index: int | None = None


@dataclass(frozen=True, slots=True)
class CosmosBlock:
    """One block, complete: header facts, its transactions and every event."""

    height: int
    hash: str
    parent_hash: str
    time: str
    """RFC 3339, as the header has it."""
    txs: tuple[CosmosTx, ...]
    events: tuple[CosmosEvent, ...]
