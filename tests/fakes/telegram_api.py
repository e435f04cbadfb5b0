"""A loopback Telegram Bot API: the real wire protocol, chats that tests read, injectable errors.

This module serves HTTP and answers the Bot API methods; what the fake remembers is in
telegram_store, whether a send is taken in telegram_limits, the HTML rules in telegram_html.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.telegram_html import visible_text
from tests.fakes.telegram_limits import SendRecord, SendRules
from tests.fakes.telegram_objects import ApiError, ChatId, ChatMessage, Json
from tests.fakes.telegram_store import ChatStore
from tests.support.secret_watch import WATCH, secret

__all__ = [
    "ApiError",
    "ChatId",
    "ChatMessage",
    "FakeTelegram",
    "Json",
    "SendRecord",
    "visible_text",
]

DEFAULT_TOKEN = secret("123456:TEST-token")


class FakeTelegram(ChatStore, SendRules):
    """`fake = await FakeTelegram.start(TOKEN)`; `Bot(TOKEN, base_url=f"{fake.url}/bot")`.

    Tests read chats and push updates as in ChatStore, and inject failures as in SendRules.
    """

    def __init__(self, token: str) -> None:
        ChatStore.__init__(self, token)
        SendRules.__init__(self)
        self.token = token
        self.commands: dict[str, list[Json]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._pending_poll: asyncio.Future[None] | None = None
        self.poll_conflicts = 0
        """getUpdates requests ended by a newer one, as Telegram does: two pollers."""

    @classmethod
    async def start(cls, token: str = DEFAULT_TOKEN) -> FakeTelegram:
        fake = cls(token)
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", fake._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", fake._handle_file)
        # Handlers of requests whose client gave up are cancelled, so a stalled send is lost.
        fake._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await fake._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        fake._port = sock.getsockname()[1]
        await web.SockSite(fake._runner, sock).start()
        return fake

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def add_file(self, file_id: str, content: bytes, file_path: str | None = None) -> None:
        self.files[file_id] = (file_path or f"documents/{file_id}.bin", content)

    # The wire protocol.

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer_error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        handler = self._methods().get(method.lower())
        if handler is None:
            return _answer_error(ApiError(404, "Not Found"))
        try:
            params = await _read_params(request)
            WATCH.look_at_json(params, f"a Telegram {method} call", kind="bot requests")
            return _answer(await handler(params))
        except ApiError as exc:
            return _answer_error(exc)
        except (KeyError, ValueError) as exc:
            return _answer_error(ApiError(400, f"Bad Request: invalid parameters: {exc}"))

    async def _handle_file(self, request: web.Request) -> web.Response:
        by_path = {path: content for path, content in self.files.values()}
        if request.match_info["token"] != self.token or request.match_info["path"] not in by_path:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=by_path[request.match_info["path"]])

    def _methods(self) -> dict[str, Callable[[Json], Any]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletewebhook": self._delete_webhook,
            "getfile": self._get_file,
        }

    async def _get_me(self, params: Json) -> Json:
        return self.bot_user | {"can_join_groups": True, "supports_inline_queries": False}

    async def _get_updates(self, params: Json) -> list[Json]:
        # One long poll per bot: a newer getUpdates ends the pending one with 409 Conflict.
        if self._pending_poll is not None and not self._pending_poll.done():
            self._pending_poll.set_result(None)
        superseded = self._pending_poll = asyncio.get_running_loop().create_future()
        offset = int(params.get("offset", 0))
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout_s = float(params.get("timeout", 0))
        arrived = asyncio.ensure_future(self._updates_arrive())
        try:
            await asyncio.wait(
                (arrived, superseded), timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            arrived.cancel()
        if superseded.done():
            self.poll_conflicts += 1
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        superseded.cancel()
        return self._updates[: int(params.get("limit", 100))]

    async def _updates_arrive(self) -> None:
        async with self._arrived:
            await self._arrived.wait_for(lambda: bool(self._updates))

    async def _send_message(self, params: Json) -> Json:
        chat_id, text = params["chat_id"], str(params.get("text", ""))
        await self._admit_send(chat_id)
        message = self._message(chat_id, text, params.get("parse_mode"), params.get("reply_markup"))
        self.chats[chat_id].append(message)
        async with self._arrived:
            self._arrived.notify_all()
        return self._message_json(message)

    async def _edit_message_text(self, params: Json) -> Json:
        chat_id, message_id = params["chat_id"], int(params["message_id"])
        await self._admit_send(chat_id)
        stored = [m for m in self.chats.get(chat_id, []) if m.message_id == message_id]
        if not stored:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        edited = self._message(chat_id, params["text"], params.get("parse_mode"), markup)
        if (edited.html, edited.text, markup) == (
            stored[0].html,
            stored[0].text,
            stored[0].reply_markup,
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current content "
                "and reply markup of the message",
            )
        stored[0].text, stored[0].html, stored[0].reply_markup = edited.text, edited.html, markup
        stored[0].edited = True
        return self._message_json(stored[0]) | {"edit_date": int(time.time())}

    async def _answer_callback_query(self, params: Json) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id not in self._callback_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.callback_answers[query_id] = params
        return True

    async def _set_my_commands(self, params: Json) -> bool:
        self.commands[str(params.get("language_code", ""))] = list(params["commands"])
        return True

    async def _get_my_commands(self, params: Json) -> list[Json]:
        return self.commands.get(str(params.get("language_code", "")), [])

    async def _delete_webhook(self, params: Json) -> bool:
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        return True

    async def _get_file(self, params: Json) -> Json:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-8:],
            "file_size": len(content),
            "file_path": path,
        }


def _parse_value(name: str, value: Any) -> Any:
    """Form bodies carry JSON-encoded values; chat ids and numbers arrive as strings."""
    if not isinstance(value, str):
        return value
    if name in ("reply_markup", "commands", "scope", "allowed_updates"):
        return orjson.loads(value)
    if name in ("chat_id", "message_id", "offset", "limit", "timeout", "cache_time"):
        return int(value) if value.lstrip("-").isdigit() else value
    return value


async def _read_params(request: web.Request) -> Json:
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw |= orjson.loads(await request.read() or b"{}")
    elif request.can_read_body:
        raw |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    return {name: _parse_value(name, value) for name, value in raw.items()}


def _answer(result: Any) -> web.Response:
    return web.Response(
        body=orjson.dumps({"ok": True, "result": result}), content_type="application/json"
    )


def _answer_error(exc: ApiError) -> web.Response:
    body: Json = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.Response(status=exc.code, body=orjson.dumps(body), content_type="application/json")
