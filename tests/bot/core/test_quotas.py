"""Limits the operator sets: subscriptions and webhooks per chat, requests per person and
minute; going over gets a translated answer and changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.quotas import MAX_TRACKED_PEOPLE, CommandRate, Quotas
from storage.models import Destination, Subscription
from tests.bot.core.conftest import USDC, Clock, FakeChainLookup, group_member, person, render

SUBSCRIBE = f"subscribe mainnet {USDC} Transfer"


def core_with(lookup: FakeChainLookup, quotas: Quotas) -> BotCore:
    return BotCore(CoreSettings(chains=("mainnet",), lookup=lookup, quotas=quotas))


async def test_a_chat_keeps_no_more_subscriptions_than_allowed(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    core, me = core_with(lookup, Quotas(subscriptions_per_chat=2)), person(language="es")
    for _ in range(2):
        assert "Listo: 1 suscripción" in render(await core.message(me, SUBSCRIBE, clock.tick()))

    refused = await core.message(me, SUBSCRIBE, clock.tick())

    assert "Este chat tiene 2 suscripciones y puede tener 2" in render(refused)
    assert await Subscription.all().count() == 2
    other = person("201")
    assert "Subscribed" in render(await core.message(other, SUBSCRIBE, clock.tick()))


async def test_a_full_chat_is_told_before_the_wizard_asks_anything(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    core, me = core_with(lookup, Quotas(subscriptions_per_chat=1)), person()
    assert "Subscribed" in render(await core.message(me, SUBSCRIBE, clock.tick()))
    full = "This chat keeps 1 subscriptions, the most it may keep (1). Delete some in /list"

    for refused in (
        await core.command(me, "subscribe", "", clock.tick()),
        await core.action(me, "menu:subscribe", clock.tick()),
        await core.subscribe_with(me, "mainnet", USDC, clock.tick()),
    ):
        assert render(refused).startswith(full)
        assert [c.action for row in refused.choices for c in row] == ["menu:list"]
    assert render(await core.message(me, USDC, clock.tick())).startswith("I did not understand")
    assert await Subscription.all().count() == 1


async def test_one_person_makes_no_more_subscriptions_across_chats_than_allowed(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    core = core_with(lookup, Quotas(subscriptions_per_person=2))
    in_groups = [group_member("300", admin=True, chat=f"-50{n}") for n in range(3)]
    for caller in in_groups[:2]:
        assert "Subscribed" in render(await core.message(caller, SUBSCRIBE, clock.tick()))
    person_full = "You have made 2 subscriptions across your chats, the most one person may make"

    assert render(await core.message(in_groups[2], SUBSCRIBE, clock.tick())).startswith(person_full)
    assert render(await core.command(in_groups[2], "subscribe", "", clock.tick())).startswith(
        person_full
    )
    other_admin = group_member("301", admin=True, chat="-502")
    assert "Subscribed" in render(await core.message(other_admin, SUBSCRIBE, clock.tick()))
    assert await Subscription.all().count() == 3

    first = await Subscription.filter(added_by="telegram:300").order_by("id").first()
    assert first is not None
    await core.action(in_groups[0], f"sub:delok:{first.id}", clock.tick())
    assert "Subscribed" in render(await core.message(in_groups[2], SUBSCRIBE, clock.tick()))


async def test_one_person_adds_no_more_webhooks_across_chats_than_allowed(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    core = core_with(lookup, Quotas(webhooks_per_person=1))
    here, there = group_member("300", True, "-501"), group_member("300", True, "-502")
    hook = "https://hooks.example.com/a"
    assert "Signing secret" in render(await core.command(here, "webhook", hook, clock.tick()))

    refused = await core.command(there, "webhook", hook, clock.tick())

    assert render(refused) == (
        "You have added 1 webhooks across your chats, the most one person may add."
    )
    assert await Destination.filter(kind="webhook").count() == 1


async def test_a_chat_keeps_no_more_webhooks_than_allowed(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    core, me = core_with(lookup, Quotas(webhooks_per_chat=1)), person()
    first = await core.command(me, "webhook", "https://hooks.example.com/a", clock.tick())
    assert "Signing secret" in render(first)

    refused = await core.command(me, "webhook", "https://hooks.example.com/b", clock.tick())

    assert render(refused).startswith("This chat already has 1 webhooks, the most it may have.")
    assert await Destination.filter(kind="webhook").count() == 1


async def test_a_person_over_the_requests_per_minute_is_asked_to_wait(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    core, me, other = core_with(lookup, Quotas(commands_per_minute=3)), person(), person("202")
    replies = [await core.command(me, "help", "", clock.tick(1)) for _ in range(4)]
    assert all("Wait" not in render(reply) for reply in replies[:3])
    assert "That is more than Blockbell takes in a minute. Wait 57 s" in render(replies[3])
    assert "Wait" not in render(await core.command(other, "help", "", clock.tick(1)))
    assert "Wait" in render(await core.action(me, "menu:list", clock.tick(1)))

    clock.tick(timedelta(minutes=1).total_seconds())
    assert "Wait" not in render(await core.command(me, "help", "", clock.tick(1)))


def test_people_quiet_for_a_minute_are_forgotten_once_many_were_seen() -> None:
    rate, start = CommandRate(2), Clock().now
    for n in range(MAX_TRACKED_PEOPLE + 1):
        assert rate.wait(f"telegram:{n}", start) is None
    later = start + timedelta(minutes=1)
    assert rate.wait("telegram:new", later) is None
    assert rate.tracked == 1
