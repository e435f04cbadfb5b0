"""`/help`: every command in a few lines."""

from __future__ import annotations

from bot.core.caller import Caller
from bot.core.context import CoreSettings, account_of
from bot.core.replies import Reply, Text, choice, text


async def show_help(caller: Caller, settings: CoreSettings) -> Reply:
    account = await account_of(caller)
    choices = (
        (choice("bot.choice.subscribe", "menu:subscribe"), choice("bot.choice.list", "menu:list")),
    )
    extra = (*_cosmos_form(settings), text("bot.status.help"))
    return Reply(text("bot.help.text"), choices, extra, account.language)


def _cosmos_form(settings: CoreSettings) -> tuple[Text, ...]:
    """The one-line form of Cosmos chains, with the first configured one as the example."""
    cosmos = [name for name in settings.chains if name in settings.cosmos]
    if not cosmos:
        return ()
    example = settings.cosmos[cosmos[0]]
    return (text("bot.help.cosmos", chain=cosmos[0], prefix=example.bech32_prefix),)
