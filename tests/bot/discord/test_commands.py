"""The slash commands: their JSON for Discord's bulk overwrite, their localizations in every
supported language (the same through discord.py's translator), and what each asks of the
core."""

from __future__ import annotations

import re
from typing import Any

import discord
import orjson
import pytest
from discord import app_commands

from bot.core.replies import Text
from bot.discord.commands import (
    DM,
    HERE,
    CatalogTranslator,
    CoreCall,
    WizardStart,
    command_description,
    command_payloads,
    option_description,
    option_name,
    plan_command,
)
from locales import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, messages

NAME = re.compile(r"[a-z0-9_-]{1,32}")
LOCALES = {"ru": ["ru"], "es": ["es-ES", "es-419"], "zh_Hans": ["zh-CN"]}
MANAGE_CHANNELS = "16"


def payloads() -> dict[str, dict[str, Any]]:
    loaded: list[dict[str, Any]] = orjson.loads(orjson.dumps(command_payloads()))
    return {payload["name"]: payload for payload in loaded}


def test_the_commands_of_the_issue_and_the_help_text_exist() -> None:
    assert set(payloads()) == {
        "subscribe", "list", "unsubscribe", "history", "destinations", "webhook", "status",
        "language", "help", "cancel",
    }  # fmt: skip


def test_every_command_is_a_valid_chat_input_command() -> None:
    for name, payload in payloads().items():
        assert payload["type"] == 1 and NAME.fullmatch(name)
        assert 0 < len(payload["description"]) <= 100
        assert payload["dm_permission"] is True and payload["contexts"] == [0, 1]
        options = payload["options"]
        assert len(options) <= 25
        required = [option["required"] for option in options]
        assert required == sorted(required, reverse=True), "required options come first"
        for option in options:
            assert NAME.fullmatch(option["name"]) and 0 < len(option["description"]) <= 100
            if option.get("autocomplete"):
                assert option["type"] in (3, 4) and "choices" not in option


def test_only_commands_that_change_a_channel_ask_for_manage_channels() -> None:
    rights = {name: payload["default_member_permissions"] for name, payload in payloads().items()}
    assert {name for name, value in rights.items() if value is not None} == {
        "unsubscribe",
        "webhook",
        "language",
    }
    assert set(rights.values()) == {None, MANAGE_CHANNELS}
    # Any member may subscribe their DMs from a server: /subscribe stays visible to all.
    assert rights["subscribe"] is None


def test_subscribe_offers_the_issues_options() -> None:
    options = {option["name"]: option for option in payloads()["subscribe"]["options"]}
    assert list(options) == ["chain", "address", "event", "filter", "channel", "dm"]
    assert options["chain"]["autocomplete"] and options["event"]["autocomplete"]
    assert options["channel"]["type"] == 7 and 0 in options["channel"]["channel_types"]
    assert options["dm"]["type"] == 5


def test_the_language_option_names_each_language_in_itself() -> None:
    (option,) = payloads()["language"]["options"]
    assert [choice["value"] for choice in option["choices"]] == list(SUPPORTED_LANGUAGES)
    assert "Русский" in [choice["name"] for choice in option["choices"]]


@pytest.mark.parametrize("language", [code for code in SUPPORTED_LANGUAGES if code != "en"])
def test_every_description_is_localized_for_the_languages_discord_locales(language: str) -> None:
    for payload in payloads().values():
        for locale in LOCALES[language]:
            described = payload["description_localizations"][locale]
            assert 0 < len(described) <= 100
            for option in payload["options"]:
                assert 0 < len(option["description_localizations"][locale]) <= 100
                name = option.get("name_localizations", {}).get(locale, option["name"])
                assert NAME.fullmatch(name), f"{locale}: {name!r} is not an ASCII name"
            names = [
                o.get("name_localizations", {}).get(locale, o["name"]) for o in payload["options"]
            ]
            assert len(names) == len(set(names))


def test_spanish_option_names_are_spanish_words() -> None:
    chain = payloads()["subscribe"]["options"][0]
    assert chain["name_localizations"] == {"es-ES": "red", "es-419": "red"}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_dc_key_is_in_every_catalog(language: str) -> None:
    english = {key for key in messages(DEFAULT_LANGUAGE) if key.startswith("dc.")}
    assert english and english <= set(messages(language))


