"""The one-line form on a Cosmos SDK chain: `subscribe <chain> [address] <event> [filter]`.

As on EVM chains the address comes before the event, but here it is optional: `<event>` is an
ABCI event type (`transfer`, `wasm-swap`, `wasm-*`), a message type URL
(`/cosmos.gov.v1.MsgVote`) or `tx.failed`; the address narrows x/wasm's events or messages to
one CosmWasm contract, and is the account whose failed transactions `tx.failed` watches. What
follows the event is a filter on its attributes or fields (`amount >= 1.5ATOM`).
"""

from __future__ import annotations

import re

from bot.core.cosmos_checks import checked_bech32, checked_cosmos_filter, parsed_event_name
from bot.core.cosmos_kinds import AddressRole, takes_contract
from bot.core.ports import CosmosChainFacts
from bot.core.replies import Text, text
from bot.core.wizard import Order
from storage.subscriptions import NewEventSubscription
from watcher.cosmos_subscriptions import FAILED_TX, WILDCARD, subscription_kind

# A bech32 address of any chain: a prefix of letters, `1`, then at least 38 characters (20
# bytes and the checksum). No event type looks so, and a message type URL starts with `/`.
_ADDRESS_SHAPE_RE = re.compile(r"[A-Za-z]+1[A-Za-z0-9]{38,}")


def cosmos_usage(chain: str, facts: CosmosChainFacts) -> Text:
    return text("bot.cosmos.oneline.usage", chain=chain, prefix=facts.bech32_prefix)


def split_cosmos_line(rest: str, facts: CosmosChainFacts) -> tuple[str, str, str]:
    """(address or "", event, filter) of what follows the chain's name."""
    first, tail = [*rest.split(None, 1), "", ""][:2]
    if not _looks_like_address(first, facts):
        return "", first, tail.strip()
    event, filter_text = [*tail.split(None, 1), "", ""][:2]
    return first, event, filter_text.strip()


def _looks_like_address(word: str, facts: CosmosChainFacts) -> bool:
    """Meant as an address, typo or not: the chain's prefix, or any bech32 address's shape."""
    lowered = word.lower()
    own = lowered.startswith((f"{facts.bech32_prefix}1", f"{facts.validator_prefix}1"))
    return own or _ADDRESS_SHAPE_RE.fullmatch(word) is not None


def cosmos_order(
    chain: str, facts: CosmosChainFacts, rest: str
) -> tuple[Order | None, Text | None]:
    """The order the line asks for, delivered to this chat, or what is wrong with it."""
    given, event, filter_text = split_cosmos_line(rest, facts)
    name, problem = parsed_event_name(event)
    if name is None:
        return None, problem
    address, problem = _address(chain, facts, given, name)
    if address is None:
        return None, problem
    source, problem = checked_cosmos_filter(filter_text, facts)
    if source is None:
        return None, problem
    wanted = NewEventSubscription(None if name == WILDCARD else name, None, source)
    return Order(chain, address, [], None, (wanted,), None), None


def _address(
    chain: str, facts: CosmosChainFacts, given: str, name: str
) -> tuple[str | None, Text | None]:
    """The contract row's address: the account of tx.failed, a contract for x/wasm's events
    and messages, else ""; or what is wrong with the address or its absence."""
    params: dict[str, str | int] = {"chain": chain, "prefix": facts.bech32_prefix}
    if not given:
        if name == FAILED_TX:
            return None, text("bot.cosmos.error.failed_tx_account", **params)
        if name == WILDCARD:
            return None, text("bot.cosmos.error.every_event")
        return "", None
    if name not in (FAILED_TX, WILDCARD) and not takes_contract(name):
        return None, _names_no_contract(chain, facts, name)
    role: AddressRole = "account" if name == FAILED_TX else "contract"
    return checked_bech32(given, chain, facts, role)


def _names_no_contract(chain: str, facts: CosmosChainFacts, name: str) -> Text:
    """An address before an event or message that no contract emits or receives; the example
    filters on an attribute (`recipient == cosmos1…`) or on a validator (`cosmosvaloper1…`)."""
    if subscription_kind(name) == "message":
        return text(
            "bot.cosmos.error.message_names_no_contract",
            event=name,
            chain=chain,
            validator_prefix=facts.validator_prefix,
        )
    return text(
        "bot.cosmos.error.not_contract_event", event=name, chain=chain, prefix=facts.bech32_prefix
    )
