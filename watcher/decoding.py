"""Decoding event logs against an ABI into named arguments, and making them storable as JSON."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eth_abi.abi import decode as eth_abi_decode

from watcher.abi import canonical_type, event_selector, normalize_event
from watcher.errors import InvalidInput

log = logging.getLogger(__name__)

_Decode = Callable[[Any], Any]
_UINT_RE = re.compile(r"(u?)int([0-9]+)")
_BYTES_N_RE = re.compile(r"bytes([0-9]+)")
_ADDRESS_TOPIC = re.compile("0x0{24}[0-9a-f]{40}").fullmatch
_ZERO_12 = bytes(12)


class _NoFit(ValueError):
    """The log does not have the shape of the event being tried."""


def _decode_address(word: bytes) -> str:
    if word[:12] != _ZERO_12:
        raise _NoFit("address padding")
    return "0x" + word[12:].hex()


def _decode_bool(word: bytes) -> bool:
    value = int.from_bytes(word, "big")
    if value > 1:
        raise _NoFit("bool")
    return value == 1


def _hex_value(value: bytes) -> str:
    return "0x" + value.hex()


def _integer_decoder(signed: bool, bits: int) -> Callable[[bytes], int]:
    if bits == 256 and not signed:
        return int.from_bytes  # big-endian by default since Python 3.11
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)

    def decode(word: bytes) -> int:
        value = int.from_bytes(word, "big", signed=signed)
        if not low <= value < high:
            raise _NoFit("integer padding")
        return value

    return decode


def _bytes_decoder(size: int) -> Callable[[bytes], str]:
    padding = bytes(32 - size)

    def decode(word: bytes) -> str:
        if word[size:] != padding:
            raise _NoFit("bytes padding")
        return "0x" + word[:size].hex()

    return decode


def _word_decoder(type_: str) -> _Decode:
    """How one 32-byte word holding a static elementary value becomes a Python value."""
    if type_ in ("address", "bool"):
        return _decode_address if type_ == "address" else _decode_bool
    if found := _UINT_RE.fullmatch(type_):
        return _integer_decoder(found.group(1) == "", int(found.group(2)))
    if found := _BYTES_N_RE.fullmatch(type_):
        return _bytes_decoder(int(found.group(1)))
    if type_ == "function":
        return _bytes_decoder(24)
    return lambda word: eth_abi_decode([type_], word)[0]  # fixed-point: rare, left to eth_abi


def _topic_word(topic: str) -> bytes:
    word = bytes.fromhex(topic[2:])
    if len(word) != 32 or topic[:2] != "0x":
        raise _NoFit(topic)
    return word


def _decode_address_topic(topic: str) -> str:
    # The hot case (ERC-20/721 from and to): one regular expression proves the padding and the
    # 40 hex digits (topics are lower-case, as RawLog holds them), then a slice.
    if _ADDRESS_TOPIC(topic) is None:
        raise _NoFit(topic)
    return "0x" + topic[26:]


def _topic_decoder(type_: str) -> Callable[[str], Any]:
    """How one topic (0x + 64 hex digits) holding an indexed argument becomes a value."""
    if type_ == "address":
        return _decode_address_topic
    if not _is_static_elementary(type_):
        # Indexed strings, bytes, arrays and tuples are only their keccak256 hash in the topic.
        return lambda topic: "0x" + _topic_word(topic).hex()
    decode = _word_decoder(type_)
    return lambda topic: decode(_topic_word(topic))


def _is_static_elementary(type_: str) -> bool:
    return not (type_.startswith("tuple") or type_.endswith("]") or type_ in ("string", "bytes"))


def _list_of(convert: _Decode) -> _Decode:
    return lambda values: [convert(v) for v in values]


def _identity(value: Any) -> Any:
    return value


def _converter(item: dict[str, Any]) -> _Decode:
    """How eth_abi's value for one input becomes ours (strings are decoded as bytes)."""
    type_: str = item["type"]
    base = type_.split("[", 1)[0]
    convert: _Decode
    if base == "tuple":
        names = [c["name"] for c in item["components"]]
        parts = [_converter(c) for c in item["components"]]
        convert = lambda values: {n: p(v) for n, p, v in zip(names, parts, values, strict=True)}  # noqa: E731
    elif base == "address":
        convert = str.lower
    elif base == "string":
        convert = lambda value: value.decode("utf-8", "replace")  # noqa: E731
    elif base.startswith("bytes") or base == "function":
        convert = _hex_value
    else:
        convert = _identity
    for _ in range(type_.count("[")):
        convert = _list_of(convert)
    return convert


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to decode one event, worked out once per ABI."""

    name: str
    topic_count: int
    data_size: int | None
    """Exact data length in bytes when every data argument is one word; else None (eth_abi)."""
    data_types: tuple[str, ...]
    steps: tuple[tuple[str, int, int, _Decode], ...]
    """(name, topic index or -1 for data, byte offset or eth_abi value index, decode)."""

    def decode(self, topics: tuple[str, ...], raw: bytes) -> dict[str, Any] | None:
        """The arguments, or None when the log does not have this event's shape."""
        words = self.data_size is not None
        try:
            payload: Any = raw if words else eth_abi_decode(self.data_types, raw)
            if words and len(raw) != self.data_size:
                return None
            args = {}
            for name, topic_index, position, decode in self.steps:
                if topic_index >= 0:
                    args[name] = decode(topics[topic_index])
                elif words:
                    args[name] = decode(payload[position : position + 32])
                else:
                    args[name] = decode(payload[position])
            return args
        # eth_abi raises many unrelated error types for data that does not fit; a log that
        # does not fit must never stop the crawl.
        except Exception:
            return None