def tree_with_commands() -> app_commands.CommandTree[discord.Client]:
    """Commands declared as the front-end declares them for discord.py: /subscribe with the
    helpers' keyed strings, /list with a plain locale_str (its key comes from the context)."""
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))

    @tree.command(name="subscribe", description=command_description("subscribe"))
    @app_commands.rename(chain=option_name("chain"), dm=option_name("dm"))
    @app_commands.describe(
        chain=option_description("subscribe", "chain"), dm=option_description("subscribe", "dm")
    )
    async def subscribe(
        interaction: discord.Interaction, chain: str | None = None, dm: bool | None = None
    ) -> None:
        """Declared for its payload only."""

    @tree.command(name="list", description=app_commands.locale_str("The subscriptions here"))
    async def list_(interaction: discord.Interaction) -> None:
        """Declared for its payload only."""

    return tree


def localized(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": payload["description_localizations"],
        "options": {
            option["name"]: (
                option.get("name_localizations", {}),
                option.get("description_localizations", {}),
            )
            for option in payload["options"]
        },
    }


async def test_the_translator_gives_discord_py_the_same_localizations() -> None:
    tree = tree_with_commands()
    translator = CatalogTranslator()
    expected = payloads()
    for command in tree.get_commands():
        assert isinstance(command, app_commands.Command)
        synced = await command.get_translated_payload(tree, translator)
        wanted = expected[command.name]
        wanted["options"] = [o for o in wanted["options"] if o["name"] in ("chain", "dm")]
        assert localized(synced) == localized(wanted)
        assert synced["name_localizations"] == {}  # command names stay English


# --- what a command asks of the core ---------------------------------------------------------


def test_subscribe_with_every_part_is_the_one_line_form() -> None:
    options = {
        "chain": "mainnet",
        "address": " 0xA0b8 ",
        "event": "Transfer",
        "filter": "value > 1",
    }
    assert plan_command("subscribe", options) == CoreCall(
        "subscribe", "mainnet 0xA0b8 Transfer value > 1"
    )


def test_subscribe_alone_starts_the_wizard_for_here_a_channel_or_dms() -> None:
    assert plan_command("subscribe", {}) == CoreCall("subscribe", "", chat=HERE)
    assert plan_command("subscribe", {"channel": 42}) == CoreCall("subscribe", chat="42")
    assert plan_command("subscribe", {"channel": "42"}) == CoreCall("subscribe", chat="42")
    assert plan_command("subscribe", {"dm": True}) == CoreCall("subscribe", chat=DM)
    assert plan_command("subscribe", {"dm": False}) == CoreCall("subscribe", chat=HERE)


def test_a_chain_and_an_address_without_an_event_start_the_wizard_at_the_events() -> None:
    options = {"chain": "mainnet", "address": " 0xA0b8 ", "filter": "value > 1", "dm": True}
    assert plan_command("subscribe", options) == CoreCall(
        "subscribe", chat=DM, wizard=WizardStart("mainnet", "0xA0b8", "value > 1")
    )
    # Only a chain, or only an address, is the one-line form: the core says what is missing.
    assert plan_command("subscribe", {"chain": "mainnet"}) == CoreCall("subscribe", "mainnet")
    assert plan_command("subscribe", {"address": "0xA0b8"}) == CoreCall("subscribe", "0xA0b8")


def test_two_destinations_at_once_are_refused() -> None:
    problem = plan_command("subscribe", {"channel": "42", "dm": True})
    assert isinstance(problem, Text) and problem.key == "dc.subscribe.one_destination"


@pytest.mark.parametrize(
    ("name", "options", "call"),
    [
        ("unsubscribe", {"subscription": 7}, CoreCall("unsubscribe", action="sub:del:7")),
        ("unsubscribe", {"subscription": "x"}, CoreCall("list")),
        ("unsubscribe", {"subscription": 10**30}, CoreCall("list")),
        (
            "webhook",
            {"url": " https://example.com/hook "},
            CoreCall("webhook", "https://example.com/hook"),
        ),
        ("webhook", {}, CoreCall("webhook")),
        ("language", {"language": "es"}, CoreCall("language", action="lang:es")),
        ("language", {}, CoreCall("language")),
        ("history", {}, CoreCall("history")),
        ("nonsense", {}, CoreCall("help")),
    ],
)
def test_commands_map_to_core_calls(name: str, options: dict[str, Any], call: CoreCall) -> None:
    assert plan_command(name, options) == call
