"""Decoding one transaction of a Cosmos SDK block (its bytes and its result) into a CosmosTx."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import importlib
import logging
import pkgutil
from collections.abc import Mapping
from typing import cast

import cosmpy.protos
from cosmpy.protos.cosmos.msg.v1 import msg_pb2
from cosmpy.protos.cosmos.tx.v1beta1.tx_pb2 import Tx
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from storage.deliveries import JsonValue
from watcher.cosmos_types import Coin, CosmosMessage, CosmosTx
from watcher.rpc_errors import RpcTransient

logger = logging.getLogger(__name__)

# A failed transaction's log can be a long stack of wrapped errors; a notice needs the start.
LOG_MAX_CHARS = 1_000
# Tried after the fields a message declares with the `cosmos.msg.v1.signer` proto option (SDK
# 0.47+ protos): the names the SDK's own messages used before that option existed.
FALLBACK_SIGNER_FIELDS = (
    "from_address",
    "delegator_address",
    "voter",
    "sender",
    "signer",
    "authority",
)
# A declared signer may be a message naming its own signer (MsgMultiSend's `inputs[].address`).
_SIGNER_DEPTH = 3
# Type URLs come from the chain: bound the cache of their lookups.
_TYPE_CACHE_SIZE = 1_024


def decode_tx(index: int, raw_base64: str, result: Mapping[str, object]) -> CosmosTx:
    """The transaction at `index` of a block, from its base64 bytes and its result (an entry of
    `/block_results`' `txs_results`). Bytes that are not a Cosmos SDK `Tx` (a kvstore chain
    puts `key=value` there) give `decoded=False` and no messages; the hash and result stay."""
    raw = _tx_bytes(raw_base64)
    code, codespace, log = _result_fields(result)
    tx = _parse_tx(raw)
    return CosmosTx(
        index=index,
        hash=hashlib.sha256(raw).hexdigest().upper(),
        code=code,
        codespace=codespace,
        log=log,
        memo="" if tx is None else str(tx.body.memo),
        fee=() if tx is None else _fee(tx),
        messages=() if tx is None else _messages(tx),
        decoded=tx is not None,
    )


def _malformed(what: str) -> RpcTransient:
    return RpcTransient(f"malformed {what} in a node's answer", kind="malformed")


def _tx_bytes(raw_base64: str) -> bytes:
    try:
        return base64.b64decode(raw_base64, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise _malformed("transaction (not base64)") from exc


def _result_fields(result: Mapping[str, object]) -> tuple[int, str, str]:
    """Code, codespace and capped log; nodes omit the fields that hold their zero value."""
    code = result.get("code")
    if code is None:
        code = 0
    elif isinstance(code, str) and code.isdecimal():
        code = int(code)
    elif not isinstance(code, int) or isinstance(code, bool):
        raise _malformed("transaction result code")
    codespace = result.get("codespace")
    log = result.get("log")
    return (
        code,
        codespace if isinstance(codespace, str) else "",
        log[:LOG_MAX_CHARS] if isinstance(log, str) else "",
    )


def _parse_tx(raw: bytes) -> Tx | None:
    """The protobuf `Tx`, or None. A Tx without messages is refused too: the SDK never runs
    one, and it is what arbitrary text that happens to parse as protobuf looks like."""
    try:
        tx = Tx.FromString(raw)
    except (DecodeError, RecursionError):
        return None
    messages = tx.body.messages
    if not messages or not all(packed.type_url for packed in messages):
        return None
    return tx


def _fee(tx: Tx) -> tuple[Coin, ...]:
    return tuple(Coin(str(coin.amount), str(coin.denom)) for coin in tx.auth_info.fee.amount)


def _messages(tx: Tx) -> tuple[CosmosMessage, ...]:
    return tuple(
        decode_message(index, str(packed.type_url), bytes(packed.value))
        for index, packed in enumerate(tx.body.messages)
    )


def decode_message(index: int, type_url: str, value: bytes) -> CosmosMessage:
    """One message of a transaction. A type we do not know, or bytes that do not parse as it,
    keep the type URL with no signer and an empty body."""
    message_class = _message_class(type_url.rpartition("/")[2])
    if message_class is None:
        return CosmosMessage(index=index, type_url=type_url, signer=None)
    try:
        message = message_class.FromString(value)
    except (DecodeError, RecursionError):
        return CosmosMessage(index=index, type_url=type_url, signer=None)
    return CosmosMessage(index, type_url, _signer(message, 0), _body(message))


def _body(message: Message) -> dict[str, JsonValue]:
    """Protobuf JSON with the proto field names (`from_address`, as the SDK's REST API shows
    them). A message embedding an `Any` of a type we do not know gets an empty body."""
    try:
        body = json_format.MessageToDict(message, preserving_proto_field_name=True)
    except (json_format.Error, DecodeError, TypeError, ValueError, KeyError, RecursionError):
        return {}
    return cast("dict[str, JsonValue]", body)


def _signer(message: Message, depth: int) -> str | None:
    descriptor = message.DESCRIPTOR
    for name in _signer_fields(descriptor):
        field = descriptor.fields_by_name.get(name)
        if field is None:
            continue
        value = getattr(message, name)
        if field.label == FieldDescriptor.LABEL_REPEATED:
            value = value[0] if len(value) else None
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Message) and depth < _SIGNER_DEPTH:
            found = _signer(value, depth + 1)
            if found:
                return found
    return None


@functools.lru_cache(maxsize=_TYPE_CACHE_SIZE)
def _signer_fields(descriptor: Descriptor) -> tuple[str, ...]:
    declared = tuple(str(name) for name in descriptor.GetOptions().Extensions[msg_pb2.signer])
    return declared + tuple(name for name in FALLBACK_SIGNER_FIELDS if name not in declared)


@functools.lru_cache(maxsize=_TYPE_CACHE_SIZE)
def _message_class(full_name: str) -> type[Message] | None:
    _register_cosmpy_types()
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    except KeyError:
        return None
    return cast("type[Message]", message_factory.GetMessageClass(descriptor))


@functools.cache
def _register_cosmpy_types() -> None:
    """Imports every protobuf module cosmpy ships (once, ~0.3 s), which registers its messages
    in the default descriptor pool: type URLs are looked up there, and MessageToDict expands
    the `Any`s inside a message (an IBC client state, an authz grant) through it."""
    prefix = f"{cosmpy.protos.__name__}."
    for module in pkgutil.walk_packages(cosmpy.protos.__path__, prefix):
        if not module.name.endswith("_pb2"):
            continue
        try:
            importlib.import_module(module.name)
        except (ImportError, TypeError) as exc:
            logger.warning("cosmpy module %s not loaded: %s", module.name, exc)
