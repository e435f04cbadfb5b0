"""What every use case shares: the core's settings and the account of the chat asking."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.caller import Caller
from bot.core.ports import ChainLookup
from bot.core.replies import Reply, text
from locales import pick_language
from storage.users import Account, ensure_account


@dataclass(frozen=True, slots=True)
class CoreSettings:
    """The configured chain names (in the order offered), the port to them, and whether
    webhooks may point at private or loopback addresses."""

    chains: tuple[str, ...]
    lookup: ChainLookup
    allow_private_webhooks: bool = False


async def account_of(caller: Caller) -> Account:
    """The owner account of the caller's chat, made on first contact in their language."""
    return await ensure_account(
        caller.platform,
        caller.user_external_id,
        caller.chat_external_id,
        caller.chat_kind,
        pick_language(caller.language_code),
    )


def not_found(account: Account) -> Reply:
    """The one answer for ids that do not exist and ids of somebody else alike."""
    return Reply(text("bot.not_found"), language=account.language)


def admins_only(account: Account) -> Reply:
    return Reply(text("bot.group.admins_only"), language=account.language)


def parse_id(value: str) -> int | None:
    """A positive database id from an action or a command argument, else None."""
    value = value.strip().lstrip("#")
    if not value.isdigit() or len(value) > 12:
        return None
    return int(value)
