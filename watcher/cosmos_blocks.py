"""Assembling one CosmosBlock from a CometBFT node's `/block` and `/block_results` answers.

Attribute encoding: Tendermint 0.34 (and forks such as Sei's, even with 0.38's layout) send
every attribute key and value base64-encoded; CometBFT 0.37+ sends plain text. A value alone
cannot tell (`transfer` and many bech32 addresses are valid base64), so the encoding is decided
once per `/block_results` answer, from its keys: see `attributes_are_base64`.

Phases: 0.34/0.37 split block-level events into `begin_block_events` and `end_block_events`;
0.38 has one `finalize_block_events` list, where the Cosmos SDK 0.50 appends `mode=BeginBlock`
(or `PreBlock`) / `mode=EndBlock` to the events of those steps. That marker becomes the phase
(`begin_block` / `end_block`) and is dropped from the attributes, so both layouts give the same
events; a finalize event without it (dYdX, other apps) has phase `finalize_block`.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeAlias

from watcher.cosmos_txs import decode_tx
from watcher.cosmos_types import CosmosBlock, CosmosEvent, CosmosTx, EventPhase
from watcher.rpc_errors import RpcTransient
from watcher.types import BlockHeader

Attributes: TypeAlias = tuple[tuple[str, str | None], ...]
RawEvent: TypeAlias = tuple[str, Attributes]

# Keys that the SDK's core modules (and CometBFT's kvstore example app) put in nearly every
# block: a base64 answer shows at least one of them once decoded.
KNOWN_ATTRIBUTE_KEYS = frozenset(
    {
        "sender", "recipient", "receiver", "spender", "amount", "module", "action", "fee",
        "fee_payer", "acc_seq", "signature", "validator", "delegator", "minter", "msg_index",
        "mode", "proposer", "_contract_address", "creator", "key",
    }
)  # fmt: skip
BLOCK_EVENT_LISTS: tuple[tuple[str, EventPhase], ...] = (
    ("begin_block_events", "begin_block"),
    ("end_block_events", "end_block"),
    ("finalize_block_events", "finalize_block"),
)
MODE_PHASES: Mapping[str, EventPhase] = {
    "PreBlock": "begin_block",
    "BeginBlock": "begin_block",
    "EndBlock": "end_block",
}


def assemble_block(block: Mapping[str, object], results: Mapping[str, object]) -> CosmosBlock:
    """The block from the `result` objects of `/block` and `/block_results` at one height.

    Raises RpcTransient when the two do not fit together (heights differ, or not one result per
    transaction: a node mid-restart or a load balancer mixing nodes), so the height is retried.
    """
    header = _mapping(_mapping(block.get("block"), "block").get("header"), "block header")
    height = _height(header.get("height"), "/block")
    results_height = _height(results.get("height"), "/block_results")
    if height != results_height:
        raise RpcTransient(
            f"/block is at height {height} but /block_results at {results_height}",
            kind="mismatch",
        )
    txs, tx_events = _txs_with_events(block, results, height)
    block_events = [(phase, _events(results.get(key))) for key, phase in BLOCK_EVENT_LISTS]
    encoded = attributes_are_base64(
        itertools.chain(*tx_events, *(events for _, events in block_events))
    )
    return CosmosBlock(
        height=height,
        hash=_text(_mapping(block.get("block_id"), "block_id").get("hash"), "block hash").upper(),
        parent_hash=_parent_hash(header),
        time=_text(header.get("time"), "block time"),
        txs=txs,
        events=(
            *(event for tx in txs for event in _tx_events(tx, tx_events[tx.index], encoded)),
            *_block_events(block_events, encoded),
        ),
    )


def block_header(block: Mapping[str, object]) -> BlockHeader:
    """The watcher core's header of a `/block` answer: height, hash, parent, time."""
    header = _mapping(_mapping(block.get("block"), "block").get("header"), "block header")
    time = _text(header.get("time"), "block time")
    try:
        timestamp = int(datetime.fromisoformat(_whole_seconds(time)).timestamp())
    except ValueError as exc:
        raise _malformed("block time") from exc
    return BlockHeader(
        number=_height(header.get("height"), "/block"),
        hash=_text(_mapping(block.get("block_id"), "block_id").get("hash"), "block hash").upper(),
        parent_hash=_parent_hash(header),
        timestamp=timestamp,
    )


