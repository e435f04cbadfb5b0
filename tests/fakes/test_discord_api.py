"""The fake Discord's REST API and its rules, driven by the unmodified discord.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from tests.fakes.discord_api import FakeDiscord, GuildSpec, InteractionRecord
from tests.fakes.discord_client import discord_pointed_at, running_client
from tests.fakes.discord_interactions import submit_modal
from tests.support.secret_watch import secret

TOKEN = secret("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.api-test-token")
APP_ID = 1_100_000_000_000_000_001
GUILD_ID, CHANNEL_ID, OTHER_ID = (
    1_200_000_000_000_000_001,
    1_200_000_000_000_000_011,
    1_200_000_000_000_000_012,
)
ALICE, BOB = 1_300_000_000_000_000_001, 1_300_000_000_000_000_002
GUILD = GuildSpec(
    GUILD_ID,
    "Chain watchers",
    {CHANNEL_ID: "alerts", OTHER_ID: "other"},
    {ALICE: "alice", BOB: "bob"},
    admins={BOB},
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord.start(TOKEN, application_id=APP_ID, guilds=[GUILD])
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    """A logged-in client that has not opened the gateway: REST calls only."""
    with discord_pointed_at(fake):
        bot = discord.Client(intents=discord.Intents.default())
        await bot.login(TOKEN)
        yield bot
        await bot.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def channel(client: discord.Client, channel_id: int = CHANNEL_ID) -> discord.PartialMessageable:
    return client.get_partial_messageable(channel_id)


async def test_login_knows_the_bot_and_its_application(client: discord.Client) -> None:
    assert client.user is not None and client.user.name == "Blockbell" and client.user.bot
    assert client.application_id == APP_ID


async def test_a_wrong_token_cannot_log_in(fake: FakeDiscord) -> None:
    with discord_pointed_at(fake):
        stranger = discord.Client(intents=discord.Intents.default())
        with pytest.raises(discord.LoginFailure):
            await stranger.login("not-the-token")
        await stranger.close()


async def test_answers_are_json_with_rate_limit_headers(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with http.get(f"{fake.url}/api/v10/gateway/bot", headers=headers) as response:
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["X-RateLimit-Limit"] == "50"
        assert (await response.json())["url"] == fake.ws_url


async def test_channel_send_with_a_repeated_nonce_posts_once(
    fake: FakeDiscord, client: discord.Client
) -> None:
    first = await channel(client).send("Transfer 5 ETH", nonce="delivery-17")
    again = await channel(client).send("Transfer 5 ETH", nonce="delivery-17")
    assert again.id == first.id
    assert [(m.content, m.nonce) for m in fake.messages(CHANNEL_ID)] == [
        ("Transfer 5 ETH", "delivery-17")
    ]
    edited = await first.edit(content="Transfer 5 ETH (reverted)")
    assert fake.messages(CHANNEL_ID)[0].content == edited.content == "Transfer 5 ETH (reverted)"


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"content": "x" * 2001}, "In content: Must be 2000 or fewer in length."),
        ({"embeds": [discord.Embed(description="d" * 2500)] * 3}, "Embed size exceeds maximum"),
        ({"embed": discord.Embed().set_author(name="a" * 257)}, "In embeds.0.author.name"),
        ({"embed": discord.Embed(description="d" * 4097)}, "In embeds.0.description"),
    ],
)
async def test_oversized_messages_are_refused(
    fake: FakeDiscord, client: discord.Client, kwargs: dict[str, object], needle: str
) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await channel(client).send(**kwargs)  # type: ignore[call-overload]
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert needle in str(caught.value)
    assert fake.messages(CHANNEL_ID) == []


async def test_more_than_ten_embeds_are_refused(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    """discord.py refuses 11 embeds itself; a client that does not is refused by Discord."""
    url = f"{fake.url}/api/v10/channels/{CHANNEL_ID}/messages"
    payload = {"embeds": [{"title": "t"}] * 11}
    async with http.post(url, json=payload, headers={"Authorization": f"Bot {TOKEN}"}) as response:
        body = await response.json()
    assert (response.status, body["code"]) == (400, 50035)
    assert body["errors"]["embeds"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"


async def test_an_embed_with_26_fields_is_refused(
    fake: FakeDiscord, client: discord.Client
) -> None:
    embed = discord.Embed()
    for index in range(26):
        embed.add_field(name=f"n{index}", value="v")
    with pytest.raises(discord.HTTPException, match=r"In embeds\.0\.fields"):
        await channel(client).send(embed=embed)


async def test_injected_429_is_waited_out_by_discord_py(
    fake: FakeDiscord, client: discord.Client
) -> None:
    fake.rate_limit_once(f"/channels/{CHANNEL_ID}/messages", retry_after_s=0.05)
    fake.rate_limit_once("global", retry_after_s=0.05)
    await channel(client).send("after the wait")
    assert [m.content for m in fake.messages(CHANNEL_ID)] == ["after the wait"]
    statuses = [s for method, path, s in fake.requests if path.endswith("/messages")]
    assert statuses == [429, 429, 200]


async def test_bucket_headers_make_discord_py_pace_itself_without_429(
    fake: FakeDiscord, client: discord.Client
) -> None:
    fake.limits.limits["channel_messages"] = (2, 0.1)
    for index in range(5):
        await channel(client).send(f"event {index}")
    assert len(fake.messages(CHANNEL_ID)) == 5
    assert fake.limits.refused == []


async def test_closed_dms_are_forbidden_with_50007(
    fake: FakeDiscord, client: discord.Client
) -> None:
    user = await client.fetch_user(ALICE)
    await user.send("welcome")
    fake.close_dms(ALICE)
    with pytest.raises(discord.Forbidden) as caught:
        await user.send("are you there?")
    assert caught.value.code == 50007
    assert [m.content for m in fake.dms(ALICE)] == ["welcome"]


async def test_missing_permission_and_deleted_channel(
    fake: FakeDiscord, client: discord.Client
) -> None:
    fake.deny_permission(CHANNEL_ID)
    fake.delete_channel(OTHER_ID)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel(client).send("hi")
    with pytest.raises(discord.NotFound) as gone:
        await channel(client, OTHER_ID).send("hi")
    assert (forbidden.value.code, gone.value.code) == (50013, 10003)


async def test_empty_message_is_refused(client: discord.Client) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await channel(client).send()
    assert caught.value.code == 50006


async def test_pasted_channel_webhook_url_takes_messages_with_wait(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    url = fake.webhook_url(CHANNEL_ID)
    async with http.post(f"{url}?wait=true", json={"content": "Swap on osmosis"}) as response:
        assert response.status == 200
        assert (await response.json())["content"] == "Swap on osmosis"
    async with http.post(url, json={"embeds": [{"title": "no wait"}]}) as response:
        assert response.status == 204
    assert [m.webhook_id is not None for m in fake.messages(CHANNEL_ID)] == [True, True]


async def test_channel_webhook_allows_five_per_two_seconds_then_429(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    url = fake.webhook_url(CHANNEL_ID)
    statuses = []
    for index in range(6):
        async with http.post(url, json={"content": f"n{index}"}) as response:
            statuses.append(response.status)
            if response.status == 429:
                body, via = await response.json(), response.headers.get("Via")
    assert statuses == [204] * 5 + [429]
    assert body["retry_after"] > 0 and via


async def test_channel_webhook_of_a_deleted_channel_is_unknown(
    fake: FakeDiscord, client: discord.Client
) -> None:
    url = fake.webhook_url(CHANNEL_ID)
    webhook_id, token = url.rsplit("/", 2)[-2:]
    async with aiohttp.ClientSession() as session:
        webhook = discord.Webhook.partial(int(webhook_id), token, session=session)
        sent = await webhook.send("first", wait=True)
        assert sent.content == "first"
        fake.delete_channel(CHANNEL_ID)
        with pytest.raises(discord.NotFound) as caught:
            await webhook.send("second", wait=True)
    assert caught.value.code == 10015


async def test_commands_with_unknown_locales_are_refused(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    command = {
        "name": "watch",
        "description": "Watch a contract",
        "name_localizations": {"es": "vigilar"},  # Discord wants es-ES or es-419
    }
    url = f"{fake.url}/api/v10/applications/{APP_ID}/commands"
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with http.put(url, json=[command], headers=headers) as response:
        body = await response.json()
    assert (response.status, body["code"]) == (400, 50035)
    assert "es" in body["errors"]["0"]["name_localizations"]
    assert fake.commands("global") == []


MANAGE_CHANNELS, SEND_MESSAGES = 1 << 4, 1 << 11
SUBSCRIBE = {
    "name": "subscribe",
    "description": "Subscribe a chat",
    "options": [{"type": 7, "name": "channel", "description": "Where to"}],
}
UNSUBSCRIBE = {
    "name": "unsubscribe",
    "description": "Unsubscribe a chat",
    "default_member_permissions": str(MANAGE_CHANNELS),
}
RELOAD = {"name": "reload", "description": "Reload", "default_member_permissions": "0"}


class Recorder(discord.Client):
    """A bot that only takes note of the interactions it receives."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.01)
        self.received: asyncio.Queue[discord.Interaction] = asyncio.Queue()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.received.put(interaction)


