"""The Discord bot end to end: the real discord.py client over the real core and database,
talking to the fake Discord; what server members and DM users see."""

from __future__ import annotations

import pytest

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.discord.app import BlockbellClient
from bot.discord.commands import COMMANDS
from locales import translate
from tests.bot.core.conftest import USDC
from tests.bot.discord.conftest import (
    CHANNEL,
    GUILDS_ARRIVED_S,
    OTHER,
    TOKEN,
    SlowLookup,
    answer,
    custom_ids,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_client import discord_pointed_at, running_client
from tests.support.discord_guild import ADMIN, GUILD_ID, MEMBER

USDC_TRANSFER: dict[str, object] = {"chain": "mainnet", "address": USDC, "event": "Transfer"}


async def test_commands_are_published_with_localizations_globally_and_in_the_test_guild(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    names = {spec.name for spec in COMMANDS}
    for scope in ("global", GUILD_ID):
        published = {command["name"]: command for command in fake.commands(scope)}
        assert set(published) == names
        subscribe = published["subscribe"]
        russian = translate("ru", "dc.command.subscribe")
        assert subscribe["description_localizations"]["ru"] == russian
        assert {option["name"] for option in subscribe["options"]} >= {"chain", "address", "dm"}


async def test_without_a_test_guild_commands_are_published_globally_only(
    db: str, fake: FakeDiscord, lookup: SlowLookup
) -> None:
    core = BotCore(CoreSettings(chains=("mainnet",), lookup=lookup))
    with discord_pointed_at(fake):
        client = BlockbellClient(core, guild_ready_timeout_s=GUILDS_ARRIVED_S)
        async with running_client(client, TOKEN):
            assert len(fake.commands("global")) == len(COMMANDS)
            assert fake.commands(GUILD_ID) == []


async def test_help_answers_only_the_caller_in_their_discord_locale(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    record = await fake.slash(MEMBER, "help", channel_id=CHANNEL, locale="ru")
    shown = await answer(fake, record)
    assert shown.ephemeral
    assert "/list — подписки здесь" in shown.content
    assert custom_ids(shown) == ["menu:subscribe", "menu:list"]


async def test_an_admin_subscribes_the_channel_and_members_see_it(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    done = await answer(
        fake, await fake.slash(ADMIN, "subscribe", USDC_TRANSFER, channel_id=CHANNEL)
    )
    assert "Subscribed" in done.content and done.ephemeral

    listed = await answer(fake, await fake.slash(MEMBER, "list", channel_id=CHANNEL))
    assert "1 subscription" in listed.content and USDC.lower() in listed.content


async def test_a_member_may_subscribe_their_dms_but_not_the_channel(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    refused = await answer(
        fake, await fake.slash(MEMBER, "subscribe", USDC_TRANSFER, channel_id=CHANNEL)
    )
    assert refused.content == translate("en", "bot.group.admins_only") and refused.ephemeral
    channel = await answer(fake, await fake.slash(ADMIN, "list", channel_id=CHANNEL))
    assert channel.content == translate("en", "bot.list.empty")

    to_dm = USDC_TRANSFER | {"dm": True}
    done = await answer(fake, await fake.slash(MEMBER, "subscribe", to_dm, channel_id=CHANNEL))
    assert "Subscribed" in done.content
    mine = await answer(fake, await fake.slash(MEMBER, "list"))  # in their DMs
    assert "1 subscription" in mine.content and not mine.ephemeral


async def test_list_buttons_open_a_subscription_and_pause_it(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    await answer(fake, await fake.slash(MEMBER, "subscribe", USDC_TRANSFER))
    listed = await answer(fake, await fake.slash(MEMBER, "list"))
    opened_id = next(i for i in custom_ids(listed) if i.startswith("sub:show:"))

    opened = await answer(fake, await fake.press(MEMBER, listed.id, opened_id))
    assert opened.id == listed.id  # the list became the subscription's page
    pause = next(i for i in custom_ids(opened) if i.startswith("sub:pause:"))
    paused = await answer(fake, await fake.press(MEMBER, opened.id, pause))
    subscription = pause.rpartition(":")[2]
    assert paused.content == translate("en", "bot.sub.paused", id=subscription)

    again = await answer(fake, await fake.press(MEMBER, paused.id, "menu:list"))
    reopened = await answer(fake, await fake.press(MEMBER, again.id, opened_id))
    assert any(i.startswith("sub:resume:") for i in custom_ids(reopened))


async def test_autocomplete_suggests_chains_and_nothing_for_nonsense(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    typed = await fake.autocomplete(MEMBER, "subscribe", {"chain": "ma"}, "chain")
    await fake.answered(typed)
    assert [choice["value"] for choice in typed.choices or []] == ["mainnet"]

    nonsense = await fake.autocomplete(
        MEMBER, "subscribe", {"chain": "\u0000;drop table--" * 5}, "chain", channel_id=CHANNEL
    )
    await fake.answered(nonsense)
    assert nonsense.choices == [] and nonsense.refusals == []


async def test_events_are_suggested_from_the_contracts_token_standard(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    options: dict[str, object] = {"chain": "mainnet", "address": USDC, "event": "Tra"}
    record = await fake.autocomplete(MEMBER, "subscribe", options, "event")
    await fake.answered(record)
    assert [choice["value"] for choice in record.choices or []] == ["Transfer"]


async def test_a_slow_chain_lookup_is_deferred_and_answered_in_time(
    bot: BlockbellClient, fake: FakeDiscord, lookup: SlowLookup
) -> None:
    lookup.delay_s, fake.interaction_deadline_s = 0.5, 0.2
    record = await fake.slash(ADMIN, "subscribe", USDC_TRANSFER, channel_id=CHANNEL)
    done = await answer(fake, record)
    assert "Subscribed" in done.content and done.ephemeral
    assert record.refusals == []


async def test_unsubscribe_suggests_only_the_chats_own_subscriptions(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    await answer(fake, await fake.slash(ADMIN, "subscribe", USDC_TRANSFER, channel_id=CHANNEL))
    here = await fake.autocomplete(
        ADMIN, "unsubscribe", {"subscription": ""}, "subscription", channel_id=CHANNEL
    )
    await fake.answered(here)
    assert [choice["name"] for choice in here.choices or []] == [
        f"#1 mainnet Transfer {USDC.lower()}"
    ]
    elsewhere = await fake.autocomplete(
        ADMIN, "unsubscribe", {"subscription": ""}, "subscription", channel_id=OTHER
    )
    await fake.answered(elsewhere)
    assert elsewhere.choices == []


async def test_a_test_notification_is_posted_to_the_channel_as_a_real_one_looks(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    await answer(fake, await fake.slash(ADMIN, "subscribe", USDC_TRANSFER, channel_id=CHANNEL))
    listed = await answer(fake, await fake.slash(ADMIN, "list", channel_id=CHANNEL))
    opened_id = next(i for i in custom_ids(listed) if i.startswith("sub:show:"))
    opened = await answer(fake, await fake.press(ADMIN, listed.id, opened_id))
    test = next(i for i in custom_ids(opened) if i.startswith("sub:test:"))

    posted = await answer(fake, await fake.press(ADMIN, opened.id, test))
    assert posted.id != opened.id and not posted.ephemeral
    assert posted.content.startswith("A test notification of subscription #1")
    assert [embed["title"] for embed in posted.embeds] == ["Transfer"]
    assert posted in fake.messages(CHANNEL)


async def test_a_failure_tells_the_user_in_their_language_and_logs_no_secret(
    bot: BlockbellClient,
    fake: FakeDiscord,
    lookup: SlowLookup,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lookup.failure = RuntimeError("the node fell over")
    record = await fake.slash(ADMIN, "subscribe", USDC_TRANSFER, channel_id=CHANNEL, locale="ru")
    shown = await answer(fake, record)
    assert shown.content == translate("ru", "dc.error.generic") and shown.ephemeral
    failures = [r for r in caplog.records if r.name == "bot.discord.handlers"]
    assert [r.getMessage() for r in failures] == [
        "handling a Discord interaction failed: RuntimeError"
    ]
    assert TOKEN not in caplog.text and record.token not in caplog.text
