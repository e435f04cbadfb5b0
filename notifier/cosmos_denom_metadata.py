"""Display units from a Cosmos chain's own metadata for the amounts of a round whose denoms the
settings do not name (an IBC voucher, a second native token), added to the chain facts that
the renderers read, so that `2500000ibc/27394FB0…` shows as `2.5 ATOM` rather than in base
units.

The lookup is the I/O (the app gives the notifier one: watcher/cosmos_denom_metadata.py reads
the chain's REST API and remembers what it read); rendering stays pure. A lookup that fails,
or takes longer than its timeout and a grace period, leaves the amounts in base units: the
notifications go out all the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from notifier.cosmos_text import is_cosmos, unnamed_denoms
from storage.deliveries import DisplayDenom, DueDelivery

logger = logging.getLogger(__name__)

# Beyond the lookup's own timeout, for a lookup that does not keep to it.
GRACE_S = 1.0


class DenomLookup(Protocol):
    """Display units of a chain's denoms as the chain itself describes them."""

    @property
    def timeout_s(self) -> float: ...

    async def fetch_denoms(
        self, chain: str, denoms: Iterable[str]
    ) -> Mapping[str, DisplayDenom]: ...


def lookup_budget_s(lookup: DenomLookup | None) -> float:
    """How long one round may wait for its display units."""
    return 0.0 if lookup is None else lookup.timeout_s + GRACE_S


async def with_metadata_denoms(
    due: Sequence[DueDelivery],
    lookup: DenomLookup,
    shown: Callable[[DueDelivery], bool],
) -> list[DueDelivery]:
    """The deliveries, those of Cosmos chains that are `shown` as messages with the display
    units that their chains' metadata gives for denoms their facts lack."""
    wanted: dict[str, set[str]] = {}
    for d in due:
        if is_cosmos(d) and shown(d):
            wanted.setdefault(d.event.chain, set()).update(unnamed_denoms(d))
    wanted = {chain: denoms for chain, denoms in wanted.items() if denoms}
    if not wanted:
        return list(due)
    try:
        async with asyncio.timeout(lookup_budget_s(lookup)):
            found = await asyncio.gather(
                *(lookup.fetch_denoms(chain, denoms) for chain, denoms in wanted.items())
            )
    except Exception:
        logger.exception("looking up display units failed; amounts show in base units")
        return list(due)
    units = dict(zip(wanted, found, strict=True))
    return [_with_units(d, units[d.event.chain]) if d.event.chain in units else d for d in due]


def _with_units(d: DueDelivery, units: Mapping[str, DisplayDenom]) -> DueDelivery:
    facts = d.chain_facts
    named = {denom.base for denom in facts.denoms}
    added = tuple(unit for base, unit in units.items() if base not in named)
    return replace(d, chain_facts=replace(facts, denoms=facts.denoms + added)) if added else d
