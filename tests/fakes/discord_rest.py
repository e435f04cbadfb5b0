"""The fake Discord's REST API (v10): routing, authorization, rate-limit headers and errors,
plus the routes about the bot itself (users, gateway, application, commands).

Message routes live in discord_messaging. Every answer is `Content-Type: application/json`
exactly, which discord.py checks before it parses a body.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.discord_limits import ApiError, Json, check_commands
from tests.fakes.discord_messaging import Call, Messaging
from tests.fakes.discord_rules import RateLimited, RateLimits
from tests.fakes.discord_state import DiscordState, user_json
from tests.support.secret_watch import WATCH

Handler = Callable[[Call], Awaitable[Any]]
JSON_HEADERS = {"Content-Type": "application/json"}
_API_PREFIX = re.compile(r"^/api(/v\d+)?")
_ID = r"(?P<{}>[^/]+)"


class RestApi:
    """Matches a request to its route, applies auth and rate limits, and answers as Discord."""

    def __init__(
        self, state: DiscordState, token: str, limits: RateLimits, messaging: Messaging
    ) -> None:
        self.state, self.token, self.limits, self.messaging = state, token, limits, messaging
        self.gateway_url = ""
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status) of every call
        self._routes = self._route_table()

    async def handle(self, request: web.Request) -> web.Response:
        path = _API_PREFIX.sub("", request.path)
        headers: dict[str, str] = {}
        try:
            handler, params, bucket, bot = self._match(request.method, path)
            if bot and request.headers.get("Authorization") != f"Bot {self.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            body = await _read_body(request)
            WATCH.look_at_json(body, f"a Discord {request.method} {path}", kind="bot requests")
            # A webhook's routes are limited per webhook and token (Discord's major parameter).
            webhook = params.get("webhook_id", "") + params.get("token", "")
            major = params.get("channel_id") or webhook
            headers = self.limits.admit(path, (bucket, major) if bucket else None, bot=bot)
            call = Call(request.method, params, dict(request.query), body)
            result = await handler(call)
        except RateLimited as limited:
            return self._answer(request, path, 429, limited.body(), limited.headers)
        except ApiError as error:
            return self._answer(request, path, error.status, error.body(), headers)
        if result is None:
            self.requests.append((request.method, path, 204))
            return web.Response(status=204, headers=headers)
        return self._answer(request, path, 200, result, headers)

    def _answer(
        self, request: web.Request, path: str, status: int, body: Any, headers: dict[str, str]
    ) -> web.Response:
        self.requests.append((request.method, path, status))
        return web.Response(status=status, body=orjson.dumps(body), headers=headers | JSON_HEADERS)

    def _match(self, method: str, path: str) -> tuple[Handler, dict[str, str], str | None, bool]:
        allowed = False
        for route_method, pattern, handler, bucket, bot in self._routes:
            found = pattern.fullmatch(path)
            if found and route_method == method:
                return handler, found.groupdict(), bucket, bot
            allowed = allowed or found is not None
        if allowed:
            raise ApiError(405, 0, "405: Method Not Allowed")
        raise ApiError(404, 0, "404: Not Found")

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler, str | None, bool]]:
        m = self.messaging
        channel = "/channels/" + _ID.format("channel_id")
        message = channel + "/messages/" + _ID.format("message_id")
        commands = (
            "/applications/"
            + _ID.format("app_id")
            + "(/guilds/"
            + _ID.format("guild_id")
            + ")?/commands"
        )
        webhook = "/webhooks/" + _ID.format("webhook_id") + "/" + _ID.format("token")
        webhook_message = webhook + "/messages/" + _ID.format("message_id")
        interaction = "/interactions/" + _ID.format("interaction_id") + "/" + _ID.format("token")
        table: list[tuple[str, str, Handler, str | None, bool]] = [
            ("GET", "/users/@me", self.fetch_me, "other", True),
            ("GET", "/users/" + _ID.format("user_id"), self.fetch_user, "other", True),
            ("POST", "/users/@me/channels", self.open_dm, "other", True),
            ("GET", "/gateway", self.fetch_gateway, None, False),
            ("GET", "/gateway/bot", self.fetch_gateway_bot, "other", True),
            ("GET", "/oauth2/applications/@me", self.fetch_application, "other", True),
            ("GET", "/applications/@me", self.fetch_application, "other", True),
            ("GET", commands, self.fetch_commands, "commands", True),
            ("PUT", commands, self.overwrite_commands, "commands", True),
            ("POST", commands, self.upsert_command, "commands", True),
            ("GET", channel, m.fetch_channel, "other", True),
            ("GET", channel + "/messages", m.fetch_channel_messages, "other", True),
            ("POST", channel + "/messages", m.create_channel_message, "channel_messages", True),
            ("GET", message, m.fetch_channel_message, "other", True),
            ("PATCH", message, m.edit_channel_message, "channel_messages", True),
            ("POST", channel + "/typing", self.typing, "other", True),
            ("POST", interaction + "/callback", m.answer_interaction, None, False),
            ("POST", webhook, m.execute_webhook, "channel_webhook", False),
            ("GET", webhook_message, m.webhook_message, "channel_webhook", False),
            ("PATCH", webhook_message, m.webhook_message, "channel_webhook", False),
            ("DELETE", webhook_message, m.webhook_message, "channel_webhook", False),
        ]
        return [(meth, re.compile(p), h, b, bot) for meth, p, h, b, bot in table]

    async def fetch_me(self, call: Call) -> Json:
        return self.state.bot_user | {"verified": True, "mfa_enabled": False, "locale": "en-US"}

    async def fetch_user(self, call: Call) -> Json:
        return self.state.user(call.id("user_id"))

    async def open_dm(self, call: Call) -> Json:
        return self.state.open_dm(int(call.body["recipient_id"]))

    async def fetch_gateway(self, call: Call) -> Json:
        return {"url": self.gateway_url}

    async def fetch_gateway_bot(self, call: Call) -> Json:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    async def fetch_application(self, call: Call) -> Json:
        return {
            "id": str(self.state.application_id),
            "name": self.state.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": user_json(1, "owner"),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": self.state.bot_user,
            "interactions_endpoint_url": None,
            "integration_types_config": {"0": {}, "1": {}},
        }

    async def typing(self, call: Call) -> None:
        self.messaging.faults.check_channel(call.id("channel_id"), True)

    async def fetch_commands(self, call: Call) -> list[Json]:
        return self._scope(call)[:]

    async def overwrite_commands(self, call: Call) -> list[Json]:
        """Bulk overwrite: a command keeps its id when its name and type stay the same."""
        check_commands(list(call.body))
        old = {(c["type"], c["name"]): c["id"] for c in self._scope(call)}
        fresh = [self._command_json(call, body, old) for body in call.body]
        self._scope(call)[:] = fresh
        self.messaging._notify()
        return fresh

    async def upsert_command(self, call: Call) -> Json:
        check_commands([call.body])
        scope = self._scope(call)
        old = {(c["type"], c["name"]): c["id"] for c in scope}
        command = self._command_json(call, call.body, old)
        scope[:] = [c for c in scope if c["id"] != command["id"]] + [command]
        return command

    def _scope(self, call: Call) -> list[Json]:
        if call.id("app_id") != self.state.application_id:
            raise ApiError(
                403, 20012, "You are not authorized to perform this action on this application"
            )
        if call.params.get("guild_id") is None:
            return self.state.global_commands
        guild_id = call.id("guild_id")
        if guild_id not in self.state.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return self.state.guild_commands.setdefault(guild_id, [])

    def _command_json(self, call: Call, body: Json, old: dict[tuple[int, str], str]) -> Json:
        kind = int(body.get("type", 1))
        command_id = old.get((kind, body["name"])) or str(self.state.new_id())
        command: Json = {
            "name_localizations": None,
            "description_localizations": None,
            "default_member_permissions": None,
            "dm_permission": True,
            "contexts": None,
            "integration_types": [0],
            "nsfw": False,
            "options": [],
        }
        command |= body | {
            "id": command_id,
            "application_id": str(self.state.application_id),
            "version": str(self.state.new_id()),
            "type": kind,
        }
        if command["default_member_permissions"] is not None:  # a string on the wire
            command["default_member_permissions"] = str(command["default_member_permissions"])
        if call.params.get("guild_id"):
            command["guild_id"] = call.params["guild_id"]
        return command


async def _read_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return {}
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        return orjson.loads(str(form.get("payload_json") or "{}"))
    raw = await request.read()
    try:
        return orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from exc