@pytest.fixture
async def recorder(fake: FakeDiscord, http: aiohttp.ClientSession) -> AsyncIterator[Recorder]:
    url = f"{fake.url}/api/v10/applications/{APP_ID}/commands"
    headers = {"Authorization": f"Bot {TOKEN}"}
    commands = [SUBSCRIBE, UNSUBSCRIBE, RELOAD]
    async with http.put(url, json=commands, headers=headers) as response:
        assert response.status == 200
    with discord_pointed_at(fake):
        async with running_client(Recorder(), TOKEN) as client:
            assert isinstance(client, Recorder)
            yield client


async def received(recorder: Recorder) -> discord.Interaction:
    async with asyncio.timeout(5):
        return await recorder.received.get()


def resolved_permissions(interaction: discord.Interaction, channel_id: int) -> int:
    data: dict[str, Any] = dict(interaction.data or {})
    return int(data["resolved"]["channels"][str(channel_id)]["permissions"])


async def test_a_channel_option_carries_the_invokers_permissions_in_that_channel(
    fake: FakeDiscord, recorder: Recorder
) -> None:
    await fake.slash(BOB, "subscribe", {"channel": OTHER_ID}, channel_id=CHANNEL_ID)
    admin = resolved_permissions(await received(recorder), OTHER_ID)
    await fake.slash(ALICE, "subscribe", {"channel": OTHER_ID}, channel_id=CHANNEL_ID)
    member = resolved_permissions(await received(recorder), OTHER_ID)
    assert admin & MANAGE_CHANNELS and admin & SEND_MESSAGES
    assert member & SEND_MESSAGES and not member & MANAGE_CHANNELS


