"""Autocomplete: suggestions for the slash command option being typed.

Discord wants the choices within 3 seconds and an autocomplete cannot be deferred, so a
contract lookup gets `SUGGEST_LOOKUP_S` and then no suggestions. Subscriptions are
suggested from the chat the command is used in only, never another's.
"""

from __future__ import annotations

import asyncio

from discord.app_commands import Choice

from bot.core.context import CoreSettings
from bot.discord.autocomplete import chain_choices, standard_event_choices, subscription_choices
from bot.discord.callers import PLATFORM
from bot.discord.commands import Options
from storage.subscriptions import list_owned_subscriptions
from storage.users import fetch_account

SUGGEST_LOOKUP_S = 2.0


async def suggest_text(
    settings: CoreSettings, focused: str | None, typed: str, options: Options
) -> list[Choice[str]]:
    """Chains by name, or the events of the standard the given contract follows."""
    chains = settings.chains
    if focused == "chain":
        return chain_choices(chains, typed)
    chain, address = str(options.get("chain", "")), str(options.get("address", "")).strip()
    if focused != "event" or chain not in chains or not address:
        return []
    lookup = settings.lookup.fetch_contract_info(chain, address)
    try:
        info = await asyncio.wait_for(lookup, SUGGEST_LOOKUP_S)
    except TimeoutError:
        return []
    return standard_event_choices(info.standard if info is not None else None, typed)


async def suggest_subscriptions(channel_id: int | None, typed: str) -> list[Choice[int]]:
    """The subscriptions of the chat the command is used in."""
    account = await fetch_account(PLATFORM, str(channel_id))
    if account is None:
        return []
    return subscription_choices(await list_owned_subscriptions(account.owner_id), typed)
