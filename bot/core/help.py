"""`/help`: every command in a few lines."""

from __future__ import annotations

from bot.core.caller import Caller
from bot.core.context import account_of
from bot.core.replies import Reply, choice, text


async def show_help(caller: Caller) -> Reply:
    account = await account_of(caller)
    choices = (
        (choice("bot.choice.subscribe", "menu:subscribe"), choice("bot.choice.list", "menu:list")),
    )
    extra = (text("bot.status.help"),)
    return Reply(text("bot.help.text"), choices, extra, account.language)
