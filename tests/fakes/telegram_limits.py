"""Whether the fake Telegram takes a send: injected failures, then Telegram's broadcast limits.

Every send, taken or refused, is recorded with its status, so tests can see the pacing.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from tests.fakes.telegram_objects import ApiError, ChatId

# Telegram's broadcast limits, from its Bots FAQ ("My bot is hitting limits").
OVERALL_PER_S = 30
PRIVATE_INTERVAL_S = 1.0
GROUP_PER_MINUTE = 20


@dataclass
class SendRecord:
    """One send request as it arrived, with the HTTP status it got."""

    at: float
    chat_id: ChatId
    status: int


class SendRules:
    """Blocked and migrated chats, injected 429s and stalls, and (when `enforce_limits` is
    set) Telegram's limits; FakeTelegram asks `_admit_send` before every send."""

    def __init__(self) -> None:
        self.sends: list[SendRecord] = []
        self.blocked: set[ChatId] = set()
        self.migrated: dict[ChatId, int] = {}
        self.enforce_limits = False
        self.rate_limited = 0
        self._retry_after_once: deque[int] = deque()
        self._stall_once: deque[float] = deque()
        self._recent: dict[ChatId, deque[float]] = defaultdict(deque)

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


def _forget_before(times: deque[float], cutoff: float) -> None:
    while times and times[0] <= cutoff:
        times.popleft()
