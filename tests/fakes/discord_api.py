"""A loopback Discord (REST API v10 and gateway) for the unmodified discord.py.

Point discord.py at it through its public settings, before the client logs in:

    fake = await FakeDiscord.start(TOKEN, application_id=APP_ID, guilds=[GuildSpec(...)])
    discord.http.Route.BASE = f"{fake.url}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.ws_url)

Tests act as users (slash commands, button presses, autocomplete), read what the bot made
users see, and inject the faults a deployed bot meets. The wire work is in discord_rest,
discord_messaging and discord_gateway; the rules in discord_limits and discord_rules.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable

from aiohttp import web

from tests.fakes.discord_gateway import Gateway
from tests.fakes.discord_interactions import (
    AUTOCOMPLETE,
    COMMAND,
    COMPONENT,
    InteractionRecord,
    command_data,
    component_data,
    interaction_json,
    new_record,
)
from tests.fakes.discord_limits import ApiError, Json
from tests.fakes.discord_messaging import Messaging
from tests.fakes.discord_rest import RestApi
from tests.fakes.discord_rules import Faults, RateLimits
from tests.fakes.discord_state import ADMINISTRATOR, DiscordState, FakeMessage, GuildSpec
from tests.support.secret_watch import secret

__all__ = ["ApiError", "FakeDiscord", "FakeMessage", "GuildSpec", "InteractionRecord"]

DEFAULT_TOKEN = secret("MTIzNDU2Nzg5MDEyMzQ1Njc4.fake.discord-bot-token")
DEFAULT_APPLICATION_ID = 1_100_000_000_000_000_001


class FakeDiscord:
    """The fake's public face: start/stop, users' actions, inspection and fault injection."""

    def __init__(self, token: str, application_id: int, bot_name: str) -> None:
        self.state = DiscordState(application_id, bot_name)
        self.faults = Faults()
        self.limits = RateLimits()
        self.messaging = Messaging(self.state, self.faults, self._notify)
        self.rest = RestApi(self.state, token, self.limits, self.messaging)
        self.gateway = Gateway(self.state, token)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

    @classmethod
    async def start(
        cls,
        bot_token: str = DEFAULT_TOKEN,
        *,
        application_id: int = DEFAULT_APPLICATION_ID,
        bot_name: str = "Blockbell",
        guilds: Iterable[GuildSpec] = (),
    ) -> FakeDiscord:
        fake = cls(bot_token, application_id, bot_name)
        for guild in guilds:
            fake.state.add_guild(guild)
        app = web.Application()
        app.router.add_get("/", fake.gateway.handle)
        app.router.add_route("*", "/api/{tail:.*}", fake.rest.handle)
        fake._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await fake._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        fake._port = sock.getsockname()[1]
        await web.SockSite(fake._runner, sock).start()
        fake.gateway.ws_url = fake.rest.gateway_url = fake.ws_url
        return fake

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/"

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def interaction_deadline_s(self) -> float:
        """Discord's 3 s for the first answer; tests shorten it instead of sleeping."""
        return self.messaging.interaction_deadline_s

    @interaction_deadline_s.setter
    def interaction_deadline_s(self, value: float) -> None:
        self.messaging.interaction_deadline_s = value

    # What users and Discord do.

    async def slash(
        self,
        user_id: int,
        command: str,
        options: dict[str, object] | None = None,
        *,
        channel_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """The user runs `/command [subcommand] options` in a channel (in their DM without one)."""
        record, registered = self._start_interaction(COMMAND, user_id, channel_id, command)
        data = command_data(self.state, record, registered, command.split()[1:], options or {})
        await self._send_interaction(record, data, locale)
        return record

    async def autocomplete(
        self,
        user_id: int,
        command: str,
        options: dict[str, object],
        focused: str,
        *,
        channel_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """The user is typing the `focused` option; Discord asks the bot for choices."""
        record, registered = self._start_interaction(AUTOCOMPLETE, user_id, channel_id, command)
        data = command_data(self.state, record, registered, command.split()[1:], options, focused)
        await self._send_interaction(record, data, locale)
        return record

    async def press(
        self,
        user_id: int,
        message_id: int,
        custom_id: str,
        values: list[str] | None = None,
        *,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """The user presses a button (or picks `values` in a select) on a bot's message."""
        message = self.state.find_message(message_id)
        if message is None:
            raise ValueError(f"no message {message_id}")
        record = new_record(self.state, COMPONENT, user_id, message.channel_id)
        record.message_id = message_id
        data = component_data(message, custom_id, values)
        self.messaging.interactions[record.id] = record
        payload = interaction_json(self.state, record, data, locale)
        payload["message"] = self.state.message_json(message)
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return record

    async def request_reconnect(self) -> None:
        await self.gateway.request_reconnect()

    # What tests read.

    def messages(self, channel_id: int) -> list[FakeMessage]:
        return list(self.state.channel_messages.get(channel_id, []))

    def dms(self, user_id: int) -> list[FakeMessage]:
        channel_id = self.state.dm_channels.get(user_id)
        return self.messages(channel_id) if channel_id is not None else []

    def dm_channel_id(self, user_id: int) -> int:
        return int(self.state.open_dm(user_id)["id"])

    def interaction_responses(self, interaction_id: int) -> list[FakeMessage]:
        """What the user sees in answer: the original response, then followups, as edited."""
        record = self.messaging.interactions[interaction_id]
        ids = [record.original_message_id, *record.followup_ids]
        found = [self.state.find_message(i) for i in ids if i is not None]
        return [message for message in found if message is not None]

    def commands(self, scope: str | int = "global") -> list[Json]:
        if scope == "global":
            return list(self.state.global_commands)
        return list(self.state.guild_commands.get(int(scope), []))

    @property
    def heartbeats(self) -> int:
        return self.gateway.heartbeats

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every REST call, 429s included."""
        return self.rest.requests

    async def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def answered(self, record: InteractionRecord, timeout_s: float = 5.0) -> None:
        await self.wait_until(lambda: record.callback_type is not None, timeout_s)

    # Faults.

    def close_dms(self, user_id: int) -> None:
        self.faults.close_dms(user_id)

    def deny_permission(self, channel_id: int) -> None:
        self.faults.deny_permission(channel_id)

    def delete_channel(self, channel_id: int) -> None:
        """The channel is gone: its routes answer 404 (10003), its webhooks 404 (10015)."""
        self.faults.deleted_channels.add(channel_id)

    def rate_limit_once(self, route: str = "global", retry_after_s: float = 0.1) -> None:
        """The next request to a path starting with `route` (like "/channels/42/messages"),
        or the next bot request for "global", answers 429 with this retry_after."""
        self.limits.rate_limit_once(route, retry_after_s)

    def webhook_url(self, channel_id: int) -> str:
        """A channel webhook's URL, as a user copies it from the channel's settings."""
        webhook = self.state.new_webhook(channel_id)
        return f"{self.url}/api/webhooks/{webhook.id}/{webhook.token}"

    def _notify(self) -> None:
        self._changed.set()

    def _start_interaction(
        self, kind: int, user_id: int, channel_id: int | None, command: str
    ) -> tuple[InteractionRecord, Json]:
        if channel_id is None:
            channel_id = self.dm_channel_id(user_id)
        record = new_record(self.state, kind, user_id, channel_id)
        return record, self._visible_command(record, command.split()[0])

    def _visible_command(self, record: InteractionRecord, name: str) -> Json:
        """The registered command this user can see here: guild commands in their guild,
        global ones where their contexts allow. default_member_permissions counts in a guild
        only: in the bot's DM, a global command is there whatever it asks (Discord's
        Application Commands, "Using Default Permissions": "0" prohibits "anyone in a guild";
        `contexts` is what keeps a command out of DMs)."""
        guild = self.state.guilds.get(record.guild_id or 0)
        scoped = self.state.guild_commands.get(guild.id, []) if guild else []
        rights = self.state.permissions(guild, record.user_id)
        for command in [*scoped, *self.state.global_commands]:
            if command["name"] != name or command.get("type", 1) != 1:
                continue
            contexts = command.get("contexts")
            context = 0 if guild else 1
            if contexts is not None and context not in contexts:
                continue
            if guild is None and command.get("dm_permission") is False:
                continue
            needed = command.get("default_member_permissions")
            if guild is not None and not _may_use(needed, rights):
                continue
            return command
        raise ValueError(f"user {record.user_id} sees no command /{name} here")

    async def _send_interaction(self, record: InteractionRecord, data: Json, locale: str) -> None:
        self.messaging.interactions[record.id] = record
        payload = interaction_json(self.state, record, data, locale)
        await self.gateway.dispatch("INTERACTION_CREATE", payload)


def _may_use(needed: str | None, permissions: int) -> bool:
    """Whether a member with these permissions may use a command asking `needed` in a guild:
    "0" leaves it to administrators, who may use every command (Discord's Application
    Commands, "Permissions")."""
    if needed is None or permissions & ADMINISTRATOR:
        return True
    bits = int(needed)
    return bits != 0 and bits & ~permissions == 0
