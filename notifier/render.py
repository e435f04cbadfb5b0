"""Renders a delivery as the JSON body of its webhook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import orjson
from eth_utils.address import is_hex_address, to_checksum_address

from notifier.cosmos_text import event_index, explorer_path, is_cosmos, message_index
from storage.deliveries import AbiParam, DueDelivery, JsonValue


def render_webhook_body(d: DueDelivery, chain_id: int | str, explorer_url: str | None) -> bytes:
    """The webhook payload: where and when the event happened, and its arguments."""
    if is_cosmos(d):
        return orjson.dumps(_cosmos_body(d, chain_id, explorer_url))
    event = d.event
    body: dict[str, JsonValue] = {
        "type": d.kind,
        "subscription_id": d.subscription_id,
        "chain": event.chain,
        "chain_id": chain_id,
        "block_number": event.block_number,
        "block_hash": event.block_hash,
        "transaction_hash": event.transaction_hash,
        "log_index": event.log_index,
        "contract": _checksum(event.contract),
        "event": event.event_name,
        "args": render_args(event.args, d.abi_inputs),
        "explorer_url": transaction_link(explorer_url, event.transaction_hash),
        # Sent before the chain's confirmations: an event.confirmed or event.reverted follows.
        "provisional": d.provisional,
    }
    if event.event_name is None:
        body["topics"] = list(event.topics)
        body["data"] = event.data
    return orjson.dumps(body)


def _cosmos_body(
    d: DueDelivery, chain_id: int | str, explorer_url: str | None
) -> dict[str, JsonValue]:
    """A Cosmos event in the same shape: `msg_index` and `event_index` (null for message and
    failed-transaction matches) in place of `log_index`, null for the transaction of a
    block-level event and for the contract of an event no contract emitted, the attributes
    as stored (a repeated key keeps all its values, in order, as a list)."""
    event = d.event
    page = None if explorer_url is None else explorer_url.rstrip("/") + explorer_path(event)
    return {
        "type": d.kind,
        "subscription_id": d.subscription_id,
        "chain": event.chain,
        "chain_id": chain_id,
        "block_number": event.block_number,
        "block_hash": event.block_hash,
        "transaction_hash": event.transaction_hash or None,
        "msg_index": message_index(event),
        "event_index": event_index(event),
        "contract": event.contract or None,
        "event": event.event_name,
        "args": dict(event.args),
        "explorer_url": page,
        "provisional": d.provisional,
    }


def transaction_link(explorer_url: str | None, transaction_hash: str) -> str | None:
    if explorer_url is None:
        return None
    return explorer_url.rstrip("/") + "/tx/" + transaction_hash


def render_args(args: Mapping[str, JsonValue], inputs: Sequence[AbiParam]) -> dict[str, JsonValue]:
    """Arguments in the ABI's order, addresses checksummed as the input types say.

    The order is restored from the ABI because PostgreSQL's jsonb does not keep key order.
    Arguments without a matching input are passed through unchanged.
    """
    rendered = {
        param.name: _render_value(args[param.name], param.type, param.components)
        for param in inputs
        if param.name in args
    }
    rendered.update({name: value for name, value in args.items() if name not in rendered})
    return rendered


def _render_value(value: JsonValue, abi_type: str, components: Sequence[AbiParam]) -> JsonValue:
    if abi_type.endswith("]") and isinstance(value, list):
        element_type = abi_type[: abi_type.rindex("[")]
        return [_render_value(item, element_type, components) for item in value]
    if abi_type == "tuple":
        return _render_tuple(value, components)
    if abi_type == "address" and isinstance(value, str):
        return _checksum(value)
    return value


def _render_tuple(value: JsonValue, components: Sequence[AbiParam]) -> JsonValue:
    """Tuples may be stored as objects keyed by component name or as positional lists."""
    if isinstance(value, dict):
        return render_args(value, components)
    if isinstance(value, list) and len(value) == len(components):
        return [
            _render_value(item, component.type, component.components)
            for item, component in zip(value, components, strict=True)
        ]
    return value


# A contract's address is in every body of its subscription and busy accounts recur, while
# each EIP-55 checksum costs a Keccak hash: about a fifth of a webhook's send CPU uncached.
@lru_cache(maxsize=4096)
def _checksum(address: str) -> str:
    """EIP-55 form of a 20-byte hex address; anything else is returned as it is."""
    return to_checksum_address(address) if is_hex_address(address) else address
