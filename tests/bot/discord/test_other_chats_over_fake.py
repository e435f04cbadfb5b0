"""A wizard started in one channel for another chat (`dm:True`, `channel:#other`) goes on
there: its presses and modals act for that chat, with the presser's rights in it, over the
real client, core and database on the fake Discord; a forged chat gives no rights."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.discord.app import BlockbellClient
from locales import translate
from tests.bot.core.conftest import USDC
from tests.bot.discord.conftest import (
    APP_ID,
    CHANNEL,
    OTHER,
    TOKEN,
    answer,
    custom_ids,
    labelled,
    open_modal,
    press_as,
    submit,
)
from tests.fakes.discord_api import FakeDiscord, FakeMessage, GuildSpec
from tests.fakes.discord_state import EPHEMERAL
from tests.support.discord_guild import ADMIN, GUILD, MEMBER

MANAGE_CHANNELS = 1 << 4
# Manage Channels through a member overwrite: the moderator in the other channel only, the
# helper in the channel the tests talk in only.
MODERATOR, HELPER = 1_300_000_000_000_000_003, 1_300_000_000_000_000_004
OVERWRITTEN = GuildSpec(
    GUILD.id,
    GUILD.name,
    dict(GUILD.channels),
    GUILD.members | {MODERATOR: "moderator", HELPER: "helper"},
    admins=set(GUILD.admins),
    overwrites={
        OTHER: {MODERATOR: (MANAGE_CHANNELS, 0)},
        CHANNEL: {HELPER: (MANAGE_CHANNELS, 0)},
    },
)
NOT_A_CHANNEL_HERE = 1_200_000_000_000_000_999
USDC_TRANSFER: dict[str, object] = {"chain": "mainnet", "address": USDC, "event": "Transfer"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord.start(TOKEN, application_id=APP_ID, guilds=[OVERWRITTEN])
    yield server
    await server.stop()


def select_values(message: FakeMessage, *labels: str) -> tuple[str, list[str]]:
    """The events select's custom id and the values of the options labelled `labels`."""
    for row in message.components:
        for component in row.get("components") or []:
            if component.get("options"):
                values = [o["value"] for o in component["options"] if o["label"] in labels]
                return str(component["custom_id"]), values
    raise AssertionError(f"no select in {message.components}")


async def through_the_events(fake: FakeDiscord, user_id: int, events: FakeMessage) -> FakeMessage:
    """Transfer chosen, Done, No filter, Subscribe: what the user sees at the end."""
    select_id, transfer = select_values(events, "Transfer")
    picked = await press_as(fake, user_id, events, select_id, transfer)
    filters = await press_as(fake, user_id, picked, labelled(picked, "Done"))
    confirm = await press_as(fake, user_id, filters, labelled(filters, "No filter"))
    return await press_as(fake, user_id, confirm, labelled(confirm, "Subscribe"))