async def test_default_member_permissions_apply_in_a_guild_but_not_in_dms(
    fake: FakeDiscord, recorder: Recorder
) -> None:
    with pytest.raises(ValueError, match="sees no command"):
        await fake.slash(ALICE, "unsubscribe", channel_id=CHANNEL_ID)
    with pytest.raises(ValueError, match="sees no command"):
        await fake.slash(ALICE, "reload", channel_id=CHANNEL_ID)  # "0": administrators only
    await fake.slash(BOB, "reload", channel_id=CHANNEL_ID)
    assert (await received(recorder)).guild_id == GUILD_ID
    await fake.slash(ALICE, "unsubscribe")  # in her DM with the bot
    in_dm = await received(recorder)
    assert in_dm.guild_id is None and in_dm.user.id == ALICE


def channel_webhook(fake: FakeDiscord, http: aiohttp.ClientSession) -> discord.Webhook:
    """A pasted channel webhook as discord.py holds it; its URLs come from Route.BASE, which
    the `client` fixture points at the fake."""
    webhook_id, token = fake.webhook_url(CHANNEL_ID).rsplit("/", 2)[-2:]
    return discord.Webhook.partial(int(webhook_id), token, session=http)


async def test_a_channel_webhook_fetches_edits_and_deletes_its_own_messages(
    fake: FakeDiscord, client: discord.Client, http: aiohttp.ClientSession
) -> None:
    webhook = channel_webhook(fake, http)
    sent = await webhook.send("Transfer 5 ETH", wait=True)
    edited = await webhook.edit_message(sent.id, content="Transfer 5 ETH (reverted)")
    fetched = await webhook.fetch_message(sent.id)
    assert edited.content == fetched.content == "Transfer 5 ETH (reverted)"
    assert [m.content for m in fake.messages(CHANNEL_ID)] == ["Transfer 5 ETH (reverted)"]
    await webhook.delete_message(sent.id)
    assert fake.messages(CHANNEL_ID) == []
    with pytest.raises(discord.NotFound) as gone:
        await webhook.fetch_message(sent.id)
    assert gone.value.code == 10008


async def test_a_channel_webhook_reaches_no_other_webhooks_message(
    fake: FakeDiscord, client: discord.Client, http: aiohttp.ClientSession
) -> None:
    first, second = channel_webhook(fake, http), channel_webhook(fake, http)
    sent = await first.send("Swap on osmosis", wait=True)
    with pytest.raises(discord.NotFound) as foreign:
        await second.edit_message(sent.id, content="changed")
    forged = discord.Webhook.partial(first.id, "not-the-token", session=http)
    with pytest.raises(discord.NotFound) as unknown:
        await forged.edit_message(sent.id, content="changed")
    assert (foreign.value.code, unknown.value.code) == (10008, 10015)
    assert [m.content for m in fake.messages(CHANNEL_ID)] == ["Swap on osmosis"]


