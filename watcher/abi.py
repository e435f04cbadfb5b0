"""Event ABIs: validating what people paste (addresses, ABI JSON), signatures, finding events."""

from __future__ import annotations

import functools
import re
import reprlib
from typing import Any

import orjson
from eth_abi.exceptions import ABITypeError, ParseError
from eth_abi.grammar import parse as parse_eth_abi_type
from eth_abi.registry import registry as eth_abi_registry
from eth_hash.auto import keccak

from watcher.errors import InvalidInput

MAX_TUPLE_DEPTH = 16
_ALIASES = {
    "uint": "uint256",
    "int": "int256",
    "fixed": "fixed128x18",
    "ufixed": "ufixed128x18",
    "byte": "bytes1",
}
_ADDRESS_RE = re.compile(r"0x([0-9a-fA-F]{40})")
MAX_NAME_CHARS = 64
"""Longer event and argument names are refused: they must fit a button and a stored row."""
_NAME_RE = re.compile(rf"[A-Za-z_$][A-Za-z0-9_$]{{0,{MAX_NAME_CHARS - 1}}}")
_ELEMENTARY_RE = re.compile(r"([a-z]+)([0-9]+(?:x[0-9]+)?)?((?:\[[0-9]*\])*)")
_ARRAYS_RE = re.compile(r"(?:\[[0-9]*\])*")


def shown(value: Any) -> str:
    """`value` as text for a message, cut to 80 characters (reprlib: JSON nested a thousand
    deep has no repr within Python's recursion limit)."""
    text = value if isinstance(value, str) else reprlib.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- addresses -----------------------------------------------------------------------------


def parse_address(text: str) -> str:
    """The lower-case 0x form of an address; mixed case must be a valid EIP-55 checksum."""
    candidate = text.strip() if isinstance(text, str) else ""
    found = _ADDRESS_RE.fullmatch(candidate)
    if found is None:
        raise InvalidInput(
            "address.invalid",
            f"{shown(text)!r} is not an address: expected 0x followed by 40 hex digits",
            value=shown(text),
            expected="0x followed by 40 hex digits",
        )
    digits = found.group(1)
    lower = digits.lower()
    if digits not in (lower, digits.upper()) and _checksummed(lower) != digits:
        raise InvalidInput(
            "address.bad_checksum",
            f"{candidate!r} has a wrong EIP-55 checksum: check it for a typo, or write it"
            " in lower case",
            value=candidate,
        )
    return "0x" + lower


def _checksummed(lower_hex: str) -> str:
    digest = keccak(lower_hex.encode("ascii")).hex()
    return "".join(
        c.upper() if h in "89abcdef" else c for c, h in zip(lower_hex, digest, strict=False)
    )


@functools.lru_cache(maxsize=65_536)
def checksum_address(address: str) -> str:
    """The EIP-55 mixed-case form of an address given in any accepted form."""
    return "0x" + _checksummed(parse_address(address)[2:])


# --- types and ABI entries -----------------------------------------------------------------


