"""Typed answers on Discord: a wizard question that wants text gets a button, the button a
modal, and what is typed into it answers the question, over the real client, core and
database on the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import CosmosChainFacts
from bot.discord.app import BlockbellClient
from locales import translate
from tests.bot.core.conftest import PLAIN, USDC
from tests.bot.discord.conftest import (
    CHANNEL,
    GUILDS_ARRIVED_S,
    TOKEN,
    SlowLookup,
    answer,
    custom_ids,
    labelled,
    open_modal,
    press_as,
    submit,
)
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.fakes.discord_client import discord_pointed_at, running_client
from tests.support.cosmos_chain import account, validator
from tests.support.discord_guild import ADMIN, GUILD_ID, MEMBER
from watcher.cosmos_denoms import Denom

SHORT, PARAGRAPH = 1, 2
SIGNATURE = "Transfer(address indexed from, address indexed to, uint256 value)"


def text_input(modal: dict[str, Any]) -> dict[str, Any]:
    [row] = modal["components"]
    [item] = row["components"]
    return dict(item)


def select_options(message: FakeMessage) -> list[dict[str, Any]]:
    return [
        option
        for row in message.components
        for component in row.get("components") or []
        for option in component.get("options") or []
    ]


async def at_address(fake: FakeDiscord) -> FakeMessage:
    """The admin's bare /subscribe in the channel, mainnet chosen: the address question."""
    chains = await answer(fake, await fake.slash(ADMIN, "subscribe", channel_id=CHANNEL))
    assert chains.content == translate("en", "bot.wizard.ask_chain") and chains.ephemeral
    return await press_as(fake, ADMIN, chains, labelled(chains, "mainnet"))


