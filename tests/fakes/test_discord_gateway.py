"""The fake Discord's gateway and interactions, driven by the unmodified discord.py client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import discord
import pytest
from discord import app_commands

from tests.fakes.discord_api import FakeDiscord, GuildSpec
from tests.fakes.discord_client import discord_pointed_at, running_client
from tests.support.secret_watch import secret

TOKEN = secret("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.gateway-test-token")
APP_ID = 1_100_000_000_000_000_001
GUILD_ID, CHANNEL_ID = 1_200_000_000_000_000_001, 1_200_000_000_000_000_011
ALICE, BOB = 1_300_000_000_000_000_001, 1_300_000_000_000_000_002
GUILD = GuildSpec(
    GUILD_ID, "Chain watchers", {CHANNEL_ID: "alerts"}, {ALICE: "alice", BOB: "bob"}, {ALICE}
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord.start(TOKEN, application_id=APP_ID, guilds=[GUILD])
    server.gateway.heartbeat_interval_ms = 100
    yield server
    await server.stop()


@pytest.fixture
def pointed(fake: FakeDiscord) -> Iterator[None]:
    with discord_pointed_at(fake):
        yield


def new_client() -> discord.Client:
    return discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.01)


class Bot(discord.Client):
    """A bot with a command tree whose commands the tests define."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.01)
        self.tree = app_commands.CommandTree(self)
        self.errors: asyncio.Queue[BaseException] = asyncio.Queue()

        async def on_tree_error(
            interaction: discord.Interaction, error: app_commands.AppCommandError
        ) -> None:
            await self.errors.put(error.__cause__ or error)

        self.tree.on_error = on_tree_error  # type: ignore[method-assign]


@pytest.fixture
async def bot(fake: FakeDiscord, pointed: None) -> AsyncIterator[Bot]:
    client = Bot()

    @client.tree.command(description="Check the bot is alive")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    async with running_client(client, TOKEN):
        await client.tree.sync()
        yield client


async def test_client_gets_ready_with_its_guild_channels_and_members(
    fake: FakeDiscord, pointed: None
) -> None:
    async with running_client(new_client(), TOKEN) as client:
        assert client.user is not None and client.user.id == APP_ID
        assert client.application_id == APP_ID
        guild = client.get_guild(GUILD_ID)
        assert guild is not None and guild.name == "Chain watchers"
        assert [c.name for c in guild.text_channels] == ["alerts"]
        assert guild.me is not None and guild.member_count == 3
        assert guild.get_member(ALICE) is None  # members are privileged: not sent by default


async def test_members_intent_must_be_enabled_then_members_arrive(
    fake: FakeDiscord, pointed: None
) -> None:
    intents = discord.Intents.default() | discord.Intents(members=True)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_client(discord.Client(intents=intents), TOKEN):
            pass
    fake.gateway.allowed_intents = -1  # switched on in the developer portal
    client = discord.Client(intents=intents, guild_ready_timeout=0.01)
    async with running_client(client, TOKEN):
        guild = client.get_guild(GUILD_ID)
        alice = guild.get_member(ALICE) if guild else None
        assert alice is not None and alice.guild_permissions.administrator


async def test_client_heartbeats_and_gets_acknowledged(fake: FakeDiscord, pointed: None) -> None:
    async with running_client(new_client(), TOKEN) as client:
        async with asyncio.timeout(5):
            while fake.heartbeats < 3:
                await asyncio.sleep(0.05)
        assert client.latency != float("inf")


async def test_reconnect_request_resumes_the_session_and_events_still_arrive(
    fake: FakeDiscord, bot: Bot
) -> None:
    resumed = asyncio.create_task(bot.wait_for("resumed", timeout=5))
    await fake.request_reconnect()
    await resumed
    record = await fake.slash(ALICE, "ping", channel_id=CHANNEL_ID)
    await fake.answered(record)
    assert [m.content for m in fake.interaction_responses(record.id)] == ["pong"]