class _EntryProblem(Exception):
    """One field of an ABI entry is wrong; turned into InvalidInput with the entry's place."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(field)
        self.field, self.value, self.expected = field, shown(value), expected


def is_valid_type(canonical: str) -> bool:
    """Whether eth-abi can encode the canonical type `canonical`."""
    try:
        parse_eth_abi_type(canonical).validate()
    except (ParseError, ABITypeError, ValueError):
        return False
    return bool(eth_abi_registry.has_encoder(canonical))


def canonical_elementary(type_str: str) -> str | None:
    """`type_str` with uint/int aliases expanded, or None when it is not a Solidity type."""
    found = _ELEMENTARY_RE.fullmatch(type_str) if len(type_str) <= 200 else None
    if found is None:
        return None
    base, sub, arrays = found.groups()
    canonical = (base + sub if sub else _ALIASES.get(base, base)) + arrays
    return canonical if is_valid_type(canonical) else None


def canonical_type(item: dict[str, Any]) -> str:
    """The canonical type of a normalized input: tuples as "(uint256,address)[]"."""
    type_: str = item["type"]
    if not type_.startswith("tuple"):
        return type_
    return "(" + ",".join(canonical_type(c) for c in item["components"]) + ")" + type_[5:]


def _normalize_type(raw: dict[str, Any], depth: int) -> dict[str, Any]:
    type_ = raw.get("type")
    if not isinstance(type_, str):
        raise _EntryProblem("type", type_, "a Solidity type such as uint256")
    if not type_.startswith("tuple"):
        canonical = canonical_elementary(type_)
        if canonical is None:
            raise _EntryProblem("type", type_, "a Solidity type such as uint256")
        return {"type": canonical}
    components = raw.get("components")
    if not isinstance(components, list) or not components:
        raise _EntryProblem("components", components, "a non-empty list for a tuple type")
    if depth >= MAX_TUPLE_DEPTH or not _ARRAYS_RE.fullmatch(type_[5:]):
        raise _EntryProblem("type", type_, f"a tuple type nested at most {MAX_TUPLE_DEPTH} deep")
    item = {"type": type_, "components": _normalize_inputs(components, depth + 1, top=False)}
    if not is_valid_type(canonical_type(item)):
        raise _EntryProblem("type", type_, "array sizes of at least 1, such as tuple[2]")
    return item


def _normalize_inputs(raw_inputs: list[Any], depth: int, top: bool) -> list[dict[str, Any]]:
    inputs: list[dict[str, Any]] = []
    names: set[str] = set()
    for index, raw in enumerate(raw_inputs):
        if not isinstance(raw, dict):
            raise _EntryProblem("inputs", raw, "an object with name, type and indexed")
        name = raw.get("name") or f"arg{index}"
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise _EntryProblem("name", name, "an identifier such as value")
        if name in names:
            raise _EntryProblem("name", name, "argument names used only once")
        names.add(name)
        item = {"name": name, **_normalize_type(raw, depth)}
        if top:
            item["indexed"] = raw.get("indexed", False)
            if not isinstance(item["indexed"], bool):
                raise _EntryProblem("indexed", item["indexed"], "true or false")
        inputs.append(item)
    return inputs


def _normalize_event(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise _EntryProblem("entry", entry, "an object")
    name, anonymous, inputs = (
        entry.get("name"),
        entry.get("anonymous", False),
        entry.get("inputs", []),
    )
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise _EntryProblem("name", name, "an identifier such as Transfer")
    if not isinstance(anonymous, bool):
        raise _EntryProblem("anonymous", anonymous, "true or false")
    if not isinstance(inputs, list):
        raise _EntryProblem("inputs", inputs, "a list of arguments")
    normalized = _normalize_inputs(inputs, 0, top=True)
    indexed_limit = 4 if anonymous else 3
    if sum(item["indexed"] for item in normalized) > indexed_limit:
        raise _EntryProblem("inputs", inputs, f"at most {indexed_limit} indexed arguments")
    return {"type": "event", "name": name, "anonymous": anonymous, "inputs": normalized}


def normalize_event(entry: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """A validated copy of an event entry: canonical types, every input named (arg0...)."""
    try:
        return _normalize_event(entry)
    except _EntryProblem as problem:
        name = entry.get("name") if isinstance(entry, dict) else None
        raise InvalidInput(
            "abi.bad_entry",
            f"ABI entry {index} ({shown(name)}): {problem.field} {problem.value!r} is not valid:"
            f" expected {problem.expected}",
            index=index,
            event=shown(name),
            field=problem.field,
            value=problem.value,
            expected=problem.expected,
        ) from None


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def parse_abi_json(text: str | bytes) -> list[dict[str, Any]]:
    """The normalized event entries of a JSON ABI or of a Hardhat/Foundry artifact."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            "abi.invalid_json", f"the ABI is not valid JSON: {exc}", error=str(exc)
        ) from None
    if isinstance(document, dict) and "abi" in document:
        document = document["abi"]
    if not isinstance(document, list):
        raise InvalidInput(
            "abi.not_a_list",
            f"the ABI is {_json_kind(document)}: expected a JSON list, or an artifact with an"
            " abi key",
            found=_json_kind(document),
        )
    events = []
    for index, entry in enumerate(document):
        is_event = isinstance(entry, dict) and entry.get("type") == "event"
        if is_event or not isinstance(entry, dict):
            events.append(normalize_event(entry, index))  # raises for a non-object entry
    if not events:
        raise InvalidInput("abi.no_events", "the ABI has no events: nothing could be watched")
    return events


# --- signatures and selectors --------------------------------------------------------------


def event_signature(event: dict[str, Any]) -> str:
    """The canonical signature, e.g. "Transfer(address,address,uint256)"."""
    normalized = normalize_event(event)
    return f"{normalized['name']}({','.join(canonical_type(i) for i in normalized['inputs'])})"


@functools.lru_cache(maxsize=4096)
def _selector_of(signature: str) -> str:
    return "0x" + keccak(signature.encode("ascii")).hex()


def event_selector(event: dict[str, Any]) -> str:
    """topic0 of the event's logs: "0x" + keccak256 of its canonical signature."""
    return _selector_of(event_signature(event))


def _events_of(abi: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        normalize_event(entry, index)
        for index, entry in enumerate(abi)
        if isinstance(entry, dict) and entry.get("type") == "event"
    ]


def find_event(abi: list[dict[str, Any]], name_or_signature: str) -> dict[str, Any]:
    """The one event of `abi` named so ("Transfer") or with that signature."""
    wanted = name_or_signature.strip()
    events = _events_of(abi)
    if "(" in wanted:
        # Imported here: watcher.signatures builds on this module's type checks.
        from watcher.signatures import parse_event_signature

        signature = event_signature(parse_event_signature(wanted))
        found = [e for e in events if event_signature(e) == signature]
    else:
        found = [e for e in events if e["name"] == wanted]
    unique = [e for i, e in enumerate(found) if e not in found[:i]]
    if not unique:
        available = sorted({e["name"] for e in events})
        raise InvalidInput(
            "abi.unknown_event",
            f"the ABI has no event {shown(wanted)!r}: it has {', '.join(available) or 'none'}",
            name=shown(wanted),
            available=available,
        )
    if len(unique) > 1:
        candidates = [event_signature(e) for e in unique]
        raise InvalidInput(
            "abi.ambiguous_event",
            f"the ABI has several events named {wanted!r}: give one of {', '.join(candidates)}",
            name=wanted,
            candidates=candidates,
        )
    return unique[0]
