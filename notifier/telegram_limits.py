"""Telegram's sending limits: overall, per chat, and the pause Telegram asks for with a 429."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from aiolimiter import AsyncLimiter

# The limits of Telegram's Bots FAQ ("My bot is hitting limits, how do I avoid this?").
OVERALL_PER_S = 30.0
PRIVATE_CHAT_INTERVAL_S = 1.0
GROUP_PER_MINUTE = 20.0
# Requests reach Telegram with some jitter, so sends are spaced 10% wider than the limits: a few
# late requests then cannot make the arrivals of one second exceed them.
SAFETY_FACTOR = 1.1
# Chats not written to for a while lose their limiter; by then it has fully drained anyway.
MAX_CHAT_LIMITERS = 10_000


def is_group_chat(chat_id: str) -> bool:
    """Groups, supergroups and channels have negative ids (or a public @name); users positive."""
    return not chat_id.lstrip("-").isdecimal() or chat_id.startswith("-")


class TelegramLimits:
    """Queues sends so that none exceeds a limit: waiting callers are delayed, never refused.

    Every limiter holds one send at a time and refills at the limit's rate, so sends are evenly
    spaced; a bucket that allowed bursts would let two bursts fall within one window.
    """

    def __init__(
        self,
        *,
        overall_per_s: float = OVERALL_PER_S,
        private_chat_interval_s: float = PRIVATE_CHAT_INTERVAL_S,
        group_per_minute: float = GROUP_PER_MINUTE,
        safety_factor: float = SAFETY_FACTOR,
    ) -> None:
        self._overall = AsyncLimiter(1, safety_factor / overall_per_s)
        self._private_interval_s = private_chat_interval_s * safety_factor
        self._group_interval_s = 60.0 / group_per_minute * safety_factor
        self._chats: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Stop every send for `seconds` (Telegram answered 429 with this retry_after)."""
        now = asyncio.get_running_loop().time()
        self._paused_until = max(self._paused_until, now + seconds)

    def paused_for_s(self) -> float:
        """How long sends are still paused; 0 when they are not."""
        return max(0.0, self._paused_until - asyncio.get_running_loop().time())

    async def acquire(self, chat_id: str) -> None:
        """Wait until one message to `chat_id` may be sent now."""
        await self._wait_out_pause()
        await self._chat_limiter(chat_id).acquire()
        while True:
            await self._wait_out_pause()
            await self._overall.acquire()
            # A 429 may have come back while this send waited for its turn.
            if self.paused_for_s() == 0.0:
                return

    async def _wait_out_pause(self) -> None:
        while (remaining := self.paused_for_s()) > 0:
            await asyncio.sleep(remaining)

    def _chat_limiter(self, chat_id: str) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            interval_s = (
                self._group_interval_s if is_group_chat(chat_id) else self._private_interval_s
            )
            limiter = self._chats[chat_id] = AsyncLimiter(1, interval_s)
            if len(self._chats) > MAX_CHAT_LIMITERS:
                self._chats.popitem(last=False)
        self._chats.move_to_end(chat_id)
        return limiter
