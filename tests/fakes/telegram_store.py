"""What the fake Telegram remembers: the chats and their messages, and the updates people
make (messages, button presses) until the bot fetches them with getUpdates."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from typing import Any

from tests.fakes.telegram_html import visible_text
from tests.fakes.telegram_objects import ApiError, ChatId, ChatMessage, Json

MAX_MESSAGE_CHARS = 4096
CALLBACK_DATA_MAX_BYTES = 64


class ChatStore:
    """Chats as users see them and the pending updates; `_arrived` is notified on each change
    so that tests and long polls can wait for one."""

    def __init__(self, token: str) -> None:
        self.bot_user: Json = {"id": int(token.split(":")[0]), "is_bot": True}
        self.bot_user |= {"first_name": "Blockbell", "username": "blockbell_test_bot"}
        self.chats: dict[ChatId, list[ChatMessage]] = defaultdict(list)
        self.callback_answers: dict[str, Json] = {}
        self._updates: list[Json] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[ChatId, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._callback_queries: set[str] = set()
        self._arrived = asyncio.Condition()

    def messages(self, chat_id: ChatId) -> list[ChatMessage]:
        return list(self.chats.get(chat_id, []))

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

    def _message(
        self, chat_id: ChatId, text: str, parse_mode: Any, markup: Any, sender: Json | None = None
    ) -> ChatMessage:
        visible = check_message(text, parse_mode, markup)
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


def check_message(text: str, parse_mode: Any, markup: Json | None) -> str:
    """The text the user reads of a message, or the error Telegram answers for it."""
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    visible = visible_text(text, parse_mode)
    if not visible.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    # Telegram counts UTF-16 code units: an emoji is two.
    if len(visible.encode("utf-16-le", "surrogatepass")) // 2 > MAX_MESSAGE_CHARS:
        raise ApiError(400, "Bad Request: message is too long")
    check_keyboard(markup)
    return visible


def check_keyboard(markup: Json | None) -> None:
    """What Telegram refuses in an inline keyboard: an empty button text, a button with no
    action or two, callback data outside 1 to 64 bytes."""
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text", "")).strip():
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data, url = button.get("callback_data"), button.get("url")
            if (data is None) == (url is None):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_MAX_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