def _whole_seconds(time: str) -> str:
    """RFC 3339 with nanoseconds (`…:05.123456789Z`) as Python reads it: fractions dropped."""
    stamp, _, _ = time.rstrip("Z").partition(".")
    return stamp + "+00:00"


def attributes_are_base64(events: Iterable[RawEvent]) -> bool:
    """Whether an answer's attributes are base64-encoded: True when it has keys, every
    non-empty key is canonical base64 of printable UTF-8 text, and at least one decodes to a
    well-known key (`sender`, `amount`, `module`...). Plain keys nearly always fail the first
    test (`sender` is 6 characters, not a multiple of 4) and cannot pass the second by chance;
    encoded keys of an app that uses none of the known names are left as sent."""
    keys = {key for _, attributes in events for key, _ in attributes if key}
    names = {_decoded_key(key) for key in keys}
    return bool(keys) and None not in names and not KNOWN_ATTRIBUTE_KEYS.isdisjoint(names)


def _malformed(what: str) -> RpcTransient:
    return RpcTransient(f"malformed {what} in a node's answer", kind="malformed")


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise _malformed(what)
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise _malformed(what)
    return value


def _height(value: object, what: str) -> int:
    if isinstance(value, str) and value.isdecimal():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _malformed(f"{what} height")


def _parent_hash(header: Mapping[str, object]) -> str:
    """The previous block's hash; empty for a chain's first block."""
    last_block_id = header.get("last_block_id")
    found = last_block_id.get("hash") if isinstance(last_block_id, Mapping) else None
    return found.upper() if isinstance(found, str) else ""


def _list(value: object, what: str) -> Sequence[object]:
    """A JSON list; nodes send `null` (or omit the field) for an empty one."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _malformed(what)
    return value


def _txs_with_events(
    block: Mapping[str, object], results: Mapping[str, object], height: int
) -> tuple[tuple[CosmosTx, ...], list[list[RawEvent]]]:
    data = _mapping(_mapping(block.get("block"), "block").get("data"), "block data")
    raw_txs = _list(data.get("txs"), "block txs")
    tx_results = _list(results.get("txs_results"), "txs_results")
    if len(raw_txs) != len(tx_results):
        raise RpcTransient(
            f"block {height} has {len(raw_txs)} transactions but /block_results "
            f"{len(tx_results)} results",
            kind="mismatch",
        )
    mappings = [_mapping(result, "transaction result") for result in tx_results]
    txs = tuple(
        decode_tx(index, _text(raw, "transaction"), result)
        for index, (raw, result) in enumerate(zip(raw_txs, mappings, strict=True))
    )
    return txs, [_events(result.get("events")) for result in mappings]


def _events(value: object) -> list[RawEvent]:
    """Events as sent; a missing type or key is "", a missing value None. Something that is
    not an event at all still takes its place, as an empty event, so positions stay true."""
    return [_event(item) for item in _list(value, "event list")]


def _event(item: object) -> RawEvent:
    if not isinstance(item, Mapping):
        return "", ()
    kind = item.get("type")
    attributes = item.get("attributes")
    return (
        kind if isinstance(kind, str) else "",
        tuple(_attribute(pair) for pair in attributes) if isinstance(attributes, list) else (),
    )


def _attribute(pair: object) -> tuple[str, str | None]:
    if not isinstance(pair, Mapping):
        return "", None
    key, value = pair.get("key"), pair.get("value")
    return (
        key if isinstance(key, str) else "",
        value if isinstance(value, str) or value is None else str(value),
    )


def _base64_bytes(text: str) -> bytes | None:
    """Bytes of canonical base64 (padded, no stray bits: it re-encodes to the same text)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def _decoded_key(key: str) -> str | None:
    raw = _base64_bytes(key)
    try:
        name = raw.decode("utf-8") if raw is not None else None
    except UnicodeDecodeError:
        return None
    return name if name and name.isprintable() else None