async def test_a_dm_wizard_started_in_a_server_goes_on_in_the_members_dms(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    chains = await answer(
        fake, await fake.slash(MEMBER, "subscribe", {"dm": True}, channel_id=CHANNEL)
    )
    assert chains.ephemeral and chains.channel_id == CHANNEL
    assert all(custom_id.startswith("@dm|") for custom_id in custom_ids(chains))
    asked = await press_as(fake, MEMBER, chains, labelled(chains, "mainnet"))
    assert asked.content == translate("en", "dc.wizard.ask_address", chain="mainnet")

    opened = await open_modal(fake, MEMBER, asked, "Type the address")
    assert opened.modal is not None and opened.modal["custom_id"].startswith("@dm|type:a:")
    events = await submit(fake, MEMBER, opened, asked, USDC)
    done = await through_the_events(fake, MEMBER, events)
    assert "Subscribed: 1 subscription (#1)" in done.content

    mine = await answer(fake, await fake.slash(MEMBER, "list"))  # in their DMs
    assert "1 subscription" in mine.content
    channel = await answer(fake, await fake.slash(ADMIN, "list", channel_id=CHANNEL))
    assert channel.content == translate("en", "bot.list.empty")


async def test_an_admins_wizard_for_another_channel_subscribes_that_channel(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    options: dict[str, object] = {"chain": "mainnet", "address": USDC, "channel": OTHER}
    events = await answer(fake, await fake.slash(ADMIN, "subscribe", options, channel_id=CHANNEL))
    assert all(i.startswith(f"@{OTHER}|") for i in custom_ids(events))
    done = await through_the_events(fake, ADMIN, events)
    assert "Subscribed: 1 subscription (#1)" in done.content

    there = await answer(fake, await fake.slash(MEMBER, "list", channel_id=OTHER))
    assert "1 subscription" in there.content
    here = await answer(fake, await fake.slash(MEMBER, "list", channel_id=CHANNEL))
    assert here.content == translate("en", "bot.list.empty")


async def test_rights_in_the_other_channel_are_the_ones_its_overwrites_give(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    here = await answer(fake, await fake.slash(MODERATOR, "subscribe", channel_id=CHANNEL))
    assert here.content == translate("en", "bot.group.admins_only")

    chains = await answer(
        fake, await fake.slash(MODERATOR, "subscribe", {"channel": OTHER}, channel_id=CHANNEL)
    )
    asked = await press_as(fake, MODERATOR, chains, labelled(chains, "mainnet"))
    opened = await open_modal(fake, MODERATOR, asked, "Type the address")
    assert opened.modal is not None and opened.modal["custom_id"].startswith(f"@{OTHER}|")
    events = await submit(fake, MODERATOR, opened, asked, USDC)
    done = await through_the_events(fake, MODERATOR, events)
    assert "Subscribed: 1 subscription (#1)" in done.content
    there = await answer(fake, await fake.slash(MEMBER, "list", channel_id=OTHER))
    assert "1 subscription" in there.content


def forged(fake: FakeDiscord, *custom_ids: str) -> FakeMessage:
    """An ephemeral message with buttons the bot never made, as a modified client may
    claim to press: custom ids are only what the client says."""
    buttons: list[dict[str, Any]] = [
        {"type": 2, "style": 2, "label": str(index), "custom_id": custom_id}
        for index, custom_id in enumerate(custom_ids)
    ]
    message = FakeMessage(
        fake.state.new_id(),
        CHANNEL,
        fake.state.bot_user,
        content="forged",
        components=[{"type": 1, "components": buttons}],
        flags=EPHEMERAL,
    )
    fake.state.channel_messages[CHANNEL].append(message)
    return message


async def test_a_forged_chat_prefix_gives_no_rights_there(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    options = USDC_TRANSFER | {"channel": OTHER}
    created = await answer(fake, await fake.slash(ADMIN, "subscribe", options, channel_id=CHANNEL))
    assert "Subscribed" in created.content
    before = await answer(fake, await fake.slash(MEMBER, "list", channel_id=OTHER))

    # The helper may manage this channel, not the other one nor one of no server's.
    admins_only = translate("en", "bot.group.admins_only")
    refusals = (admins_only, translate("en", "bot.not_found"))
    for custom_id in (
        f"@{OTHER}|sub:delok:1",
        f"@{OTHER}|sub:pause:1",
        f"@{OTHER}|menu:subscribe",
        f"@{NOT_A_CHANNEL_HERE}|menu:subscribe",
    ):
        shown = forged(fake, custom_id)
        refused = await press_as(fake, HELPER, shown, custom_id)
        assert refused.content in refusals, custom_id

    # A modal the admin opened for the other channel, submitted by the helper.
    chains = await answer(
        fake, await fake.slash(ADMIN, "subscribe", {"channel": OTHER}, channel_id=CHANNEL)
    )
    asked = await press_as(fake, ADMIN, chains, labelled(chains, "mainnet"))
    opened = await open_modal(fake, ADMIN, asked, "Type the address")
    stolen = await submit(fake, HELPER, opened, asked, USDC)
    assert stolen.content == admins_only

    after = await answer(fake, await fake.slash(MEMBER, "list", channel_id=OTHER))
    assert after.content == before.content and "1 subscription" in after.content
