"""What the bot core needs from the chains, declared here and provided by the app."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.subscriptions import ActiveSubscription
from watcher.cosmos_denoms import Denom
from watcher.types import ChainEvent, validator_prefix_of


@dataclass(frozen=True, slots=True)
class ContractInfo:
    """What a chain says about an address: whether code lives there and which token it is."""

    has_code: bool
    standard: str | None = None
    name: str | None = None
    symbol: str | None = None
    decimals: int | None = None


@dataclass(frozen=True, slots=True)
class CosmosChainFacts:
    """A Cosmos SDK chain as the core checks what people type for it: the account address
    prefix (`cosmos`: accounts and contracts are `cosmos1…`), the denominations amounts may be
    written in (`1.5ATOM` or `1500000uatom`) and validator operators' prefix (`cosmosvaloper1…`;
    given "", the SDK's default for the account prefix)."""

    bech32_prefix: str
    denoms: tuple[Denom, ...] = ()
    validator_prefix: str = ""

    def __post_init__(self) -> None:
        chosen = validator_prefix_of(self.bech32_prefix, self.validator_prefix or None)
        object.__setattr__(self, "validator_prefix", chosen)

    @property
    def denoms_by_base(self) -> Mapping[str, Denom]:
        """The denominations as the Cosmos filter parser takes them (the watcher's too)."""
        return {denom.base: denom for denom in self.denoms}


class ChainLookup(Protocol):
    async def fetch_contract_info(self, chain: str, address: str) -> ContractInfo | None:
        """None when the chain could not be asked; the wizard then goes on without it."""

    async def fetch_recent_matches(
        self, chain: str, sources: Sequence[ActiveSubscription], limit: int = 3
    ) -> list[ChainEvent] | None:
        """The newest events of the chain that `sources` would have matched, newest first;
        None when the chain could not be asked."""