def _decoded_value(value: str | None) -> str | None:
    """A base64 value as text; one that is not base64 of UTF-8 text (binary) stays as sent."""
    raw = None if value is None else _base64_bytes(value)
    try:
        return raw.decode("utf-8") if raw is not None else value
    except UnicodeDecodeError:
        return value


def _plain(event: RawEvent, encoded: bool) -> RawEvent:
    kind, attributes = event
    if not encoded:
        return event
    return kind, tuple((_decoded_key(k) or k, _decoded_value(v)) for k, v in attributes)


def _tx_events(tx: CosmosTx, raw: list[RawEvent], encoded: bool) -> list[CosmosEvent]:
    events = [_plain(event, encoded) for event in raw]
    msg_indexes = _message_indexes(events, len(tx.messages))
    return [
        CosmosEvent(
            type=kind,
            attributes=attributes,
            event_index=position,
            phase="tx",
            tx_index=tx.index,
            tx_hash=tx.hash,
            msg_index=msg_index,
        )
        for position, ((kind, attributes), msg_index) in enumerate(
            zip(events, msg_indexes, strict=True)
        )
    ]


def _message_indexes(events: Sequence[RawEvent], message_count: int) -> list[int | None]:
    """Which message of its transaction emitted each event.

    The SDK 0.50+ says so in a `msg_index` attribute, and then that is the answer (events
    without it, such as the fee's, come from the ante handler). Earlier SDKs (0.40-0.47) start
    each message's events with a `message` event carrying `action`; that is used only when
    there are exactly as many of those as the transaction has messages. Otherwise None.
    """
    declared = [_declared_msg_index(attributes) for _, attributes in events]
    if any(index is not None for index in declared):
        return declared
    starts = [
        position
        for position, (kind, attributes) in enumerate(events)
        if kind == "message" and any(key == "action" for key, _ in attributes)
    ]
    if not starts or len(starts) != message_count:
        return [None] * len(events)
    found = (bisect.bisect_right(starts, position) - 1 for position in range(len(events)))
    return [index if index >= 0 else None for index in found]


def _declared_msg_index(attributes: Attributes) -> int | None:
    for key, value in attributes:
        if key == "msg_index" and value is not None and value.isdecimal():
            return int(value)
    return None


def _block_events(
    lists: Sequence[tuple[EventPhase, list[RawEvent]]], encoded: bool
) -> list[CosmosEvent]:
    phased: list[tuple[EventPhase, RawEvent]] = []
    for phase, events in lists:
        for event in events:
            plain = _plain(event, encoded)
            phased.append(_phase_of(plain) if phase == "finalize_block" else (phase, plain))
    return [
        CosmosEvent(type=kind, attributes=attributes, event_index=position, phase=phase)
        for position, (phase, (kind, attributes)) in enumerate(phased)
    ]


def _phase_of(event: RawEvent) -> tuple[EventPhase, RawEvent]:
    """The SDK 0.50 `mode` marker of a finalize_block event as its phase (the last such
    attribute, which is the one the SDK appends), removed from the attributes."""
    kind, attributes = event
    for position in range(len(attributes) - 1, -1, -1):
        key, value = attributes[position]
        phase = MODE_PHASES.get(value) if key == "mode" and value is not None else None
        if phase is not None:
            return phase, (kind, attributes[:position] + attributes[position + 1 :])
    return "finalize_block", event