def _plan(event: dict[str, Any]) -> _Plan:
    data_inputs = [item for item in event["inputs"] if not item["indexed"]]
    words = all(_is_static_elementary(item["type"]) for item in data_inputs)
    # Strings share the encoding of bytes; decoding them as bytes lets invalid UTF-8 through.
    data_types = tuple(re.sub(r"\bstring\b", "bytes", canonical_type(i)) for i in data_inputs)
    steps: list[tuple[str, int, int, _Decode]] = []
    topic_index, position = 0 if event["anonymous"] else 1, 0
    for item in event["inputs"]:
        if not item["indexed"]:
            decode = _word_decoder(item["type"]) if words else _converter(item)
            steps.append((item["name"], -1, 32 * position if words else position, decode))
            position += 1
            continue
        steps.append((item["name"], topic_index, 0, _topic_decoder(item["type"])))
        topic_index += 1
    data_size = 32 * position if words else None
    return _Plan(event["name"], topic_index, data_size, data_types, tuple(steps))


class AbiDecoder:
    """Decodes the logs of the events of one ABI: plans are made once, then reused per log."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        by_selector: dict[str, list[_Plan]] = {}
        anonymous: list[_Plan] = []
        for index, entry in enumerate(abi):
            if not isinstance(entry, dict) or entry.get("type") != "event":
                continue
            try:
                event = normalize_event(entry, index)
            except InvalidInput as exc:
                log.warning("event skipped by the decoder: %s", exc)
                continue
            if event["anonymous"]:
                anonymous.append(_plan(event))
            else:
                by_selector.setdefault(event_selector(event), []).append(_plan(event))
        self._by_selector = {selector: tuple(plans) for selector, plans in by_selector.items()}
        self._anonymous = tuple(anonymous)

    def decode(self, topics: tuple[str, ...], data: str) -> tuple[str | None, dict[str, Any]]:
        """(event name, arguments), or (None, {}) when no event of the ABI fits the log."""
        try:
            raw = bytes.fromhex(data[2:])
        except (ValueError, TypeError):
            return None, {}
        # fromhex skips whitespace; the length check rejects it.
        if data[:2] != "0x" or 2 * len(raw) + 2 != len(data):
            return None, {}
        count = len(topics)
        for plan in self._by_selector.get(topics[0], ()) if count else ():
            if plan.topic_count == count and (args := plan.decode(topics, raw)) is not None:
                return plan.name, args
        for plan in self._anonymous:
            if plan.topic_count == count and (args := plan.decode(topics, raw)) is not None:
                return plan.name, args
        return None, {}


def storable_args(args: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy: integers of any size (and fixed-point values) become decimal strings."""
    stored: dict[str, Any] = {}
    for key, value in args.items():
        kind = type(value)  # exact types first: this runs once per stored event
        if kind is str or kind is bool:
            stored[key] = value
        elif kind is int:
            stored[key] = str(value)
        else:
            stored[key] = _storable(value)
    return stored


def _storable(value: Any) -> Any:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return storable_args(value)
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value
