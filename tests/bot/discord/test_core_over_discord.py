"""The Discord layers over the real core and database: slash commands planned, callers built
from interaction data, replies rendered, components mapped back; what a person sees."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from discord import ActionRow

from bot.core.caller import Caller
from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.replies import Text
from bot.discord.callers import caller_of
from bot.discord.commands import DM, HERE, CoreCall, plan_command
from bot.discord.render import Rendered, actions_of, render_reply
from locales import translate
from tests.bot.core.conftest import PLAIN, USDC, Clock, lookup_with_tokens

GUILD, CHANNEL, DM_CHANNEL, OTHER_DM = "9000", "9001", "9100", "9200"
ADMIN, MEMBER, STRANGER = "1", "2", "3"
MANAGE_CHANNELS = str(1 << 4)
USDC_TRANSFER = {"chain": "mainnet", "address": USDC, "event": "Transfer"}


@pytest.fixture
def core(db: str) -> BotCore:
    return BotCore(CoreSettings(chains=("mainnet",), lookup=lookup_with_tokens()))


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Person:
    """Someone using slash commands and components, in a server channel or in their DMs."""

    def __init__(self, core: BotCore, clock: Clock, user: str, permissions: str, dm: str) -> None:
        self.core, self.clock = core, clock
        self.user, self.permissions, self.dm = user, permissions, dm
        self.locale = "en-US"

    def _caller(self, in_guild: bool, chat: str) -> Caller:
        if chat == DM or not in_guild:
            return caller_of(None, self.dm, self.user, None, self.locale)
        channel = CHANNEL if chat == HERE else chat
        return caller_of(GUILD, channel, self.user, self.permissions, self.locale)

    async def slash(self, name: str, in_guild: bool, **options: Any) -> Rendered:
        plan = plan_command(name, options)
        if isinstance(plan, Text):
            raise AssertionError(plan.key)
        return await self._run(plan, in_guild)

    async def _run(self, plan: CoreCall, in_guild: bool) -> Rendered:
        caller = self._caller(in_guild, plan.chat)
        now = self.clock.tick()
        if plan.action is not None:
            reply = await self.core.action(caller, plan.action, now)
        else:
            reply = await self.core.command(caller, plan.command, plan.argument, now)
        return render_reply(reply, in_guild)

    async def use(self, shown: Rendered, data: dict[str, object], in_guild: bool) -> Rendered:
        """A click or a choice in a select of the message `shown`."""
        assert shown.view is not None
        message = [ActionRow(row) for row in shown.view.to_components()]  # type: ignore[arg-type]
        rendered = shown
        for action in actions_of(data, message):
            reply = await self.core.action(self._caller(in_guild, HERE), action, self.clock.tick())
            rendered = render_reply(reply, in_guild)
        return rendered

    async def write(self, text: str) -> Rendered:
        """A message in their DMs (the wizard's free-text answers)."""
        caller = self._caller(False, DM)
        return render_reply(await self.core.message(caller, text, self.clock.tick()), False)


def components(shown: Rendered) -> list[dict[str, Any]]:
    assert shown.view is not None
    return [item for row in shown.view.to_components() for item in row["components"]]


def custom_id_labelled(shown: Rendered, label: str) -> str:
    for item in components(shown):
        if item.get("label", "").startswith(label):
            return str(item["custom_id"])
    raise AssertionError(f"no component {label!r}")


async def test_a_member_may_subscribe_their_dms_but_not_the_channel(
    core: BotCore, clock: Clock
) -> None:
    member = Person(core, clock, MEMBER, "0", DM_CHANNEL)
    refused = await member.slash("subscribe", in_guild=True, **USDC_TRANSFER)
    assert refused.content == translate("en", "bot.group.admins_only")
    assert refused.ephemeral

    done = await member.slash("subscribe", in_guild=True, dm=True, **USDC_TRANSFER)
    assert "Subscribed" in done.content and done.ephemeral
    mine = await member.slash("list", in_guild=False)
    assert "1 subscription" in mine.content and USDC.lower() in mine.content
    channel = await member.slash("list", in_guild=True)
    assert channel.content == translate("en", "bot.list.empty")


async def test_admins_change_a_channels_subscriptions_members_only_look(
    core: BotCore, clock: Clock
) -> None:
    admin = Person(core, clock, ADMIN, MANAGE_CHANNELS, "9101")
    member = Person(core, clock, MEMBER, "0", DM_CHANNEL)
    stranger = Person(core, clock, STRANGER, "0", OTHER_DM)
    done = await admin.slash("subscribe", in_guild=True, **USDC_TRANSFER)
    assert "Subscribed" in done.content

    listed = await member.slash("list", in_guild=True)
    assert "1 subscription" in listed.content and listed.ephemeral
    detail = await member.use(listed, {"custom_id": "sub:show:1", "component_type": 2}, True)
    assert "Subscription #1" in detail.content
    assert [item.get("custom_id") for item in components(detail)] == ["menu:list"]
    paused = await member.slash("unsubscribe", in_guild=True, subscription=1)
    assert paused.content == translate("en", "bot.group.admins_only")

    sure = await admin.slash("unsubscribe", in_guild=True, subscription=1)
    gone = await admin.use(sure, {"custom_id": "sub:delok:1", "component_type": 2}, True)
    assert gone.content == "Subscription #1 is deleted."
    # Nobody's DMs ever show a channel's or another person's subscriptions.
    assert (await stranger.slash("unsubscribe", in_guild=False, subscription=1)).content == (
        translate("en", "bot.not_found")
    )


async def test_the_wizard_takes_many_events_from_one_select(core: BotCore, clock: Clock) -> None:
    person = Person(core, clock, ADMIN, "0", DM_CHANNEL)
    person.locale = "es-419"
    asked = await person.slash("subscribe", in_guild=False)
    assert asked.content == translate("es", "dc.wizard.ask_address", chain="mainnet")
    await person.write(PLAIN)
    abi = [{"type": "event", "name": f"Event{i}", "inputs": []} for i in range(30)]
    events = await person.write(orjson.dumps(abi).decode())
    first, second = (item for item in components(events) if item["type"] == 3)
    assert first["placeholder"] == translate("es", "dc.select.events")

    run = str(first["options"][0]["value"]).split(":")[1]
    chosen = [f"w:{run}:e:{i}" for i in (2, 5)]
    events = await person.use(
        events, {"custom_id": first["custom_id"], "component_type": 3, "values": chosen}, False
    )
    more = [f"w:{run}:e:27"]
    events = await person.use(
        events, {"custom_id": second["custom_id"], "component_type": 3, "values": more}, False
    )
    selected = [
        option["label"]
        for item in components(events)
        if item["type"] == 3
        for option in item["options"]
        if option["default"]
    ]
    assert selected == ["Event2", "Event5", "Event27"]
    done_id = custom_id_labelled(events, translate("es", "bot.choice.done"))
    filters = await person.use(events, {"custom_id": done_id, "component_type": 2}, False)
    assert filters.content == translate("es", "dc.wizard.ask_filter")
