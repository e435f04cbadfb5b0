"""Suggestions for slash command options as people type them: chains, events, subscriptions.

Pure, and total: whatever was typed (Discord sends any text, even for options that end up
as numbers), the answer is a list within Discord's limits, perhaps empty, never an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from discord.app_commands import Choice

from bot.core.oneline import split_one_line
from storage.subscriptions import SubscriptionRow
from watcher.abi import normalize_event
from watcher.errors import WatcherError
from watcher.standards import STANDARDS

# https://discord.com/developers/docs/interactions/application-commands#autocomplete
MAX_CHOICES = 25
MAX_NAME_CHARS = 100
MAX_VALUE_CHARS = 100
ELLIPSIS = "…"


def chain_choices(chains: Sequence[str], typed: str) -> list[Choice[str]]:
    """The configured chains that start with what was typed, then those containing it,
    in the configured order. A chain name too long for a value is not offered: a cut one
    would name no chain."""
    wanted = typed.strip().lower()
    usable = [chain for chain in chains if 0 < len(chain) <= MAX_VALUE_CHARS]
    starting = [chain for chain in usable if chain.lower().startswith(wanted)]
    containing = [chain for chain in usable if wanted in chain.lower() and chain not in starting]
    return [Choice(name=chain, value=chain) for chain in (starting + containing)[:MAX_CHOICES]]


def standard_event_choices(standard: str | None, typed: str) -> list[Choice[str]]:
    """Events of the token standard the chain reported for the contract. Their bare names
    are the values: the one-line subscribe finds them in the same standard."""
    events = _valid_events(STANDARDS.get(standard or "", []))
    suggestions = [(_human_signature(event), str(event["name"])) for event in events]
    return _matching(suggestions, typed)


def abi_event_choices(abi: Iterable[object], typed: str) -> list[Choice[str]]:
    """Events of an ABI (say, one stored with an earlier subscription to the contract).
    Their full signatures, with `indexed` and argument names, are the values: the one-line
    subscribe parses one into the ABI it needs. Entries that are not valid events are
    skipped, and so are events the one-line form cannot take back (a signature longer than
    a value may be, or one it would not read as a whole)."""
    signatures = [_human_signature(event) for event in _valid_events(abi)]
    return _matching([(s, s) for s in signatures if _fits_one_line(s)], typed)


def _fits_one_line(signature: str) -> bool:
    if len(signature) > MAX_VALUE_CHARS:
        return False
    parts = split_one_line(f"subscribe chain address {signature}")
    return parts is not None and parts.event == signature and not parts.filter_text


def subscription_choices(rows: Sequence[SubscriptionRow], typed: str) -> list[Choice[int]]:
    """The chat's subscriptions whose id, chain, event or address contains what was typed
    (`#12`, `mainnet`, `Transfer`)."""
    wanted = typed.strip().lower()
    found = []
    for row in rows:
        name = f"#{row.id} {row.chain} {row.event_name or '*'} {row.address}"
        if wanted in name.lower():
            found.append(Choice(name=_cut(name), value=row.id))
    return found[:MAX_CHOICES]


def _valid_events(entries: Iterable[object]) -> list[dict[str, Any]]:
    """The event entries of `entries` that are valid, normalized, each once."""
    events: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "event":
            continue
        try:
            event = normalize_event(entry)
        except WatcherError:
            continue
        if event not in events:
            events.append(event)
    return events


def _human_signature(event: dict[str, Any]) -> str:
    """`Transfer(address indexed from, address indexed to, uint256 value)`: what
    watcher.signatures parses back into the same event, tuple fields' names included."""
    anonymous = " anonymous" if event.get("anonymous") else ""
    return f"{event['name']}({_arguments(event['inputs'])}){anonymous}"


def _arguments(inputs: list[dict[str, Any]]) -> str:
    arguments = []
    for item in inputs:
        type_ = item["type"]
        if type_.startswith("tuple"):
            type_ = f"({_arguments(item['components'])}){type_[len('tuple') :]}"
        indexed = " indexed" if item.get("indexed") else ""
        arguments.append(f"{type_}{indexed} {item['name']}")
    return ", ".join(arguments)


def _matching(suggestions: Sequence[tuple[str, str]], typed: str) -> list[Choice[str]]:
    """The (name, value) suggestions whose name contains what was typed, those starting
    with it first."""
    wanted = typed.strip().lower()
    hits = [(name, value) for name, value in suggestions if wanted in name.lower()]
    hits.sort(key=lambda hit: not hit[0].lower().startswith(wanted))
    return [Choice(name=_cut(name), value=value) for name, value in hits[:MAX_CHOICES]]


def _cut(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + ELLIPSIS
