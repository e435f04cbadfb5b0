"""What the bot core needs from the chains, declared here and provided by the app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.subscriptions import ActiveSubscription
from watcher.types import ChainEvent


@dataclass(frozen=True, slots=True)
class ContractInfo:
    """What a chain says about an address: whether code lives there and which token it is."""

    has_code: bool
    standard: str | None = None
    name: str | None = None
    symbol: str | None = None
    decimals: int | None = None


class ChainLookup(Protocol):
    async def fetch_contract_info(self, chain: str, address: str) -> ContractInfo | None:
        """None when the chain could not be asked; the wizard then goes on without it."""

    async def fetch_recent_matches(
        self, chain: str, sources: Sequence[ActiveSubscription], limit: int = 3
    ) -> list[ChainEvent] | None:
        """The newest events of the chain that `sources` would have matched, newest first;
        None when the chain could not be asked."""
