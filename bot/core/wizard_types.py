"""The subscribe wizard's inputs and results as data: what a person gave, what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
