"""The Bot API's values as the parts of the fake Telegram share them: ids, errors, messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ChatId = int | str
Json = dict[str, Any]


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
