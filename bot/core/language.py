"""`/language`: offer the four languages and switch the chat's account to the chosen one."""

from __future__ import annotations

from bot.core.caller import Caller
from bot.core.context import account_of, admins_only
from bot.core.replies import Choice, Reply, plain, text
from locales import SUPPORTED_LANGUAGES, translate
from storage.users import set_language


async def offer_languages(caller: Caller) -> Reply:
    """Each language named in itself, so anyone finds their own."""
    account = await account_of(caller)
    choices = tuple(
        (Choice(plain(translate(code, "language.name")), f"lang:{code}"),)
        for code in SUPPORTED_LANGUAGES
    )
    return Reply(text("bot.language.choose"), choices, language=account.language)


async def switch_language(caller: Caller, code: str) -> Reply:
    account = await account_of(caller)
    if not caller.may_change:
        return admins_only(account)
    if code not in SUPPORTED_LANGUAGES:
        return Reply(text("bot.expired"), language=account.language)
    await set_language(account.owner_id, code)
    name = translate(code, "language.name")
    return Reply(text("bot.language.changed", language=name), language=code)