async def test_a_bare_subscribe_in_a_channel_is_answered_through_modals(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    asked = await at_address(fake)
    assert asked.content == translate("en", "dc.wizard.ask_address", chain="mainnet")
    assert [row["components"][0]["label"] for row in asked.components] == [
        "✏️ Type the address",
        "Cancel",
    ]
    opened = await open_modal(fake, ADMIN, asked, "Type the address")
    assert opened.modal is not None and opened.modal["title"] == "Contract address"
    address_input = text_input(opened.modal)
    assert address_input["style"] == SHORT and address_input["required"]

    events = await submit(fake, ADMIN, opened, asked, USDC)
    assert "Detected: an ERC-20 token, USDC." in events.content
    transfer = [o["value"] for o in select_options(events) if o["label"] == "Transfer"]
    select_id = next(i for i in custom_ids(events) if i.startswith("toggle:"))
    picked = await press_as(fake, ADMIN, events, select_id, transfer)
    filters = await press_as(fake, ADMIN, picked, labelled(picked, "Done"))
    assert filters.content == translate(
        "en", "dc.wizard.ask_filter_tokens", symbol="USDC", decimals=6
    )

    opened = await open_modal(fake, ADMIN, filters, "Type a filter")
    assert opened.modal is not None and text_input(opened.modal)["style"] == PARAGRAPH
    confirm = await submit(fake, ADMIN, opened, filters, "value > 1.5")
    assert "Filter: value > 1.5" in confirm.content
    done = await press_as(fake, ADMIN, confirm, labelled(confirm, "Subscribe"))
    assert "Subscribed: 1 subscription (#1)" in done.content

    listed = await answer(fake, await fake.slash(MEMBER, "list", channel_id=CHANNEL))
    assert "1 subscription" in listed.content and USDC.lower() in listed.content


async def test_a_wrong_address_is_explained_and_the_same_button_offered_again(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    asked = await at_address(fake)
    type_id = labelled(asked, "Type the address")
    refused = await submit(
        fake, ADMIN, await open_modal(fake, ADMIN, asked, "Type"), asked, "0x1234"
    )
    assert refused.content == (
        translate("en", "dc.error.address.invalid", value="0x1234")
        + "\n\n"
        + translate("en", "dc.wizard.ask_address", chain="mainnet")
    )
    assert labelled(refused, "Type the address") == type_id

    again = await open_modal(fake, ADMIN, refused, "Type the address")
    events = await submit(fake, ADMIN, again, refused, USDC)
    assert "Detected: an ERC-20 token, USDC." in events.content


async def test_an_unknown_contracts_events_are_given_as_a_typed_signature(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    asked = await at_address(fake)
    abi = await submit(fake, ADMIN, await open_modal(fake, ADMIN, asked, "Type"), asked, PLAIN)
    assert abi.content == translate("en", "dc.wizard.ask_abi_typed", address=PLAIN)

    opened = await open_modal(fake, ADMIN, abi, "Paste the ABI")
    assert opened.modal is not None and text_input(opened.modal)["style"] == PARAGRAPH
    refused = await submit(fake, ADMIN, opened, abi, "the transfers please")
    assert refused.content.startswith(translate("en", "bot.wizard.abi_expected"))
    assert labelled(refused, "Paste the ABI")

    again = await open_modal(fake, ADMIN, refused, "Paste the ABI")
    events = await submit(fake, ADMIN, again, refused, SIGNATURE)
    assert [o["label"] for o in select_options(events)] == ["Transfer"]
    assert "1 chosen" in events.content


async def test_a_modal_submitted_after_the_wizard_ended_is_no_longer_valid(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    asked = await at_address(fake)
    opened = await open_modal(fake, ADMIN, asked, "Type the address")
    cancelled = await answer(fake, await fake.slash(ADMIN, "cancel", channel_id=CHANNEL))
    assert cancelled.content == translate("en", "bot.wizard.cancelled")

    late = await submit(fake, ADMIN, opened, asked, USDC)
    assert late.content == translate("en", "bot.expired")
    listed = await answer(fake, await fake.slash(ADMIN, "list", channel_id=CHANNEL))
    assert listed.content == translate("en", "bot.list.empty")


async def test_a_modal_of_an_earlier_pass_does_not_answer_the_current_one(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    first = await at_address(fake)
    opened = await open_modal(fake, ADMIN, first, "Type the address")
    await at_address(fake)  # a new pass, at the same question

    late = await submit(fake, ADMIN, opened, first, USDC)
    assert late.content == (
        translate("en", "bot.expired")
        + "\n\n"
        + translate("en", "dc.wizard.ask_address", chain="mainnet")
    )
    # The question is asked again with the current pass's button, which works.
    current = await open_modal(fake, ADMIN, late, "Type the address")
    events = await submit(fake, ADMIN, current, late, USDC)
    assert "Detected: an ERC-20 token, USDC." in events.content


async def test_a_modal_opened_before_a_restart_is_answered_after_it(
    bot: BlockbellClient, fake: FakeDiscord, lookup: SlowLookup
) -> None:
    asked = await at_address(fake)
    opened = await open_modal(fake, ADMIN, asked, "Type the address")
    await bot.close()

    core = BotCore(CoreSettings(chains=("mainnet", "base"), lookup=lookup))
    restarted = BlockbellClient(core, GUILD_ID, guild_ready_timeout_s=GUILDS_ARRIVED_S)
    with discord_pointed_at(fake):
        async with running_client(restarted, TOKEN):
            events = await submit(fake, ADMIN, opened, asked, USDC)
    assert "Detected: an ERC-20 token, USDC." in events.content


async def test_the_modal_speaks_the_users_discord_language(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    chains = await answer(fake, await fake.slash(ADMIN, "subscribe", channel_id=CHANNEL))
    asked = await press_as(fake, ADMIN, chains, labelled(chains, "mainnet"), locale="zh-CN")
    assert asked.content == translate("zh_Hans", "dc.wizard.ask_address", chain="mainnet")
    opened = await open_modal(fake, ADMIN, asked, "输入地址", locale="zh-CN")
    assert opened.modal is not None
    assert opened.modal["title"] == translate("zh_Hans", "dc.modal.address.title")
    assert text_input(opened.modal)["label"] == translate("zh_Hans", "dc.modal.address.label")


async def at_cosmos_kind(fake: FakeDiscord, kind: str) -> FakeMessage:
    """The admin's bare /subscribe in the channel, osmosis chosen, then what to watch."""
    chains = await answer(fake, await fake.slash(ADMIN, "subscribe", channel_id=CHANNEL))
    kinds = await press_as(fake, ADMIN, chains, labelled(chains, "osmosis"))
    [value] = [o["value"] for o in select_options(kinds) if kind in o["label"]]
    select_id = next(i for i in custom_ids(kinds) if i.startswith("pick:"))
    return await press_as(fake, ADMIN, kinds, select_id, [value])


@pytest.fixture
async def cosmos_bot(
    db: str, fake: FakeDiscord, lookup: SlowLookup
) -> AsyncIterator[BlockbellClient]:
    """The bot with an EVM chain and Osmosis, whose amounts are written in OSMO."""
    osmosis = CosmosChainFacts("osmo", (Denom("uosmo", "OSMO", 6),))
    settings = CoreSettings(
        chains=("mainnet", "osmosis"), lookup=lookup, cosmos={"osmosis": osmosis}
    )
    client = BlockbellClient(BotCore(settings), GUILD_ID, guild_ready_timeout_s=GUILDS_ARRIVED_S)
    with discord_pointed_at(fake):
        async with running_client(client, TOKEN) as running:
            assert isinstance(running, BlockbellClient)
            yield running


@pytest.mark.parametrize(
    ("kind", "address", "example", "typed"),
    [
        (
            "Delegations to a validator",
            validator("val-1", "osmovaloper"),
            "amount >= 100OSMO",
            "amount >= 5OSMO",
        ),
        (
            "Tokens received by an address",
            account("alice", "osmo"),
            "amount >= 1.5OSMO",
            "sender == " + account("bob", "osmo"),
        ),
    ],
)
async def test_a_cosmos_filter_form_shows_an_example_of_the_chain_and_what_is_watched(
    cosmos_bot: BlockbellClient,
    fake: FakeDiscord,
    kind: str,
    address: str,
    example: str,
    typed: str,
) -> None:
    asked = await at_cosmos_kind(fake, kind)
    opened = await open_modal(fake, ADMIN, asked, "Type the address")
    filters = await submit(fake, ADMIN, opened, asked, address)
    assert f"type a condition such as {example}" in filters.content, filters.content

    opened = await open_modal(fake, ADMIN, filters, "Type a filter")
    assert opened.modal is not None and opened.modal["title"] == "Filter"
    filter_input = text_input(opened.modal)
    assert (filter_input["placeholder"], filter_input["style"]) == (example, PARAGRAPH)
    assert "0x" not in filter_input["placeholder"]
    confirm = await submit(fake, ADMIN, opened, filters, typed)
    assert f"Filter: {typed}" in confirm.content
    done = await press_as(fake, ADMIN, confirm, labelled(confirm, "Subscribe"))
    assert "Subscribed: 1 subscription (#1)" in done.content


async def test_a_refused_cosmos_filter_is_asked_again_with_the_same_form(
    cosmos_bot: BlockbellClient, fake: FakeDiscord
) -> None:
    asked = await at_cosmos_kind(fake, "Governance votes")
    opened = await open_modal(fake, ADMIN, asked, "Type a filter")
    assert (
        opened.modal is not None and text_input(opened.modal)["placeholder"] == "proposal_id == 7"
    )
    refused = await submit(fake, ADMIN, opened, asked, "amount >= 1.5BTC")
    assert "BTC in the condition on amount" in refused.content
    again = await open_modal(fake, ADMIN, refused, "Type a filter")
    assert again.modal is not None and text_input(again.modal)["placeholder"] == "proposal_id == 7"
