"""Translated answers for the input errors of the watcher's parsers (address, ABI, filter)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bot.core.replies import Text, text
from watcher.errors import InvalidInput


def _joined(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


_PARAMS: Mapping[str, tuple[str, ...]] = {
    "address.invalid": ("value",),
    "address.bad_checksum": ("value",),
    "abi.invalid_json": (),
    "abi.not_a_list": (),
    "abi.no_events": (),
    "abi.bad_entry": ("index", "event", "field"),
    "abi.unknown_event": ("name", "available"),
    "abi.ambiguous_event": ("name", "candidates"),
    "signature.invalid": ("text", "position", "found"),
    "filter.syntax": ("position", "found"),
    "filter.too_deep": ("limit",),
    "filter.too_long": ("limit",),
    "filter.unknown_argument": ("name", "available"),
    "filter.unsupported_type": ("name", "type"),
    "filter.bad_operator": ("name", "type", "operator", "expected"),
    "filter.bad_value": ("name", "type", "value"),
    "filter.out_of_range": ("name", "type", "value", "minimum", "maximum"),
    # Filters of Cosmos chains (watcher/cosmos_filters.py).
    "filter.wrong_prefix": ("name", "value", "prefix", "expected"),
    "filter.unknown_denom": ("name", "denom", "known"),
    "filter.amount_precision": ("name", "value", "denom", "decimals"),
}


def describe_invalid_input(exc: InvalidInput) -> Text:
    """The bot's message for `exc`; every parameter is shown as text."""
    names = _PARAMS.get(exc.key)
    if names is None:
        return text("bot.error.input")
    params: dict[str, str | int] = {name: _joined(exc.params.get(name, "")) for name in names}
    return text(f"bot.error.{exc.key}", **params)


T = TypeVar("T")


def attempt(parse: Callable[[], T]) -> tuple[T | None, Text | None]:
    """Run a parser: its result and None, or None and the message of its InvalidInput."""
    try:
        return parse(), None
    except InvalidInput as exc:
        return None, describe_invalid_input(exc)
