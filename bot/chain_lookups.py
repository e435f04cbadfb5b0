"""The bot core's port to the configured chains (bot/core/ports.py), over their RPC nodes."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from bot.core.ports import ContractInfo
from storage.subscriptions import ActiveSubscription
from watcher.errors import WatcherError
from watcher.lookup import ContractLookup
from watcher.types import ChainEvent

log = logging.getLogger(__name__)

# What a node that is down, slow or refusing can raise; the wizard then goes on without it.
_UNANSWERED = (WatcherError, TimeoutError, OSError)


class ChainLookups:
    """Answers for the chains that have a lookup; any other chain, or a node that does not
    answer, gives None (the core then asks the user, or says it could not look)."""

    def __init__(self, lookups: Mapping[str, ContractLookup]) -> None:
        self._lookups = dict(lookups)

    async def fetch_contract_info(self, chain: str, address: str) -> ContractInfo | None:
        lookup = self._lookups.get(chain)
        if lookup is None:
            return None
        try:
            found = await lookup.fetch_contract_info(address)
        except _UNANSWERED as exc:
            log.warning("contract lookup failed: %s", exc, extra={"chain": chain})
            return None
        return ContractInfo(
            found.has_code, found.standard, found.name, found.symbol, found.decimals
        )

    async def fetch_recent_matches(
        self, chain: str, sources: Sequence[ActiveSubscription], limit: int = 3
    ) -> list[ChainEvent] | None:
        lookup = self._lookups.get(chain)
        if lookup is None:
            return None
        try:
            return await lookup.fetch_recent_matches(chain, sources, limit=limit)
        except _UNANSWERED as exc:
            log.warning("recent events lookup failed: %s", exc, extra={"chain": chain})
            return None