async def test_tree_syncs_globally_and_to_a_guild_with_localizations(
    fake: FakeDiscord, pointed: None
) -> None:
    client = Bot()

    @client.tree.command(description=app_commands.locale_str("Show your subscriptions"))
    async def subscriptions(interaction: discord.Interaction) -> None: ...

    @client.tree.command(description="Admin only", guild=discord.Object(GUILD_ID))
    @app_commands.default_permissions(administrator=True)
    async def reload(interaction: discord.Interaction) -> None: ...

    await client.tree.set_translator(RussianTranslator())
    async with running_client(client, TOKEN):
        synced = await client.tree.sync()
        await client.tree.sync(guild=discord.Object(GUILD_ID))
    [command] = fake.commands("global")
    assert (command["name"], command["id"]) == ("subscriptions", str(synced[0].id))
    assert command["description_localizations"] == {"ru": "Ваши подписки"}
    [guild_command] = fake.commands(GUILD_ID)
    assert (guild_command["name"], guild_command["default_member_permissions"]) == ("reload", "8")
    with pytest.raises(ValueError, match="sees no command"):
        await fake.slash(BOB, "reload", channel_id=CHANNEL_ID)  # hidden from non-admins


async def test_slash_command_with_options_is_answered_with_an_ephemeral_message(
    fake: FakeDiscord, bot: Bot
) -> None:
    @bot.tree.command(description="Watch a contract")
    async def watch(interaction: discord.Interaction, address: str, confirmations: int) -> None:
        where = "dm" if interaction.guild_id is None else interaction.channel_id
        text = f"{address} x{confirmations} {interaction.locale.value} {where}"
        await interaction.response.send_message(text, ephemeral=True)

    await bot.tree.sync()
    options = {"address": "0xabc", "confirmations": 3}
    in_guild = await fake.slash(ALICE, "watch", options, channel_id=CHANNEL_ID, locale="ru")
    in_dm = await fake.slash(BOB, "watch", options)
    await fake.answered(in_guild)
    await fake.answered(in_dm)
    [answer] = fake.interaction_responses(in_guild.id)
    assert (answer.content, answer.ephemeral) == (f"0xabc x3 ru {CHANNEL_ID}", True)
    assert [m.content for m in fake.dms(BOB)] == ["0xabc x3 en-US dm"]


async def test_slow_work_is_deferred_then_followed_up_and_the_original_edited(
    fake: FakeDiscord, bot: Bot
) -> None:
    fake.interaction_deadline_s = 0.3  # short, yet generous for the defer on a busy machine

    @bot.tree.command(description="Slow history")
    async def history(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.35)  # longer than the deadline: fine once deferred
        await interaction.followup.send("page 1", embed=discord.Embed(title="History"))
        await interaction.edit_original_response(content="done")

    await bot.tree.sync()
    record = await fake.slash(ALICE, "history", channel_id=CHANNEL_ID)
    await fake.wait_until(lambda: len(fake.interaction_responses(record.id)) == 2)
    await fake.wait_until(lambda: fake.interaction_responses(record.id)[0].content == "done")
    original, followup = fake.interaction_responses(record.id)
    assert (original.loading, followup.content, followup.embeds[0]["title"]) == (
        False,
        "page 1",
        "History",
    )


