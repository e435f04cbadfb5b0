"""The subscribe wizard's inputs and results as data: what a person gave, what it answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.ports import CosmosChainFacts
from bot.core.replies import Reply
from bot.core.wizard_state import WizardState
from storage.subscriptions import NewEventSubscription

MAX_ABI_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class TextInput:
    text: str


@dataclass(frozen=True, slots=True)
class ActionInput:
    action: str


@dataclass(frozen=True, slots=True)
class FileInput:
    """An uploaded file: its size as the platform reports it, and its bytes when the
    front-end fetched them (it need not fetch a file that is too large anyway)."""

    name: str
    size_bytes: int
    content: bytes = b""


@dataclass(frozen=True, slots=True)
class CancelInput:
    pass


WizardInput = TextInput | ActionInput | FileInput | CancelInput


@dataclass(frozen=True, slots=True)
class WizardFacts:
    """What the wizard knows of the world for one input: configured chains (and which are
    Cosmos SDK chains, with their address prefix and denominations), the owner's active
    webhooks (id, host) and Discord webhooks (id: their URL is a secret, and the chosen one's
    label stays empty), and the chain's answer about the address just typed, if any."""

    chains: tuple[str, ...]
    webhooks: tuple[tuple[int, str], ...] = ()
    discord_webhooks: tuple[int, ...] = ()
    contract_known: bool = False
    has_code: bool = True
    standard: str | None = None
    token_name: str | None = None
    symbol: str | None = None
    decimals: int | None = None
    cosmos: Mapping[str, CosmosChainFacts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Order:
    """The subscriptions a confirmed wizard asks for; destination None is the chat itself.

    `symbol` and `decimals` are what the chain said of the token at the address, if anything.
    """

    chain: str
    address: str
    abi: list[dict[str, Any]]
    standard: str | None
    events: tuple[NewEventSubscription, ...]
    destination_id: int | None
    symbol: str | None = None
    decimals: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    state: WizardState
    reply: Reply
    order: Order | None = None
