"""Checks of what people type for a Cosmos SDK chain: bech32 addresses, event types and
message type URLs, and filters with the chain's denominations and address prefix."""

from __future__ import annotations

import re

from cosmpy.crypto.address import Address

from bot.core.cosmos_kinds import AddressRole
from bot.core.input_errors import attempt
from bot.core.ports import CosmosChainFacts
from bot.core.replies import Text, text
from watcher.abi import shown
from watcher.cosmos_filters import parse_cosmos_filter
from watcher.cosmos_subscriptions import FAILED_TX, MESSAGE_MARK

# The subscriptions table holds event names of up to 256 characters; type URLs are far shorter.
MAX_EVENT_CHARS = 128
# Accounts and contracts (pre-wasmd 0.29 contracts too) hold 20 bytes; interchain accounts and
# contracts 32.
ADDRESS_BYTES = (20, 32)
_EVENT_TYPE_RE = re.compile(r"\*|[A-Za-z0-9_][A-Za-z0-9_.-]*\*?")
# A protobuf message's full name after a slash, as the SDK writes type URLs.
_TYPE_URL_RE = re.compile(r"/[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_MESSAGE_NAME_RE = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*\.)+Msg[A-Za-z0-9_]*")


def checked_bech32(
    typed: str, chain: str, facts: CosmosChainFacts, role: AddressRole
) -> tuple[str | None, Text | None]:
    """The lower-case address of the role (a validator's has the chain's validator prefix,
    `cosmosvaloper1…`), or what is wrong with it. Bech32 strings have at most 90 characters:
    any fits the contracts table."""
    value = typed.strip()
    wanted = facts.validator_prefix if role == "validator" else facts.bech32_prefix
    expected = f"{wanted}1…"
    try:
        size = len(bytes(Address(value)))
    except (RuntimeError, TypeError, ValueError):
        problem = text(
            "bot.cosmos.error.not_bech32", value=shown(value) or "—", chain=chain, expected=expected
        )
        return None, problem
    prefix = value.rpartition("1")[0].lower()
    if prefix != wanted:
        return None, _wrong_prefix(shown(value), prefix, chain, facts, role, expected)
    if size not in ADDRESS_BYTES:
        return None, text("bot.cosmos.error.address_size", value=shown(value), size=size)
    return value.lower(), None


def _wrong_prefix(
    value: str,
    prefix: str,
    chain: str,
    facts: CosmosChainFacts,
    role: AddressRole,
    expected: str,
) -> Text:
    """An account given for a validator, or the reverse, is said so: both are of the chain."""
    if role == "validator" and prefix == facts.bech32_prefix:
        return text("bot.cosmos.error.not_validator", value=value, expected=expected)
    if role != "validator" and prefix == facts.validator_prefix:
        return text("bot.cosmos.error.not_account", value=value, expected=expected)
    return text(
        "bot.cosmos.error.wrong_prefix",
        value=value,
        prefix=f"{prefix}1…",
        chain=chain,
        expected=expected,
    )


def parsed_event_name(typed: str) -> tuple[str | None, Text | None]:
    """An event type (`transfer`, `wasm-swap`, a prefix `wasm-*`, `*`), a message type URL
    (`/cosmos.gov.v1.MsgVote`) or `tx.failed` as written, or what is wrong with it. Whether
    it fits where it was given (an address with it, `*` alone) is for the caller to say."""
    value = typed.strip()
    if len(value) > MAX_EVENT_CHARS:
        return None, text(
            "bot.cosmos.error.event_too_long", value=shown(value), limit=MAX_EVENT_CHARS
        )
    if value.startswith(MESSAGE_MARK):
        if _TYPE_URL_RE.fullmatch(value) is None:
            return None, text("bot.cosmos.error.message_type", value=shown(value))
        return value, None
    if value == FAILED_TX:
        return value, None
    if "(" in value:
        return None, text("bot.cosmos.error.evm_signature", value=shown(value))
    if _MESSAGE_NAME_RE.fullmatch(value):
        return None, text("bot.cosmos.error.missing_slash", value=value)
    if _EVENT_TYPE_RE.fullmatch(value) is None:
        return None, text("bot.cosmos.error.event_type", value=shown(value) or "—")
    return value, None


def checked_cosmos_filter(typed: str, facts: CosmosChainFacts) -> tuple[str | None, Text | None]:
    """The normalized source of a filter on the chain (amounts in its denominations, addresses
    with its prefix), or what is wrong with it; "" for none."""
    compiled, problem = attempt(
        lambda: parse_cosmos_filter(
            typed, denoms=facts.denoms_by_base, bech32_prefix=facts.bech32_prefix
        )
    )
    return (None, problem) if compiled is None else (compiled.source, None)


def combined_filter(
    own: str, added: str, facts: CosmosChainFacts
) -> tuple[str | None, Text | None]:
    """A kind's own filter and the one the person added, as one: `(own) and (added)`; the
    whole is compiled as the watcher will, so it is refused here if the watcher would."""
    if own and added:
        return checked_cosmos_filter(f"({own}) and ({added})", facts)
    return checked_cosmos_filter(own or added, facts)