async def test_button_press_and_select_choice_reach_the_view(fake: FakeDiscord, bot: Bot) -> None:
    class Choose(discord.ui.View):
        @discord.ui.button(label="Pause", custom_id="pause")
        async def pause(
            self, interaction: discord.Interaction, button: discord.ui.Button[Choose]
        ) -> None:
            await interaction.response.edit_message(content="paused", view=None)

        @discord.ui.select(custom_id="chain", options=[discord.SelectOption(label="eth")])
        async def chain(
            self, interaction: discord.Interaction, select: discord.ui.Select[Choose]
        ) -> None:
            await interaction.response.send_message(f"chain {select.values[0]}")

    @bot.tree.command(description="Manage")
    async def manage(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("choose", view=Choose())

    await bot.tree.sync()
    record = await fake.slash(ALICE, "manage", channel_id=CHANNEL_ID)
    await fake.answered(record)
    [menu] = fake.interaction_responses(record.id)
    picked = await fake.press(ALICE, menu.id, "chain", ["eth"])
    await fake.answered(picked)
    assert [m.content for m in fake.interaction_responses(picked.id)] == ["chain eth"]
    pressed = await fake.press(ALICE, menu.id, "pause")
    await fake.answered(pressed)
    assert (menu.content, menu.components, menu.edited) == ("paused", [], True)


async def test_autocomplete_gets_the_focused_option_and_answers_choices(
    fake: FakeDiscord, bot: Bot
) -> None:
    async def chains(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = ["ethereum", "ethereum-sepolia", "osmosis"]
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    @bot.tree.command(description="Pick a chain")
    @app_commands.autocomplete(chain=chains)
    async def pick(interaction: discord.Interaction, chain: str) -> None: ...

    await bot.tree.sync()
    record = await fake.autocomplete(
        ALICE, "pick", {"chain": "eth"}, "chain", channel_id=CHANNEL_ID
    )
    await fake.answered(record)
    assert [c["value"] for c in record.choices or []] == ["ethereum", "ethereum-sepolia"]


async def test_a_second_answer_is_refused_as_already_acknowledged(
    fake: FakeDiscord, bot: Bot
) -> None:
    twin = new_client()  # a second process running with the same token
    async with running_client(twin, TOKEN):
        arrived = asyncio.create_task(twin.wait_for("interaction", timeout=5))
        record = await fake.slash(ALICE, "ping", channel_id=CHANNEL_ID)
        interaction: discord.Interaction = await arrived
        await fake.answered(record)  # the tree answered first
        with pytest.raises(discord.HTTPException) as caught:
            await interaction.response.send_message("mine too")
    assert caught.value.code == 40060
    assert [error.code for error in record.refusals] == [40060]
    assert [m.content for m in fake.interaction_responses(record.id)] == ["pong"]


async def test_a_late_answer_is_an_unknown_interaction(fake: FakeDiscord, bot: Bot) -> None:
    fake.interaction_deadline_s = 0.02

    @bot.tree.command(description="Too slow")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.15)
        await interaction.response.send_message("too late")

    await bot.tree.sync()
    record = await fake.slash(ALICE, "slow", channel_id=CHANNEL_ID)
    error = await asyncio.wait_for(bot.errors.get(), 5)
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert fake.interaction_responses(record.id) == []


@pytest.mark.parametrize(
    ("content", "embed", "where"),
    [
        ("x" * 2001, None, "content"),
        (None, discord.Embed(title="t" * 257), "embeds.0.title"),
        (None, discord.Embed().add_field(name="n", value="v" * 1025), "embeds.0.fields.0.value"),
        (None, discord.Embed().set_footer(text="f" * 2049), "embeds.0.footer.text"),
    ],
)
async def test_too_long_answers_are_refused_as_invalid_form_body(
    fake: FakeDiscord, bot: Bot, content: str | None, embed: discord.Embed | None, where: str
) -> None:
    @bot.tree.command(description="Too long")
    async def long(interaction: discord.Interaction) -> None:
        if embed is None:
            await interaction.response.send_message(content)
        else:
            await interaction.response.send_message(content, embed=embed)

    await bot.tree.sync()
    await fake.slash(ALICE, "long", channel_id=CHANNEL_ID)
    error = await asyncio.wait_for(bot.errors.get(), 5)
    assert isinstance(error, discord.HTTPException) and error.code == 50035
    assert f"In {where}:" in str(error)


class RussianTranslator(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale is discord.Locale.russian and string.message == "Show your subscriptions":
            return "Ваши подписки"
        return None
