"""What every use case shares: the core's settings and the account of the chat asking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.caller import Caller
from bot.core.ports import ChainLookup, CosmosChainFacts
from bot.core.quotas import Quotas
from bot.core.replies import Reply, text
from locales import pick_language
from notifier.webhook_targets import DISCORD_API_URL, TargetRules
from storage.users import Account, ensure_account, reactivate_chat_destination


@dataclass(frozen=True, slots=True)
class CoreSettings:
    """The configured chain names (in the order offered), the port to them, where webhooks may
    point (public https hosts unless the operator allows more), the Discord API whose host
    pasted Discord webhook URLs may also be on (besides discord.com), and which of the chains
    are Cosmos SDK chains (by name; every other chain is an EVM chain)."""

    chains: tuple[str, ...]
    lookup: ChainLookup
    webhook_targets: TargetRules = field(default_factory=TargetRules)
    secret_overlap_s: float = 86400.0
    """How long a rotated webhook secret signs beside the new one."""
    discord_api_url: str = DISCORD_API_URL
    cosmos: Mapping[str, CosmosChainFacts] = field(default_factory=dict)
    quotas: Quotas = field(default_factory=Quotas)


async def account_of(caller: Caller) -> Account:
    """The owner account of the caller's chat, made on first contact in their language.

    Every use case starts here, so this is where a chat that uses the bot again gets its
    destination back: the notifier disabled it when the platform refused a message (the
    bot blocked, removed, or without permission), and a chat the bot hears from again can
    most likely be written to again. If not, the next notification disables it once more.
    """
    account = await ensure_account(
        caller.platform,
        caller.user_external_id,
        caller.chat_external_id,
        caller.chat_kind,
        pick_language(caller.language_code),
    )
    if not account.is_new:
        await reactivate_chat_destination(
            account.owner_id, caller.platform, caller.chat_external_id
        )
    return account


def not_found(account: Account) -> Reply:
    """The one answer for ids that do not exist and ids of somebody else alike."""
    return Reply(text("bot.not_found"), language=account.language)


def admins_only(account: Account) -> Reply:
    return Reply(text("bot.group.admins_only"), language=account.language)


MAX_ID = 2**31 - 1
"""The largest id a database integer column holds."""


def parse_id(value: str) -> int | None:
    """A positive database id from an action or a command argument, else None."""
    value = value.strip().lstrip("#")
    if not value.isdecimal() or len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if number <= MAX_ID else None
