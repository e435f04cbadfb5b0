"""A loopback Telegram Bot API: the real wire protocol, chats that tests read, injectable errors."""

from __future__ import annotations

import asyncio
import itertools
import math
import socket
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import orjson
from aiohttp import web

ChatId = int | str
Json = dict[str, Any]

MAX_MESSAGE_CHARS = 4096
# Telegram's broadcast limits, from its Bots FAQ ("My bot is hitting limits").
OVERALL_PER_S = 30
PRIVATE_INTERVAL_S = 1.0
GROUP_PER_MINUTE = 20
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
    | {"span", "tg-spoiler", "tg-emoji", "blockquote"}
)


class ApiError(Exception):
    """An answer of the form {"ok": false, ...}, raised by a method handler."""

    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class ChatMessage:
    """A message as it stands in a chat (edits applied); `text` is what the user reads."""

    message_id: int
    chat_id: ChatId
    text: str
    html: str | None
    reply_markup: Json | None
    date: int
    edited: bool = False
    sender: Json | None = None

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback data or URL) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data") or b.get("url", "")) for r in rows for b in r]


@dataclass
class SendRecord:
    """One send request as it arrived, with the HTTP status it got."""

    at: float
    chat_id: ChatId
    status: int


class _VisibleText(HTMLParser):
    """Checks Telegram's HTML subset and collects the text the user will see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"')

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(text: str, parse_mode: str | None) -> str:
    if (parse_mode or "").upper() != "HTML":
        return text
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise ApiError(400, "Bad Request: can't parse entities: Can't find end tag")
    return "".join(parser.parts)


def _parse_value(name: str, value: Any) -> Any:
    """Form bodies carry JSON-encoded values; chat ids and numbers arrive as strings."""
    if not isinstance(value, str):
        return value
    if name in ("reply_markup", "commands", "scope", "allowed_updates"):
        return orjson.loads(value)
    if name in ("chat_id", "message_id", "offset", "limit", "timeout", "cache_time"):
        return int(value) if value.lstrip("-").isdigit() else value
    return value


class FakeTelegram:
    """`fake = await FakeTelegram.start(TOKEN)`; `Bot(TOKEN, base_url=f"{fake.url}/bot")`."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.bot_user: Json = {"id": int(token.split(":")[0]), "is_bot": True}
        self.bot_user |= {"first_name": "Blockbell", "username": "blockbell_test_bot"}
        self.chats: dict[ChatId, list[ChatMessage]] = defaultdict(list)
        self.sends: list[SendRecord] = []
        self.commands: dict[str, list[Json]] = {}
        self.callback_answers: dict[str, Json] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.blocked: set[ChatId] = set()
        self.migrated: dict[ChatId, int] = {}
        self.enforce_limits = False
        self.rate_limited = 0
        self._retry_after_once: deque[int] = deque()
        self._stall_once: deque[float] = deque()
        self._updates: list[Json] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[ChatId, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._callback_queries: set[str] = set()
        self._arrived = asyncio.Condition()
        self._recent: dict[ChatId, deque[float]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self._port = 0

    @classmethod
    async def start(cls, token: str = "123456:TEST-token") -> FakeTelegram:
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

    # Test controls.

    def messages(self, chat_id: ChatId) -> list[ChatMessage]:
        return list(self.chats.get(chat_id, []))

    def block(self, chat_id: ChatId) -> None:
        """The user blocked the bot: sends to this chat answer 403."""
        self.blocked.add(chat_id)

    def migrate(self, chat_id: ChatId, new_chat_id: int) -> None:
        """The group became a supergroup: sends to the old id answer 400 with the new id."""
        self.migrated[chat_id] = new_chat_id

    def retry_after_once(self, seconds: int) -> None:
        """The next send answers 429 with this retry_after."""
        self._retry_after_once.append(seconds)

    def stall_once(self, seconds: float) -> None:
        """The next send is answered only after this long (and lost if the client gives up)."""
        self._stall_once.append(seconds)

    def add_file(self, file_id: str, content: bytes, file_path: str | None = None) -> None:
        self.files[file_id] = (file_path or f"documents/{file_id}.bin", content)

    async def push_message(
        self, chat_id: int, text: str, *, user_id: int | None = None, language_code: str = "en"
    ) -> Json:
        """A user writes `text` in the chat; getUpdates hands it to the bot."""
        sender = _user(user_id or chat_id, language_code)
        message = self._message(chat_id, text, None, None, sender=sender)
        return await self._add_update({"message": self._message_json(message)})

    async def push_callback(
        self,
        chat_id: ChatId,
        message_id: int,
        data: str,
        *,
        user_id: int,
        language_code: str = "en",
    ) -> str:
        """A user presses an inline button with callback `data`; returns the query id."""
        query_id = str(next(self._callback_ids))
        self._callback_queries.add(query_id)
        stored = next(m for m in self.chats[chat_id] if m.message_id == message_id)
        query = {"id": query_id, "from": _user(user_id, language_code), "data": data}
        query |= {"chat_instance": str(chat_id), "message": self._message_json(stored)}
        await self._add_update({"callback_query": query})
        return query_id

    async def wait_for_messages(self, chat_id: ChatId, count: int, timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s), self._arrived:
            await self._arrived.wait_for(lambda: len(self.chats.get(chat_id, [])) >= count)

    # The wire protocol.

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer_error(ApiError(401, "Unauthorized"))
        handler = self._methods().get(request.match_info["method"].lower())
        if handler is None:
            return _answer_error(ApiError(404, "Not Found"))
        try:
            params = await _read_params(request)
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
        offset = int(params.get("offset", 0))
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout_s = float(params.get("timeout", 0))
        try:
            async with asyncio.timeout(timeout_s), self._arrived:
                await self._arrived.wait_for(lambda: bool(self._updates))
        except TimeoutError:
            pass
        return self._updates[: int(params.get("limit", 100))]

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
        edited = self._message(chat_id, params["text"], params.get("parse_mode"), None)
        markup = params.get("reply_markup")
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

    # Sending rules.

    async def _admit_send(self, chat_id: ChatId) -> None:
        """Apply injected failures and (when enforced) Telegram's limits, in Telegram's order."""
        try:
            self._check_send(chat_id)
        except ApiError as exc:
            self.sends.append(SendRecord(time.monotonic(), chat_id, exc.code))
            raise
        if self._stall_once:
            await asyncio.sleep(self._stall_once.popleft())
        self.sends.append(SendRecord(time.monotonic(), chat_id, 200))

    def _check_send(self, chat_id: ChatId) -> None:
        if self._retry_after_once:
            self._too_many_requests(self._retry_after_once.popleft())
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        if self.enforce_limits:
            self._enforce_limits(chat_id, time.monotonic())

    def _enforce_limits(self, chat_id: ChatId, now: float) -> None:
        overall, recent = self._recent["*"], self._recent[chat_id]
        _forget_before(overall, now - 1.0)
        _forget_before(recent, now - 60.0)
        if len(overall) >= OVERALL_PER_S:
            self._too_many_requests(math.ceil(overall[0] + 1.0 - now))
        is_group = isinstance(chat_id, str) or chat_id < 0
        if is_group and len(recent) >= GROUP_PER_MINUTE:
            self._too_many_requests(math.ceil(recent[0] + 60.0 - now))
        if not is_group and recent and now - recent[-1] < PRIVATE_INTERVAL_S:
            self._too_many_requests(1)
        overall.append(now)
        recent.append(now)

    def _too_many_requests(self, seconds: int) -> None:
        self.rate_limited += 1
        raise ApiError(
            429,
            f"Too Many Requests: retry after {max(seconds, 1)}",
            {"retry_after": max(seconds, 1)},
        )

    # Telegram objects.

    def _message(
        self, chat_id: ChatId, text: str, parse_mode: Any, markup: Any, sender: Json | None = None
    ) -> ChatMessage:
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        visible = visible_text(text, parse_mode)
        if len(visible) > MAX_MESSAGE_CHARS:
            raise ApiError(400, "Bad Request: message is too long")
        ids = self._message_ids.setdefault(chat_id, itertools.count(1))
        html = text if (parse_mode or "").upper() == "HTML" else None
        return ChatMessage(
            next(ids), chat_id, visible, html, markup, int(time.time()), False, sender
        )

    def _message_json(self, message: ChatMessage) -> Json:
        chat = _chat(message.chat_id)
        body = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": chat,
            "text": message.text,
            "from": message.sender or self.bot_user,
        }
        return body | ({"reply_markup": message.reply_markup} if message.reply_markup else {})

    async def _add_update(self, payload: Json) -> Json:
        update = {"update_id": next(self._update_ids), **payload}
        async with self._arrived:
            self._updates.append(update)
            self._arrived.notify_all()
        return update


def _forget_before(times: deque[float], cutoff: float) -> None:
    while times and times[0] <= cutoff:
        times.popleft()


def _user(user_id: int, language_code: str) -> Json:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"User {user_id}",
        "language_code": language_code,
    }


def _chat(chat_id: ChatId) -> Json:
    if isinstance(chat_id, int) and chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
    kind = "supergroup" if str(chat_id).startswith(("-100", "@")) else "group"
    return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}


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