# --- modals and permission overwrites --------------------------------------------------------


def address_modal(**changes: Any) -> dict[str, Any]:
    """A modal as Discord takes it: a title and action rows of one text input each."""
    text_input = {"type": 4, "custom_id": "answer", "style": 1, "label": "Address"}
    modal = {
        "custom_id": "type:a:run1",
        "title": "Contract address",
        "components": [{"type": 1, "components": [text_input]}],
    }
    return modal | changes


async def answer_with(
    http: aiohttp.ClientSession, fake: FakeDiscord, record: InteractionRecord, body: Any
) -> tuple[int, dict[str, Any]]:
    """The bot's initial response to an interaction, as raw JSON: status and error body."""
    url = f"{fake.url}/api/v10/interactions/{record.id}/{record.token}/callback"
    async with http.post(url, json=body) as response:
        return response.status, (await response.json() if response.status != 204 else {})


async def test_a_modal_answers_a_command_and_its_submission_arrives_as_discord_sends_it(
    fake: FakeDiscord, recorder: Recorder, http: aiohttp.ClientSession
) -> None:
    opened = await fake.slash(ALICE, "subscribe", channel_id=CHANNEL_ID)
    await received(recorder)
    assert await answer_with(http, fake, opened, {"type": 9, "data": address_modal()}) == (204, {})
    assert opened.modal is not None and opened.modal["title"] == "Contract address"

    submitted = await submit_modal(fake, ALICE, opened, {"answer": "0xabc"})
    interaction = await received(recorder)
    assert interaction.type is discord.InteractionType.modal_submit
    assert interaction.data == {
        "custom_id": "type:a:run1",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": "0xabc"}]}
        ],
    }
    assert interaction.user.id == ALICE and interaction.channel_id == CHANNEL_ID
    # Opened from a command, the modal has no message to update: only a new one answers it.
    status, body = await answer_with(http, fake, submitted, {"type": 6})
    assert (status, body["code"]) == (400, 50035)
    reply = {"type": 4, "data": {"content": "Got it", "flags": 64}}
    assert await answer_with(http, fake, submitted, reply) == (204, {})
    assert [m.content for m in fake.interaction_responses(submitted.id)] == ["Got it"]


@pytest.mark.parametrize(
    "modal",
    [
        address_modal(title="T" * 46),
        address_modal(title=""),
        address_modal(custom_id=None),
        address_modal(custom_id="x" * 101),
        address_modal(components=[]),
        address_modal(components=address_modal()["components"] * 6),
        address_modal(
            components=[
                {"type": 1, "components": [{"type": 4, "custom_id": i, "style": 1, "label": i}]}
                for i in ("a", "a")
            ]
        ),
        address_modal(
            components=[{"type": 1, "components": [{"type": 4, "custom_id": "a", "style": 1}]}]
        ),
        address_modal(
            components=[
                {
                    "type": 1,
                    "components": [
                        {"type": 4, "custom_id": "a", "style": 1, "label": "L" * 46},
                    ],
                }
            ]
        ),
        address_modal(
            components=[
                {
                    "type": 1,
                    "components": [
                        {"type": 4, "custom_id": "a", "style": 1, "label": "A"},
                        {"type": 4, "custom_id": "b", "style": 1, "label": "B"},
                    ],
                }
            ]
        ),
        address_modal(
            components=[{"type": 1, "components": [{"type": 2, "custom_id": "b", "style": 1}]}]
        ),
        address_modal(
            components=[
                {
                    "type": 1,
                    "components": [
                        {"type": 4, "custom_id": "a", "style": 2, "label": "A", "max_length": 4001}
                    ],
                }
            ]
        ),
    ],
    ids=[
        "long title",
        "empty title",
        "no custom id",
        "long custom id",
        "no rows",
        "six rows",
        "repeated input id",
        "no label",
        "long label",
        "two inputs in a row",
        "a button",
        "too long an input",
    ],
)
async def test_a_modal_breaking_discords_rules_is_refused(
    fake: FakeDiscord, recorder: Recorder, http: aiohttp.ClientSession, modal: dict[str, Any]
) -> None:
    record = await fake.slash(ALICE, "subscribe", channel_id=CHANNEL_ID)
    await received(recorder)
    status, body = await answer_with(http, fake, record, {"type": 9, "data": modal})
    assert (status, body["code"]) == (400, 50035)
    assert record.callback_type is None and record.modal is None
    assert [error.code for error in record.refusals] == [50035]


