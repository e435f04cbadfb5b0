"""The core's entry points for front-ends: commands, free text, taps on choices, files."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from bot.core.caller import Caller
from bot.core.context import CoreSettings, account_of, parse_id
from bot.core.destinations import add_webhook, rotate_secret, show_destinations, turn_on
from bot.core.help import show_help
from bot.core.history import show_history
from bot.core.language import offer_languages, switch_language
from bot.core.listing import list_subscriptions, on_subscription_action
from bot.core.oneline import subscribe_in_one_line
from bot.core.quotas import CommandRate
from bot.core.register import register
from bot.core.replies import Reply, choice, text
from bot.core.status import show_status
from bot.core.subscribe import (
    has_active_wizard,
    start_wizard,
    start_wizard_with,
    wizard_input,
)
from bot.core.unstorable import unstorable
from bot.core.wizard import ActionInput, CancelInput, FileInput, TextInput

COMMANDS = (
    "start",
    "help",
    "language",
    "subscribe",
    "list",
    "history",
    "destinations",
    "webhook",
    "cancel",
    "status",
)


class BotCore:
    """One object per process; it keeps nothing between calls but its settings, so a
    restart (a new BotCore over the same database) continues every conversation."""

    def __init__(self, settings: CoreSettings) -> None:
        self.settings = settings
        self.rate = CommandRate(settings.quotas.commands_per_minute)

    async def command(self, caller: Caller, name: str, argument: str, now: datetime) -> Reply:
        """A command such as /start or /subscribe, with the text after it."""
        if (refusal := await self._turned_away(caller, now, name, argument)) is not None:
            return refusal
        name, argument = name.lower().lstrip("/"), argument.strip()
        if name == "subscribe" and argument:
            return await subscribe_in_one_line(self.settings, caller, f"subscribe {argument}")
        if name == "webhook":
            if not argument:
                return await show_destinations(caller)
            return await add_webhook(self.settings, caller, argument)
        if name == "cancel":
            return await wizard_input(self.settings, caller, CancelInput(), now)
        return await self._simple_command(caller, name, now)

    async def subscribe_with(
        self, caller: Caller, chain: str, address: str, now: datetime, filter_text: str = ""
    ) -> Reply:
        """The wizard started with its first answers given (a front-end whose users pick
        options rather than type answers); they are checked as typed ones are."""
        if (
            refusal := await self._turned_away(caller, now, chain, address, filter_text)
        ) is not None:
            return refusal
        return await start_wizard_with(self.settings, caller, now, chain, address, filter_text)

    async def _turned_away(self, caller: Caller, now: datetime, *texts: str) -> Reply | None:
        """The answer to a request refused before anything looks at it: text no database can
        keep, or a person over their commands per minute."""
        if unstorable(*texts):
            return await _refused(caller)
        wait = self.rate.wait(caller.person, now)
        return None if wait is None else await _slow_down(caller, wait)

    async def _simple_command(self, caller: Caller, name: str, now: datetime) -> Reply:
        if name == "start":
            return await register(caller)
        if name == "language":
            return await offer_languages(caller)
        if name == "subscribe":
            return await start_wizard(self.settings, caller, now)
        if name == "list":
            return await list_subscriptions(caller, now)
        if name == "history":
            return await show_history(caller)
        if name == "destinations":
            return await show_destinations(caller)
        if name == "status":
            return await show_status(caller)
        return await show_help(caller, self.settings)

    async def message(self, caller: Caller, text_: str, now: datetime) -> Reply:
        """Free text: an answer to the wizard, the one-line form, or a hint."""
        if (refusal := await self._turned_away(caller, now, text_)) is not None:
            return refusal
        if await has_active_wizard(caller, now):
            return await wizard_input(self.settings, caller, TextInput(text_), now)
        if text_.strip().lower().startswith(("subscribe ", "/subscribe ")):
            return await subscribe_in_one_line(self.settings, caller, text_)
        account = await account_of(caller)
        hint = (
            (
                choice("bot.choice.subscribe", "menu:subscribe"),
                choice("bot.choice.help", "menu:help"),
            ),
        )
        return Reply(text("bot.unknown_text"), hint, language=account.language)

    async def file(
        self, caller: Caller, name: str, size_bytes: int, content: bytes, now: datetime
    ) -> Reply:
        """An uploaded file, for the wizard's ABI step (a .json ABI or artifact)."""
        if (refusal := await self._turned_away(caller, now, name)) is not None:
            return refusal
        return await wizard_input(self.settings, caller, FileInput(name, size_bytes, content), now)

    async def action(self, caller: Caller, action: str, now: datetime) -> Reply:
        """A tap on a choice this core offered earlier (perhaps long ago, perhaps forged)."""
        if (refusal := await self._turned_away(caller, now, action)) is not None:
            return refusal
        prefix, _, rest = action.partition(":")
        if prefix == "w":
            return await wizard_input(self.settings, caller, ActionInput(action), now)
        if prefix == "sub":
            return await on_subscription_action(caller, action, now, self.settings.cosmos)
        if prefix == "mute":
            # The Mute button under a notification opens its subscription's mute choices.
            return await on_subscription_action(caller, f"sub:show:{rest}", now)
        if prefix == "hist":
            return await show_history(caller, parse_id(rest) or 0)
        if prefix == "lang":
            return await switch_language(caller, rest)
        if prefix == "dest" and rest.startswith("rot:"):
            return await rotate_secret(self.settings, caller, action, now)
        if prefix == "dest" and rest.startswith("on:"):
            return await turn_on(caller, action)
        if prefix == "menu" and rest in COMMANDS:
            return await self._simple_command(caller, rest, now)
        account = await account_of(caller)
        return Reply(text("bot.expired"), language=account.language)


async def _refused(caller: Caller) -> Reply:
    account = await account_of(caller)
    return Reply(text("bot.error.unstorable"), language=account.language)


async def _slow_down(caller: Caller, wait: timedelta) -> Reply:
    account = await account_of(caller)
    seconds = max(1, math.ceil(wait.total_seconds()))
    return Reply(text("bot.quota.rate", seconds=seconds), language=account.language)
