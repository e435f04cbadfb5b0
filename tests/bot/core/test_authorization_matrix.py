"""Who may change what, as a matrix drawn by hypothesis: actors (a group's admin, its anonymous
admin, a member, an admin of another group, a person in their DMs) by every changing command
by targets (the group's own subscription and webhook, another person's, ids that do not exist).
Nobody changes what is not theirs, and somebody else's object answers exactly like a missing
one (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.caller import Caller
from bot.core.dispatch import BotCore
from storage.models import Delivery, Destination, Subscription, SubscriptionMute
from tests.bot.core.conftest import USDC, Clock, group_member, person, render

GROUP = "-500"
ANONYMOUS_ADMIN = "1087968824"
"""The id Telegram gives every anonymous group admin: the front-end recognises one through the
message's sender_chat being the group itself, and only then calls it an admin."""
ACTORS: dict[str, Caller] = {
    "admin": group_member("11", True, GROUP),
    "anonymous admin": group_member(ANONYMOUS_ADMIN, True, GROUP),
    "member": group_member("12", False, GROUP),
    "admin of another group": group_member("13", True, "-600"),
    "a DM": person("14"),
}
MAY_CHANGE_THE_GROUPS = {"admin", "anonymous admin"}
COMMANDS = [
    "sub:pause:{id}",
    "sub:resume:{id}",
    "sub:mute:{id}:8",
    "sub:instant:{id}:0",
    "sub:instant:{id}:1",
    "sub:delok:{id}",
    "sub:test:{id}",
    "dest:rot:{id}",
    "dest:on:{id}",
]
MISSING = 999


async def state() -> list[Any]:
    """Everything a command could change."""
    return [
        await Subscription.all().order_by("id").values_list("id", "status", "instant"),
        await SubscriptionMute.all().order_by("subscription_id").values_list("subscription_id"),
        await Destination.all().order_by("id").values_list("id", "status", "sealed_secret"),
        await Delivery.all().count(),
    ]


async def made_by(core: BotCore, clock: Clock, caller: Caller) -> tuple[int, int]:
    """A subscription and a webhook the caller's chat owns."""
    line = f"subscribe mainnet {USDC} Transfer"
    created = await core.message(caller, line, clock.tick())
    subscription_id = int(str(created.text.params["ids"]).lstrip("#"))
    await core.command(
        caller, "webhook", f"https://hooks.example.com/{caller.chat_external_id}", clock.tick()
    )
    webhook = await Destination.filter(kind="webhook").order_by("-id").first()
    assert webhook is not None
    return subscription_id, int(webhook.id)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_nobody_changes_what_is_not_theirs(
    core: BotCore, clock: Clock, data: st.DataObject
) -> None:
    if await Subscription.all().count() == 0:
        await made_by(core, clock, ACTORS["admin"])
        await made_by(core, clock, person("15"))  # somebody else's, in their DMs
    (groups_sub, foreign_sub), (groups_hook, foreign_hook) = [
        sorted(ids)
        for ids in (
            await Subscription.all().values_list("id", flat=True),
            await Destination.filter(kind="webhook").values_list("id", flat=True),
        )
    ]
    actor = data.draw(st.sampled_from(sorted(ACTORS)))
    command = data.draw(st.sampled_from(COMMANDS))
    on_webhook = command.startswith("dest:")
    own, foreign = (groups_hook, foreign_hook) if on_webhook else (groups_sub, foreign_sub)
    caller = ACTORS[actor]

    before = await state()
    to_foreign = await core.action(caller, command.format(id=foreign), clock.tick())
    to_missing = await core.action(caller, command.format(id=MISSING), clock.tick())
    assert await state() == before
    assert render(to_foreign) == render(to_missing)

    if actor not in MAY_CHANGE_THE_GROUPS:
        await core.action(caller, command.format(id=own), clock.tick())
        assert await state() == before, (actor, command)


async def test_the_groups_admins_do_change_what_the_group_owns(core: BotCore, clock: Clock) -> None:
    subscription_id, _ = await made_by(core, clock, ACTORS["admin"])
    for actor, status in (("anonymous admin", "paused"), ("admin", "active")):
        verb = "pause" if status == "paused" else "resume"
        await core.action(ACTORS[actor], f"sub:{verb}:{subscription_id}", clock.tick())
        assert (await Subscription.get(id=subscription_id)).status == status
