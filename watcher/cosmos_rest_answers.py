"""What a Cosmos chain's REST (LCD) API says of a denomination, read into our types: the bank
module's metadata as a display unit (Denom), an IBC voucher's trace as its base denom.

Bodies are read with the SDK's and ibc-go's own protobuf types (cosmpy's), which accept the
gateway's snake_case names as well as camelCase and check every value's type; fields newer
than those types are ignored. A body that does not fit raises `MalformedAnswer`; one that
fits but gives no usable unit (an empty metadata, a display unit missing from its units, an
exponent or a name no one could read) is no unit: None.
"""

from __future__ import annotations

import re
from typing import TypeVar

from cosmpy.protos.cosmos.bank.v1beta1.bank_pb2 import Metadata
from cosmpy.protos.ibc.applications.transfer.v1.denomtrace_pb2 import DenomTrace
from cosmpy.protos.ibc.applications.transfer.v1.token_pb2 import Denom as IbcDenom
from google.protobuf import json_format

from storage.deliveries import JsonValue
from watcher.cosmos_denoms import DENOM_PATTERN, Denom
from watcher.errors import WatcherError

# As the settings allow for configured denoms (app/settings.py DenomConfig).
MAX_EXPONENT = 30
# A unit's name follows amounts in a chat message: one short word, whatever the chain wrote.
MAX_NAME_CHARS = 20
IBC_PREFIX = "ibc/"
_IBC_HASH = re.compile(r"[0-9A-Fa-f]{64}")
_DENOM = re.compile(DENOM_PATTERN)
M = TypeVar("M")


class MalformedAnswer(WatcherError):
    """A 200 answer whose body is not the JSON the query returns (a proxy's page, a fork's
    different shape): the node may answer properly later."""


def is_askable(denom: str) -> bool:
    """Whether `denom` is an SDK denom that can go into a REST path as it is: one that also
    has no empty or dot segment (`a/../b` would walk up the path)."""
    segments = denom.split("/")
    return _DENOM.fullmatch(denom) is not None and not {"", ".", ".."} & set(segments)


def ibc_hash(denom: str) -> str | None:
    """The trace hash of an IBC voucher (`ibc/27394FB0…` → `27394FB0…`), None for other denoms."""
    hash_ = denom.removeprefix(IBC_PREFIX)
    return hash_ if denom.startswith(IBC_PREFIX) and _IBC_HASH.fullmatch(hash_) else None


def parse_metadata_unit(denom: str, body: JsonValue) -> Denom | None:
    """The display unit that a `QueryDenomMetadataResponse` (`{"metadata": {…}}`) gives
    amounts of `denom`: named by its symbol (`ATOM`), else by its display unit in capitals
    (`atom` → `ATOM`)."""
    metadata = _parsed(_member(body, "metadata"), Metadata())
    if metadata.base != denom:
        return None  # no metadata (`{}`), or a node answering for another denom
    exponent = next(
        (
            unit.exponent
            for unit in metadata.denom_units
            if metadata.display in (unit.denom, *unit.aliases)
        ),
        None,
    )
    name = next(
        (text for text in (metadata.symbol, metadata.display.upper()) if _readable(text)), None
    )
    if exponent is None or exponent > MAX_EXPONENT or name is None:
        return None
    return Denom(denom, name, exponent)


def parse_trace_base(body: JsonValue) -> str | None:
    """The base denom (`uatom`) of ibc-go's `QueryDenomTraceResponse` (up to v8:
    `{"denom_trace": {"path": …, "base_denom": …}}`)."""
    return _valid_denom(_parsed(_member(body, "denom_trace"), DenomTrace()).base_denom)


def parse_denom_base(body: JsonValue) -> str | None:
    """The base denom of ibc-go's `QueryDenomResponse` (v9 on:
    `{"denom": {"base": …, "trace": [{"port_id": …, "channel_id": …}]}}`)."""
    return _valid_denom(_parsed(_member(body, "denom"), IbcDenom()).base)


def _member(body: JsonValue, key: str) -> dict[str, JsonValue]:
    """The object under `key` of the answer, empty when the answer leaves it out."""
    if not isinstance(body, dict):
        raise MalformedAnswer("the answer is not a JSON object")
    member = body.get(key, {})
    # Checked here: json_format would take a string's characters for unknown fields.
    if not isinstance(member, dict):
        raise MalformedAnswer(f"the answer's {key} is not a JSON object")
    return member


def _parsed(body: dict[str, JsonValue], message: M) -> M:
    try:
        json_format.ParseDict(body, message, ignore_unknown_fields=True)
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise MalformedAnswer(f"the answer does not fit its type: {exc}") from exc
    return message


def _valid_denom(text: str) -> str | None:
    return text if is_askable(text) else None


def _readable(name: str) -> bool:
    """A short word that reads as it is in any chat: no spaces, line breaks or control
    characters (markup characters are escaped where the message is rendered)."""
    return (
        0 < len(name) <= MAX_NAME_CHARS
        and name.isprintable()
        and not any(c.isspace() for c in name)
    )
