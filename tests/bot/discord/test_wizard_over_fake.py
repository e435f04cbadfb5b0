"""The subscribe wizard on Discord with a chain and an address given as options: then buttons
and the events select, over the real client, core and database (typed answers, in modals:
test_typed_answers_over_fake.py)."""

from __future__ import annotations

from typing import Any

from bot.discord.app import BlockbellClient
from locales import translate
from tests.bot.core.conftest import PLAIN, USDC
from tests.bot.discord.conftest import CHANNEL, answer
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.support.discord_guild import ADMIN, MEMBER

SELECT = 3


def components(message: FakeMessage) -> list[dict[str, Any]]:
    return [component for row in message.components for component in row.get("components") or []]


def button(message: FakeMessage, label: str) -> str:
    """The custom id of the button whose label contains `label`."""
    for component in components(message):
        if label in str(component.get("label", "")):
            return str(component["custom_id"])
    raise AssertionError(f"no button {label!r} in {components(message)}")


def events_select(message: FakeMessage) -> dict[str, Any]:
    return next(component for component in components(message) if component["type"] == SELECT)


def option_values(select: dict[str, Any], *labels: str) -> list[str]:
    return [option["value"] for option in select["options"] if option["label"] in labels]


async def press(
    fake: FakeDiscord, shown: FakeMessage, custom_id: str, values: list[str] | None = None
) -> FakeMessage:
    """The admin uses a component of their ephemeral wizard message; a wizard step may ask
    the chain, so the bot defers and then edits the message: wait until it changed."""
    before = (shown.content, repr(shown.components))
    record = await fake.press(ADMIN, shown.id, custom_id, values)

    def edited() -> bool:
        responses = fake.interaction_responses(record.id)
        return bool(responses) and (responses[-1].content, repr(responses[-1].components)) != before

    await fake.wait_until(edited)
    return fake.interaction_responses(record.id)[-1]


async def test_an_admin_subscribes_the_channel_to_two_events_with_components(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    hook = await fake.slash(
        ADMIN, "webhook", {"url": "https://hooks.example.com/in"}, channel_id=CHANNEL
    )
    assert "Webhook #1" in (await answer(fake, hook)).content

    started = await fake.slash(
        ADMIN, "subscribe", {"chain": "mainnet", "address": USDC}, channel_id=CHANNEL
    )
    shown = await answer(fake, started)
    assert "Detected: an ERC-20 token, USDC." in shown.content and shown.ephemeral
    select = events_select(shown)
    assert [option["label"] for option in select["options"]] == ["Transfer", "Approval"]

    chosen = option_values(select, "Transfer", "Approval")
    picked = await press(fake, shown, select["custom_id"], chosen)
    assert "2 chosen" in picked.content
    assert all(option["default"] for option in events_select(picked)["options"])

    filters = await press(fake, picked, button(picked, "Done"))
    destinations = await press(fake, filters, button(filters, "No filter"))
    assert "Where should the notifications go?" in destinations.content
    confirm = await press(fake, destinations, button(destinations, "This chat"))
    assert "Events: Transfer, Approval" in confirm.content
    done = await press(fake, confirm, button(confirm, "Subscribe"))
    assert "Subscribed: 2 subscriptions (#1, #2)" in done.content

    listed = await answer(fake, await fake.slash(MEMBER, "list", channel_id=CHANNEL))
    assert "2 subscriptions" in listed.content and USDC.lower() in listed.content


async def test_a_filter_given_as_an_option_is_applied_once_the_events_are_chosen(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    options: dict[str, object] = {"chain": "mainnet", "address": USDC, "filter": "value > 1.5"}
    shown = await answer(fake, await fake.slash(ADMIN, "subscribe", options, channel_id=CHANNEL))
    select = events_select(shown)
    chosen = option_values(select, "Transfer")
    picked = await press(fake, shown, select["custom_id"], chosen)
    confirm = await press(fake, picked, button(picked, "Done"))
    assert "Filter: value > 1.5" in confirm.content
    done = await press(fake, confirm, button(confirm, "Subscribe"))
    assert "Subscribed: 1 subscription (#1)" in done.content


async def test_an_unknown_contract_is_told_how_to_give_its_event_on_discord(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    started = await fake.slash(
        ADMIN, "subscribe", {"chain": "mainnet", "address": PLAIN}, channel_id=CHANNEL
    )
    shown = await answer(fake, started)
    assert shown.content == translate("en", "dc.wizard.ask_abi_typed", address=PLAIN)
    assert "file" not in shown.content
    assert [c["label"] for c in components(shown)] == [
        "✏️ Paste the ABI or a signature",
        "ERC-20",
        "ERC-721",
        "ERC-1155",
        "Cancel",
    ]


async def test_a_bad_address_option_is_refused_as_a_typed_one(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    options: dict[str, object] = {"chain": "mainnet", "address": "0x1234"}
    shown = await answer(fake, await fake.slash(ADMIN, "subscribe", options, channel_id=CHANNEL))
    assert shown.content.startswith("0x1234 is not an address")
