"""A Cosmos message's fields as filters see them and notifications show them: flat names, text
values.

Fields keep their proto names; nested objects become `parent_child` names (down to
NESTED_DEPTH levels); a list gives a list of its values (a comparison holds when any passes);
a coin, or a list of coins, becomes a coin list (`5uatom,7ibc/…`) so that amount comparisons
work; x/wasm's base64 `msg` is read as the JSON it holds; `signer` is always there. Strings are
cut at VALUE_MAX_CHARS and at most MAX_VALUES values are kept: odd bodies never raise.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from storage.deliveries import JsonValue
from watcher.cosmos_types import CosmosMessage

WASM_TYPES = "/cosmwasm.wasm."
"""x/wasm's messages, whose `msg` field holds the JSON sent to the contract."""
NESTED_DEPTH = 6
VALUE_MAX_CHARS = 1_000
MAX_VALUES = 256
_NOT_NAME_RE = re.compile(r"[^A-Za-z0-9_$]")


def message_args(message: CosmosMessage) -> dict[str, JsonValue]:
    """A message's fields as filters see them (see the module docstring)."""
    fields = _Fields()
    try:
        for key, value in message.body.items():
            wasm_msg = key == "msg" and message.type_url.startswith(WASM_TYPES)
            if key != "signer":
                fields.walk(
                    _name(key), _contract_msg(value) if wasm_msg else value, 0, listed=False
                )
    except (TypeError, ValueError, RecursionError):  # a value no decoder should give
        pass
    return {"signer": message.signer or "", **fields.values}


class _Fields:
    """A message body's fields, flattened as the module docstring says, within MAX_VALUES."""

    def __init__(self) -> None:
        self.values: dict[str, JsonValue] = {}
        self.room = MAX_VALUES

    def walk(self, name: str, value: object, depth: int, *, listed: bool) -> None:
        coins = _coin_list(value)
        if coins is not None:
            self.add(name, coins, listed=listed)
        elif isinstance(value, dict | list) and not value:
            self.add(name, "", listed=listed)
        elif isinstance(value, dict) and depth < NESTED_DEPTH:
            for key, item in value.items():
                self.walk(f"{name}_{_name(key)}", item, depth + 1, listed=listed)
        elif isinstance(value, list) and depth < NESTED_DEPTH:
            for item in value:
                self.walk(name, item, depth + 1, listed=True)
        else:
            text = _scalar(value)
            if text is not None:
                self.add(name, text, listed=listed)

    def add(self, name: str, text: str, *, listed: bool) -> None:
        if self.room <= 0:
            return
        self.room -= 1
        held = self.values.get(name)
        if held is None:
            self.values[name] = [text] if listed else text
        elif isinstance(held, list):
            held.append(text)
        else:
            self.values[name] = [held, text]


def _name(key: object) -> str:
    """A JSON key as part of a filter name."""
    if key == "@type":
        return "type_url"
    return _NOT_NAME_RE.sub("_", str(key)) or "_"


def _scalar(value: object) -> str | None:
    if isinstance(value, str):
        return _capped(value, VALUE_MAX_CHARS)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def _coin(value: object) -> str | None:
    """`{"denom": "uatom", "amount": "5"}` as `5uatom`; None for anything else."""
    if (
        not isinstance(value, dict)
        or "denom" not in value
        or not value.keys()
        <= {
            "denom",
            "amount",
        }
    ):
        return None
    denom, amount = value["denom"], value.get("amount", "0")  # protobuf JSON omits "" and 0
    if not isinstance(denom, str) or not isinstance(amount, str | int) or isinstance(amount, bool):
        return None
    return f"{amount}{denom}"


def _coin_list(value: object) -> str | None:
    """A coin, or a non-empty list of coins, as a coin list (`5uatom,7ibc/…`)."""
    if isinstance(value, dict):
        return _coin(value)
    if not isinstance(value, list) or not value:
        return None
    coins = [_coin(item) for item in value]
    return None if None in coins else ",".join(coin for coin in coins if coin is not None)


def _contract_msg(value: object) -> object:
    """x/wasm's `msg` (base64 in protobuf JSON) as the JSON it holds, or as it is."""
    if not isinstance(value, str):
        return value
    try:
        decoded: object = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return value
    return decoded


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
