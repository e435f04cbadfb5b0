"""Checks of what people type into the subscribe forms: addresses, ABIs, filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils.address import to_checksum_address

from bot.core.amounts import convert_token_amounts
from bot.core.input_errors import attempt
from bot.core.replies import Text, text
from watcher.abi import normalize_event, parse_abi_json, parse_address
from watcher.filters import parse_filter
from watcher.signatures import parse_event_signature


def checked_address(typed: str) -> tuple[str | None, Text | None]:
    """The EIP-55 form of a typed address, or the message saying what is wrong with it."""
    address, problem = attempt(lambda: parse_address(typed))
    if address is None:
        return None, problem
    return to_checksum_address(address), None


def parsed_abi_text(typed: str) -> tuple[list[dict[str, Any]] | None, Text | None]:
    """Events of a pasted JSON ABI (or artifact), or of one event signature."""
    # Editors on Windows save files with a byte order mark, and a paste may carry one.
    stripped = typed.strip().lstrip("\ufeff").strip()
    if stripped.startswith(("[", "{")):
        return attempt(lambda: parse_abi_json(stripped))
    if "(" in stripped:
        event, problem = attempt(lambda: normalize_event(parse_event_signature(stripped)))
        return (None, problem) if event is None else ([event], None)
    return None, text("bot.wizard.abi_expected")


def parsed_filters(
    written: str, events: Sequence[dict[str, Any]]
) -> tuple[tuple[str, ...] | None, Text | None]:
    """The filter's normalized source for each event; it must fit every one of them."""
    sources = []
    for event in events:
        compiled, problem = attempt(lambda event=event: parse_filter(written, event))  # type: ignore[misc]
        if compiled is None:
            return None, problem
        sources.append(compiled.source)
    return tuple(sources), None


def checked_filter(
    typed: str,
    events: Sequence[dict[str, Any]],
    standard: str | None,
    decimals: int | None,
    symbol: str | None,
) -> tuple[tuple[str, ...] | None, Text | None]:
    """Per-event filter sources of what was typed; ERC-20 amounts are in whole tokens when
    the token's decimals are known."""
    written = typed.strip()
    if standard == "erc20" and decimals is not None:
        written, problem = convert_token_amounts(written, decimals, symbol or "")
        if problem is not None:
            return None, problem
    return parsed_filters(written, events)
