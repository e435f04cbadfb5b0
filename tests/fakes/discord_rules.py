"""Whether the fake Discord takes a request: rate-limit buckets and injected faults.

Buckets follow Discord's "Rate Limits" topic: every answer carries X-RateLimit-* headers for its
route's bucket, a bot may make 50 requests a second overall, a channel webhook takes about 5
messages per 2 s, and going over answers 429 with `retry_after` (discord.py only believes a 429
that carries a `Via` header, as Discord's do). Faults are what a deployed bot meets: closed DMs
(50007), missing permissions (50013), deleted channels (10003).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass

from tests.fakes.discord_limits import ApiError, Json

GLOBAL_PER_S = 50


class RateLimited(ApiError):
    """A 429 with the body and headers discord.py reads to wait and retry."""

    def __init__(self, retry_after_s: float, *, is_global: bool, headers: dict[str, str]) -> None:
        super().__init__(429, 0, "You are being rate limited.")
        self.retry_after_s, self.is_global = retry_after_s, is_global
        self.headers = headers | {
            "Retry-After": str(math.ceil(retry_after_s)),
            "X-RateLimit-Scope": "global" if is_global else "user",
            "Via": "1.1 google",
        }
        if is_global:
            self.headers["X-RateLimit-Global"] = "true"

    def body(self) -> Json:
        return {
            "message": self.message,
            "retry_after": self.retry_after_s,
            "global": self.is_global,
        }


@dataclass
class Bucket:
    """One route bucket for one major parameter (channel, webhook): a fixed window."""

    name: str
    limit: int
    window_s: float
    remaining: int = 0
    reset_at: float = 0.0

    def take(self, now: float) -> bool:
        if now >= self.reset_at:
            self.remaining, self.reset_at = self.limit, now + self.window_s
        if self.remaining == 0:
            return False
        self.remaining -= 1
        return True

    def headers(self, now: float) -> dict[str, str]:
        reset_after = max(self.reset_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(self.name.encode()).hexdigest()[:16],
        }


class RateLimits:
    """Buckets by (route, major parameter), the global limit, and injected 429s.

    `limits` maps a bucket name to (requests, window in seconds); tests may shrink windows.
    """

    def __init__(self) -> None:
        self.limits: dict[str, tuple[int, float]] = {
            "channel_messages": (5, 5.0),
            "channel_webhook": (5, 2.0),
            "commands": (50, 1.0),
            "other": (50, 1.0),
        }
        self.global_per_s = GLOBAL_PER_S
        self.refused: list[tuple[str, bool]] = []  # (path, global) of every 429 given
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._recent: deque[float] = deque()
        self._injected: list[tuple[str, float]] = []

    def rate_limit_once(self, route: str = "global", retry_after_s: float = 0.1) -> None:
        """The next request whose path starts with `route` (or any bot request, for
        "global") answers 429 with this retry_after."""
        self._injected.append((route, retry_after_s))

    def admit(self, path: str, bucket: tuple[str, str] | None, *, bot: bool) -> dict[str, str]:
        """Headers for an admitted request; raises RateLimited when it must wait."""
        self._take_injected(path, bot=bot)
        now = time.monotonic()
        if bot:
            self._admit_global(path, now)
        if bucket is None:
            return {}
        name, major = bucket
        limit, window_s = self.limits[name]
        state = self._buckets.setdefault((name, major), Bucket(name, limit, window_s))
        if not state.take(now):
            self.refused.append((path, False))
            headers = state.headers(now)
            raise RateLimited(
                float(headers["X-RateLimit-Reset-After"]), is_global=False, headers=headers
            )
        return state.headers(now)

    def _take_injected(self, path: str, *, bot: bool) -> None:
        for index, (route, retry_after_s) in enumerate(self._injected):
            is_global = route == "global"
            if (is_global and bot) or (not is_global and path.startswith(route)):
                del self._injected[index]
                self.refused.append((path, is_global))
                raise RateLimited(retry_after_s, is_global=is_global, headers={})

    def _admit_global(self, path: str, now: float) -> None:
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.global_per_s:
            self.refused.append((path, True))
            raise RateLimited(1.0 - (now - self._recent[0]), is_global=True, headers={})
        self._recent.append(now)


class Faults:
    """Closed DMs, channels the bot may not post in, and deleted channels."""

    def __init__(self) -> None:
        self.closed_dm_users: set[int] = set()
        self.denied_channels: set[int] = set()
        self.deleted_channels: set[int] = set()

    def close_dms(self, user_id: int) -> None:
        """The user allows no DMs from this bot: sends to their DM channel answer 50007."""
        self.closed_dm_users.add(user_id)

    def deny_permission(self, channel_id: int) -> None:
        """The bot lost Send Messages in this channel: sends answer 403 with 50013."""
        self.denied_channels.add(channel_id)

    def check_channel(self, channel_id: int, known: bool) -> None:
        if channel_id in self.deleted_channels or not known:
            raise ApiError(404, 10003, "Unknown Channel")

    def check_send(self, channel_id: int, dm_user_id: int | None) -> None:
        if dm_user_id is not None and dm_user_id in self.closed_dm_users:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        if channel_id in self.denied_channels:
            raise ApiError(403, 50013, "Missing Permissions")
