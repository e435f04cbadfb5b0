"""The fake Telegram Bot API as people use it: writing commands, files and anonymous-admin
messages, tapping buttons, chat admins (getChatMember), and waiting on the bot's answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from tests.fakes.telegram_api import ChatId, ChatMessage, FakeTelegram, Json

# Telegram's user that stands for every anonymous group admin (GroupAnonymousBot).
ANONYMOUS_ADMIN_ID = 1087968824


class ChatTelegram(FakeTelegram):
    """`fake = await ChatTelegram.open(TOKEN)`; chats and buttons as in FakeTelegram."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.admins: dict[ChatId, set[int]] = {}
        self.calls: list[str] = []

    @classmethod
    async def open(cls, token: str) -> ChatTelegram:
        return cast(ChatTelegram, await cls.start(token))

    async def write(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        language_code: str = "en",
        document: Json | None = None,
        as_chat: bool = False,
    ) -> None:
        """A person writes `text` (or sends `document`); `as_chat` writes as the group itself,
        the way Telegram delivers a message of an anonymous admin."""
        sender = _person(ANONYMOUS_ADMIN_ID if as_chat else (user_id or chat_id), language_code)
        message = self._message(chat_id, text or "-", None, None, sender=sender)
        body = self._message_json(message)
        if text is None:
            del body["text"]
        elif text.startswith("/"):
            command = text.split()[0]
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if document is not None:
            body["document"] = document
        if as_chat:
            body["sender_chat"] = body["chat"]
        await self._add_update({"message": body})

    def document(self, name: str, content: bytes, size: int | None = None) -> Json:
        """A document message's file, downloadable unless it was announced larger than it is."""
        file_id = f"file-{len(self.files) + 1}"
        if size is None:
            self.add_file(file_id, content, f"documents/{name}")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "mime_type": "application/json",
            "file_size": len(content) if size is None else size,
        }

    async def wait_until(self, condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s), self._arrived:
            await self._arrived.wait_for(condition)

    def last(self, chat_id: ChatId) -> ChatMessage:
        return self.chats[chat_id][-1]

    def _methods(self) -> dict[str, Callable[[Json], Any]]:
        return super()._methods() | {"getchatmember": self._get_chat_member}

    async def _handle_method(self, request: web.Request) -> web.Response:
        # Waiters hear of a call when it arrives, not only when it is answered: a long poll
        # (getUpdates) is answered only when updates come or its timeout ends.
        async with self._arrived:
            self.calls.append(request.match_info["method"])
            self._arrived.notify_all()
        response = await super()._handle_method(request)
        async with self._arrived:
            self._arrived.notify_all()
        return response

    async def _get_chat_member(self, params: Json) -> Json:
        chat_id, user_id = params["chat_id"], int(params["user_id"])
        user = _person(user_id, "en")
        if user_id not in self.admins.get(chat_id, set()):
            return {"status": "member", "user": user}
        rights = [
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        ]
        member: Json = {"status": "administrator", "user": user, "can_be_edited": False}
        return member | {"is_anonymous": False} | dict.fromkeys(rights, True)


def _person(user_id: int, language_code: str) -> Json:
    if user_id == ANONYMOUS_ADMIN_ID:
        return {
            "id": user_id,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        }
    person: Json = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
    return person | {"language_code": language_code}


@dataclass
class Person:
    """Someone chatting with the bot: writes, taps buttons, reads the bot's messages."""

    telegram: ChatTelegram
    chat_id: int
    user_id: int
    language: str = "en"

    async def say(self, text: str, *, as_chat: bool = False) -> ChatMessage:
        """Write (as the group itself with `as_chat`) and wait for the bot's answer."""
        count = len(self.telegram.messages(self.chat_id))
        await self.telegram.write(
            self.chat_id, text, user_id=self.user_id, language_code=self.language, as_chat=as_chat
        )
        await self.telegram.wait_for_messages(self.chat_id, count + 1)
        return self.telegram.last(self.chat_id)

    async def send_file(self, document: dict[str, object]) -> ChatMessage:
        count = len(self.telegram.messages(self.chat_id))
        await self.telegram.write(
            self.chat_id, None, user_id=self.user_id, language_code=self.language, document=document
        )
        await self.telegram.wait_for_messages(self.chat_id, count + 1)
        return self.telegram.last(self.chat_id)

    async def tap(self, label: str, on: ChatMessage | None = None) -> ChatMessage:
        """Press the button labelled `label` (exactly, else the first containing it)."""
        message = on or self.telegram.last(self.chat_id)
        buttons = message.buttons()
        data = next((d for text, d in buttons if text == label), None)
        data = data or next((d for text, d in buttons if label in text), None)
        assert data is not None, f"no button {label!r} among {buttons}"
        return await self.press(data, message)

    async def press(self, data: str, message: ChatMessage | None = None) -> ChatMessage:
        """Send callback `data` from `message`'s button (offered or forged) and wait for the
        answer; returns the chat's latest message (the edited one or a new one)."""
        message = message or self.telegram.last(self.chat_id)
        query_id = await self.telegram.push_callback(
            self.chat_id,
            message.message_id,
            data,
            user_id=self.user_id,
            language_code=self.language,
        )
        await self.telegram.wait_until(lambda: query_id in self.telegram.callback_answers)
        return self.telegram.last(self.chat_id)
