"""Destinations in the core: pasted Discord webhooks, and turning stopped destinations on again."""

from __future__ import annotations

from bot.core.caller import Caller
from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from storage.models import Destination, Subscription
from storage.secret_box import secret_box
from tests.bot.core.conftest import (
    USDC,
    Clock,
    FakeChainLookup,
    action,
    group_member,
    labels,
    person,
    render,
)
from tests.support.secret_watch import secret

NOT_FOUND = "There is no such subscription or destination here. /list shows what this chat has."
ADMINS_ONLY = "Only the admins of this chat can change"
TOKEN = secret("Xy9-secret_TOKEN-of-the-webhook")
DISCORD_HOOK = f"https://discord.com/api/webhooks/123456789012345678/{TOKEN}"
HOW_TO_COPY = "Server Settings → Integrations → Webhooks"
GONE = "the receiver answered 410 Gone"


def discord_member(user: str = "700", admin: bool = True) -> Caller:
    return Caller("discord", user, "9001", "group", admin, "en-US")


async def stop(destination_id: int, reason: str) -> None:
    """What the notifier does when a platform refuses a destination for good."""
    await Destination.filter(id=destination_id).update(
        status="disabled", disabled_reason=reason, notice_owed=True
    )


async def assert_active(destination_id: int) -> None:
    destination = await Destination.get(id=destination_id)
    assert destination.status == "active" and not destination.notice_owed
    assert destination.disabled_reason is None


async def assert_stopped(destination_id: int) -> None:
    destination = await Destination.get(id=destination_id)
    assert (destination.status, destination.notice_owed) == ("disabled", True)


