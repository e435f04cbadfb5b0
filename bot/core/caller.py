"""Who is asking, and in which chat: the one thing every use case starts from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChatKind = Literal["private", "group", "channel"]


@dataclass(frozen=True, slots=True)
class Caller:
    """A person writing in a chat. In a group, what is made belongs to the chat: every member
    may look at it, only the chat's admins (`is_chat_admin`) may change it."""

    platform: str
    user_external_id: str
    chat_external_id: str
    chat_kind: ChatKind
    is_chat_admin: bool
    language_code: str | None

    @property
    def person(self) -> str:
        """Who is asking, across chats: `platform:user id`."""
        return f"{self.platform}:{self.user_external_id}"

    @property
    def may_change(self) -> bool:
        return self.chat_kind == "private" or self.is_chat_admin
