"""Who wrote an update, as the core's Caller: user, chat, chat kind, language, admin rights."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot, Chat, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.core.caller import Caller, ChatKind

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
# Long enough to spare a getChatMember per tap in a busy group, short enough that a demoted
# admin loses their rights within a minute.
ADMIN_CACHE_S = 60.0


@dataclass
class AdminCache:
    """Recent answers to "is this user an admin of this chat?", each kept for `ttl_s`."""

    ttl_s: float = ADMIN_CACHE_S
    clock: Callable[[], float] = time.monotonic
    _answers: dict[tuple[int, int], tuple[float, bool]] = field(default_factory=dict)

    def get(self, chat_id: int, user_id: int) -> bool | None:
        answer = self._answers.get((chat_id, user_id))
        if answer is None or answer[0] <= self.clock():
            return None
        return answer[1]

    def put(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        self._answers[(chat_id, user_id)] = (self.clock() + self.ttl_s, is_admin)


def chat_kind_of(chat_type: str) -> ChatKind:
    """Telegram's chat types onto the core's: a supergroup is a group."""
    if chat_type == Chat.PRIVATE:
        return "private"
    if chat_type == Chat.CHANNEL:
        return "channel"
    return "group"


def posts_as_chat(message: Message | None) -> int | None:
    """The chat a message was sent on behalf of (an anonymous admin posts as the group
    itself, a linked channel as the channel), else None."""
    if message is None or message.sender_chat is None:
        return None
    return message.sender_chat.id


async def caller_of(update: Update, bot: Bot, admins: AdminCache) -> Caller | None:
    """The Caller of a message or callback query; None for updates nobody wrote in a chat."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    kind = chat_kind_of(chat.type)
    # Taps always carry the real user; only messages can be sent on behalf of a chat.
    on_behalf = posts_as_chat(update.message) if update.callback_query is None else None
    if on_behalf is not None:
        # Only the group's admins can write as the group itself (Telegram's anonymous admins);
        # they all share one user id, so the group stands in for the person.
        is_admin = on_behalf == chat.id
        return Caller(PLATFORM, str(on_behalf), str(chat.id), kind, is_admin, None)
    is_admin = kind == "private" or await fetch_is_admin(bot, chat.id, user.id, admins)
    return Caller(PLATFORM, str(user.id), str(chat.id), kind, is_admin, user.language_code)


async def fetch_is_admin(bot: Bot, chat_id: int, user_id: int, admins: AdminCache) -> bool:
    """Whether the user is the chat's creator or an administrator (asked at most once a
    minute); a failed lookup counts as "no" and is not remembered."""
    known = admins.get(chat_id, user_id)
    if known is not None:
        return known
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        logger.warning("chat admin lookup failed: %s", type(exc).__name__, extra={"chat": chat_id})
        return False
    is_admin = member.status in ADMIN_STATUSES
    admins.put(chat_id, user_id, is_admin)
    return is_admin