async def test_a_pasted_discord_webhook_is_a_discord_destination_whose_token_is_never_shown(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await core.command(me, "webhook", f"  {DISCORD_HOOK} ", clock.tick())
    assert render(reply).startswith("Discord webhook #1 added")
    assert "posted into its Discord channel as embeds" in render(reply)
    assert TOKEN not in render(reply) and "whsec_" not in render(reply)
    hook = await Destination.get(id=1)
    assert (hook.kind, hook.target, hook.secret, hook.added_by) == (
        "discord_webhook",
        DISCORD_HOOK,
        None,
        "telegram:100",
    )

    listing = await core.command(me, "destinations", "", clock.tick())
    assert "Discord webhook #1: posts into its Discord channel" in render(listing)
    assert TOKEN not in render(listing) and "123456789012345678" not in render(listing)
    assert not any("New secret" in label for label in labels(listing))

    reply = await core.command(me, "subscribe", "", clock.tick())
    reply = await core.action(me, action(reply, "mainnet"), clock.tick())
    reply = await core.message(me, USDC, clock.tick())
    reply = await core.action(me, action(reply, "Approval"), clock.tick())
    reply = await core.action(me, action(reply, "Done"), clock.tick())
    reply = await core.action(me, action(reply, "No filter"), clock.tick())
    assert labels(reply)[:2] == ["This chat", "Discord webhook #1"]
    reply = await core.action(me, action(reply, "Discord webhook #1"), clock.tick())
    assert "Destination: Discord webhook #1" in render(reply) and TOKEN not in render(reply)
    reply = await core.action(me, action(reply, "Subscribe"), clock.tick())
    assert await Subscription.filter(id=1).values("destination_id") == [{"destination_id": 1}]

    detail = await core.action(me, "sub:show:1", clock.tick())
    assert "Destination: Discord webhook #1" in render(detail) and TOKEN not in render(detail)


async def test_a_discord_webhook_pasted_in_discord_is_added_by_that_person(
    core: BotCore, clock: Clock
) -> None:
    reply = await core.command(discord_member(), "webhook", DISCORD_HOOK, clock.tick())
    assert render(reply).startswith("Discord webhook #1 added")
    hook = await Destination.get(id=1)
    assert (hook.kind, hook.secret, hook.added_by) == ("discord_webhook", None, "discord:700")


async def test_webhook_urls_of_the_configured_discord_api_are_discord_webhooks(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    settings = CoreSettings(("mainnet",), lookup, discord_api_url="http://127.0.0.1:8799/api/v10")
    core = BotCore(settings)
    fake_hook = f"http://127.0.0.1:8799/api/webhooks/42/{TOKEN}"
    reply = await core.command(person(), "webhook", fake_hook, clock.tick())
    assert render(reply).startswith("Discord webhook #1 added")
    assert (await Destination.get(id=1)).kind == "discord_webhook"
    reply = await core.command(person(), "webhook", "http://127.0.0.1:8799/hook", clock.tick())
    assert HOW_TO_COPY in render(reply)
    assert await Destination.all().count() == 1


async def test_a_discord_url_that_is_no_webhook_url_is_explained_and_not_stored(
    core: BotCore, clock: Clock
) -> None:
    for pasted in (
        "https://discord.com/channels/123/456",
        f"https://discord.com/api/webhooks/not-a-number/{TOKEN}",
        f"http://discord.com/api/webhooks/123/{TOKEN}",
        f"discord.com/api/webhooks/123/{TOKEN}",
        f"https://ptb.discord.com/api/webhooks/123/{TOKEN}?wait=true",
        f"https://discord.com/api/webhooks/123/{TOKEN}{'x' * 2100}",
    ):
        reply = await core.command(person(), "webhook", pasted, clock.tick())
        assert render(reply).startswith("That is not a Discord webhook URL.")
        assert "https://discord.com/api/webhooks/<number>/<token>" in render(reply)
        assert f"{HOW_TO_COPY}, choose or create a webhook, press Copy Webhook URL" in render(reply)
        assert TOKEN not in render(reply)
    assert await Destination.all().count() == 0


async def test_a_generic_webhook_still_gets_a_signing_secret(core: BotCore, clock: Clock) -> None:
    reply = await core.command(person(), "webhook", "https://hooks.example.com/in", clock.tick())
    secret = str(reply.text.params["secret"])
    assert secret.startswith("whsec_") and f"Signing secret: {secret}" in render(reply)
    hook = await Destination.get(id=1)
    assert (hook.kind, hook.secret, hook.added_by) == ("webhook", None, "telegram:100")
    assert hook.sealed_secret and secret_box().open(hook.sealed_secret) == secret


async def test_an_unparsable_webhook_url_is_refused_without_a_crash(
    core: BotCore, clock: Clock
) -> None:
    reply = await core.command(person(), "webhook", "http://[::1/hook", clock.tick())
    assert "is not a webhook URL" in render(reply)
    assert await Destination.all().count() == 0


async def test_stopped_webhooks_show_why_and_their_owner_turns_them_back_on(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    await core.command(me, "webhook", "https://hooks.example.com/in", clock.tick())
    await core.command(me, "webhook", DISCORD_HOOK, clock.tick())
    await stop(1, GONE)
    long_reason = "Discord answered 404: Unknown Webhook. " + "details " * 60
    await stop(2, long_reason)

    listing = await core.command(me, "destinations", "", clock.tick())
    shown = render(listing)
    assert f"Webhook #1: hooks.example.com — stopped: {GONE}" in shown
    cut = " ".join(long_reason.split())[:199] + "…"
    assert f"Discord webhook #2 — stopped: {cut}\n" in shown
    assert "This chat (the default)" in shown and TOKEN not in shown
    assert labels(listing) == [
        "New secret for webhook #1",
        "Turn back on webhook #1",
        "Turn back on Discord webhook #2",
    ]

    for forged in ("dest:on:1", "dest:on:2", "dest:on:99", "dest:on:x"):
        reply = await core.action(person("200"), forged, clock.tick())
        assert render(reply) == NOT_FOUND
    await assert_stopped(1)
    await assert_stopped(2)

    reply = await core.action(me, action(listing, "Turn back on webhook #1"), clock.tick())
    assert render(reply) == "Webhook #1 is on again: new notifications go to it."
    await assert_active(1)
    reply = await core.action(me, action(listing, "Discord webhook #2"), clock.tick())
    assert render(reply).startswith("Discord webhook #2 is on again")
    await assert_active(2)

    listing = await core.command(me, "destinations", "", clock.tick())
    assert "Webhook #1: hooks.example.com\n" in render(listing)
    assert "stopped" not in render(listing)
    assert labels(listing) == ["New secret for webhook #1"]


async def test_in_a_group_members_see_why_a_webhook_stopped_and_only_admins_turn_it_on(
    core: BotCore, clock: Clock
) -> None:
    admin, member = group_member("1", admin=True), group_member("2", admin=False)
    await core.command(admin, "webhook", "https://hooks.example.com/in", clock.tick())
    await stop(1, GONE)

    listing = await core.command(member, "destinations", "", clock.tick())
    assert f"— stopped: {GONE}" in render(listing)
    assert labels(listing) == []
    reply = await core.action(member, "dest:on:1", clock.tick())
    assert ADMINS_ONLY in render(reply)
    await assert_stopped(1)

    reply = await core.action(admin, "dest:on:1", clock.tick())
    assert render(reply).startswith("Webhook #1 is on again")
    await assert_active(1)


async def _subscribe_here(core: BotCore, clock: Clock, caller: Caller) -> int:
    reply = await core.message(caller, f"subscribe mainnet {USDC} Transfer", clock.tick())
    assert "Subscribed" in render(reply)
    rows = await Subscription.filter(destination__target=caller.chat_external_id).values(
        "destination_id"
    )
    return int(rows[0]["destination_id"])


async def test_a_stopped_chat_is_on_again_once_it_uses_the_bot(core: BotCore, clock: Clock) -> None:
    me, admin, member = person(), group_member("1", admin=True), group_member("2", admin=False)
    mine = await _subscribe_here(core, clock, me)
    group = await _subscribe_here(core, clock, admin)
    channel = await _subscribe_here(core, clock, discord_member())
    await core.command(me, "webhook", "https://hooks.example.com/in", clock.tick())
    hook = (await Destination.get(kind="webhook")).id
    for destination_id in (mine, group, channel, hook):
        await stop(destination_id, "Forbidden: bot was blocked by the user")

    await core.command(me, "help", "", clock.tick())
    await assert_active(mine)
    await assert_stopped(group)
    await assert_stopped(hook)  # a webhook is not a chat: it comes back only when asked

    await core.message(member, "hello", clock.tick())  # any message, by anyone there
    await assert_active(group)
    await assert_stopped(channel)
    await core.action(discord_member("701", admin=False), "menu:list", clock.tick())
    await assert_active(channel)

    listing = await core.command(me, "destinations", "", clock.tick())
    assert render(listing).splitlines()[2] == "This chat (the default)"
    assert "— stopped:" in render(listing)  # the webhook, still stopped