async def test_a_modal_in_discords_label_layout_is_taken_and_submitted_in_it(
    fake: FakeDiscord, recorder: Recorder, http: aiohttp.ClientSession
) -> None:
    labelled = {
        "type": 18,
        "label": "Address",
        "component": {"type": 4, "custom_id": "answer", "style": 1},
    }
    record = await fake.slash(ALICE, "subscribe", channel_id=CHANNEL_ID)
    await received(recorder)
    modal = address_modal(components=[labelled])
    assert await answer_with(http, fake, record, {"type": 9, "data": modal}) == (204, {})
    await submit_modal(fake, ALICE, record, {"answer": "0xabc"})
    data: dict[str, Any] = dict((await received(recorder)).data or {})
    assert data["components"] == [
        {"type": 18, "component": {"type": 4, "custom_id": "answer", "value": "0xabc"}}
    ]


async def test_a_modal_cannot_answer_a_modal_submission_or_an_autocomplete(
    fake: FakeDiscord, recorder: Recorder, http: aiohttp.ClientSession
) -> None:
    opened = await fake.slash(ALICE, "subscribe", channel_id=CHANNEL_ID)
    await received(recorder)
    await answer_with(http, fake, opened, {"type": 9, "data": address_modal()})
    submitted = await submit_modal(fake, ALICE, opened, {"answer": "0xabc"})
    typing = await fake.autocomplete(ALICE, "subscribe", {"channel": "1"}, "channel")
    for record in (submitted, typing):
        await received(recorder)
        status, body = await answer_with(http, fake, record, {"type": 9, "data": address_modal()})
        assert (status, body["code"]) == (400, 50035)
        assert record.callback_type is None


async def test_a_modal_is_submitted_only_as_discords_client_lets_it(
    fake: FakeDiscord, recorder: Recorder, http: aiohttp.ClientSession
) -> None:
    opened = await fake.slash(ALICE, "subscribe", channel_id=CHANNEL_ID)
    await received(recorder)
    with pytest.raises(ValueError, match="not answered with a modal"):
        await submit_modal(fake, ALICE, opened, {"answer": "0xabc"})
    modal = address_modal()
    modal["components"][0]["components"][0]["max_length"] = 4
    await answer_with(http, fake, opened, {"type": 9, "data": modal})
    for values in ({"answer": ""}, {"answer": "0xabcdef"}, {"other": "x", "answer": "0x"}):
        with pytest.raises(ValueError):
            await submit_modal(fake, ALICE, opened, values)


MODERATOR = 1_300_000_000_000_000_003
OVERWRITTEN = GuildSpec(
    GUILD_ID,
    "Chain watchers",
    {CHANNEL_ID: "alerts", OTHER_ID: "other"},
    {ALICE: "alice", BOB: "bob", MODERATOR: "moderator"},
    admins={BOB},
    overwrites={OTHER_ID: {MODERATOR: (MANAGE_CHANNELS, 0), ALICE: (0, SEND_MESSAGES)}},
)


@pytest.fixture
async def fake_with() -> AsyncIterator[FakeDiscord]:
    """The fake with a guild whose second channel has member overwrites."""
    server = await FakeDiscord.start(TOKEN, application_id=APP_ID, guilds=[OVERWRITTEN])
    yield server
    await server.stop()


async def test_a_channels_overwrites_reach_interactions_and_discord_pys_cache_alike(
    fake_with: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    url = f"{fake_with.url}/api/v10/applications/{APP_ID}/commands"
    async with http.put(url, json=[SUBSCRIBE], headers={"Authorization": f"Bot {TOKEN}"}):
        pass
    with discord_pointed_at(fake_with):
        async with running_client(Recorder(), TOKEN) as client:
            assert isinstance(client, Recorder)
            seen: dict[tuple[int, int], int] = {}
            for user in (MODERATOR, ALICE):
                for channel_id in (CHANNEL_ID, OTHER_ID):
                    await fake_with.slash(user, "subscribe", channel_id=channel_id)
                    interaction = await received(client)
                    assert isinstance(interaction.user, discord.Member)
                    assert interaction.guild is not None
                    cached = interaction.guild.get_channel(channel_id)
                    assert isinstance(cached, discord.TextChannel)
                    computed = cached.permissions_for(interaction.user).value
                    assert computed == interaction.permissions.value
                    seen[user, channel_id] = computed
    assert seen[MODERATOR, OTHER_ID] & MANAGE_CHANNELS
    assert not seen[MODERATOR, CHANNEL_ID] & MANAGE_CHANNELS
    assert seen[ALICE, CHANNEL_ID] & SEND_MESSAGES and not seen[ALICE, OTHER_ID] & SEND_MESSAGES
