"""`/start`: register the person (or the group) in their language and say what the bot does."""

from __future__ import annotations

from bot.core.caller import Caller
from bot.core.context import account_of
from bot.core.replies import Reply, choice, text


async def register(caller: Caller) -> Reply:
    """Create the account of the chat on first contact; either way, explain and offer to start."""
    account = await account_of(caller)
    choices = (
        (choice("bot.choice.subscribe", "menu:subscribe"),),
        (choice("bot.choice.help", "menu:help"), choice("bot.choice.language", "menu:language")),
    )
    return Reply(text("bot.start.welcome"), choices, language=account.language)
