"""Discord's rate limits: the global one, the per-route buckets its responses describe, the
per-webhook pace, the pauses a 429 asks for, and the ceiling on invalid requests.

A sender calls `await limits.acquire(route)` before each request and
`limits.observe(route, status, headers, body)` with its response. The rules are those of
Discord's developer docs, "Rate Limits": buckets are learned from the `X-RateLimit-*` headers
and are per top-level resource (channel, guild, webhook); a 429 carries `retry_after`, and
`X-RateLimit-Global` or scope `global` stops every request; 401, 403 and 429 (but 429s of scope
`shared`) count as invalid, and 10,000 of them in 10 minutes get the address banned.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, replace

import orjson
from aiolimiter import AsyncLimiter

GLOBAL_PER_S = 50.0
# Not in Discord's docs but in every webhook's headers: 5 executions per 2 s per webhook.
WEBHOOK_SENDS = 5
WEBHOOK_PERIOD_S = 2.0
# Requests reach Discord with some jitter, so they are spaced 10% wider than the limits.
SAFETY_FACTOR = 1.1
# A 429 with neither body nor headers comes from Cloudflare in front of Discord.
DEFAULT_RETRY_AFTER_S = 5.0
# While a bucket is unknown, one request goes and the others wait for its headers that long.
UNKNOWN_BUCKET_HOLD_S = 1.0
INVALID_WINDOW_S = 600.0
# Discord bans at 10,000 invalid requests per window; the rest is left for other processes.
INVALID_REQUESTS_CEILING = 8_000
INVALID_STATUSES = (401, 403, 429)
MAX_BUCKETS = 10_000
MAX_WEBHOOK_LIMITERS = 10_000


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint (`POST`, `/channels/{channel_id}/messages`) for one top-level resource,
    the `major` id: Discord keeps a bucket's count per major. For a webhook the major is its
    id, never its token (a secret)."""

    method: str
    path: str
    major: str

    @property
    def is_webhook(self) -> bool:
        return self.path.startswith("/webhooks/")

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Bucket:
    """What is left of a bucket until `reset_at` (the clock of `now`); `window_s` is the
    longest reset the headers announced, used to guess the next window's end."""

    limit: int
    remaining: int
    reset_at: float
    window_s: float
    learned: bool = True


class RateLimitState:
    """The accounting, pure: every method takes `now`, nothing waits."""

    def __init__(self) -> None:
        self._bucket_of: dict[str, str] = {}
        self._buckets: OrderedDict[tuple[str, str], Bucket] = OrderedDict()
        self._global_until = 0.0
        self._invalid: deque[float] = deque()

    def paused_for_s(self, now: float) -> float:
        """How long every request must still wait: a global 429, or too many invalid ones."""
        while self._invalid and self._invalid[0] <= now - INVALID_WINDOW_S:
            self._invalid.popleft()
        invalid_wait = 0.0
        if len(self._invalid) >= INVALID_REQUESTS_CEILING:
            invalid_wait = self._invalid[0] + INVALID_WINDOW_S - now
        return max(0.0, self._global_until - now, invalid_wait)

    def take(self, route: Route, now: float) -> float:
        """0 when a request on `route` may go now (and counts it), else how long to wait."""
        pause = self.paused_for_s(now)
        if pause > 0:
            return pause
        key = self._key(route)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = Bucket(1, 1, now + UNKNOWN_BUCKET_HOLD_S, UNKNOWN_BUCKET_HOLD_S, False)
        elif now >= bucket.reset_at:
            bucket = replace(bucket, remaining=bucket.limit, reset_at=now + bucket.window_s)
        if bucket.remaining <= 0:
            return bucket.reset_at - now
        self._store(key, replace(bucket, remaining=bucket.remaining - 1))
        return 0.0

    def observe(
        self, route: Route, now: float, status: int, headers: Mapping[str, str], body: bytes
    ) -> float | None:
        """Learns from a response; for a 429, returns the seconds to wait before a retry."""
        lowered = {name.lower(): value for name, value in headers.items()}
        bucket_id = lowered.get("x-ratelimit-bucket")
        if bucket_id is not None and self._bucket_of.get(route.endpoint) != bucket_id:
            self._buckets.pop(self._key(route), None)
            self._bucket_of[route.endpoint] = bucket_id
        self._learn(self._key(route), now, lowered)
        if status in INVALID_STATUSES and lowered.get("x-ratelimit-scope") != "shared":
            self._invalid.append(now)
        return self._rate_limited(route, now, lowered, body) if status == 429 else None

    def _learn(self, key: tuple[str, str], now: float, headers: Mapping[str, str]) -> None:
        limit = _number(headers.get("x-ratelimit-limit"))
        remaining = _number(headers.get("x-ratelimit-remaining"))
        reset_after = _number(headers.get("x-ratelimit-reset-after"))
        known = self._buckets.get(key)
        if limit is None or remaining is None or reset_after is None:
            if known is not None and not known.learned:
                del self._buckets[key]  # no headers to wait for: the next request may go
            return
        learned = Bucket(int(limit), int(remaining), now + reset_after, reset_after)
        if known is not None and known.learned and now < known.reset_at:
            # The same window: requests still in flight were counted here, not yet there.
            learned = Bucket(
                learned.limit,
                min(learned.remaining, known.remaining),
                max(learned.reset_at, known.reset_at),
                max(reset_after, known.window_s),
            )
        self._store(key, learned)

    def _rate_limited(
        self, route: Route, now: float, headers: Mapping[str, str], body: bytes
    ) -> float:
        """Pauses what the 429 names: everything (global, or Cloudflare's bare 429) or the
        route's bucket (scopes `user` and `shared`)."""
        answer = _json_object(body)
        retry_after = (
            _number(answer.get("retry_after"))
            or _number(headers.get("retry-after"))
            or _number(headers.get("x-ratelimit-reset-after"))
            or DEFAULT_RETRY_AFTER_S
        )
        is_global = (
            headers.get("x-ratelimit-global", "").lower() == "true"
            or answer.get("global") is True
            or headers.get("x-ratelimit-scope") == "global"
            or not answer
        )
        if is_global:
            self._global_until = max(self._global_until, now + retry_after)
            return retry_after
        key = self._key(route)
        known = self._buckets.get(key)
        limit, window_s = (known.limit, known.window_s) if known else (1, retry_after)
        reset_at = max(now + retry_after, known.reset_at if known else 0.0)
        self._store(key, Bucket(limit, 0, reset_at, window_s, known.learned if known else True))
        return retry_after

    def _key(self, route: Route) -> tuple[str, str]:
        return (self._bucket_of.get(route.endpoint, route.endpoint), route.major)

    def _store(self, key: tuple[str, str], bucket: Bucket) -> None:
        self._buckets[key] = bucket
        self._buckets.move_to_end(key)
        if len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)


class DiscordLimits:
    """Queues requests so that none exceeds a limit: callers are delayed, never refused.

    The global and webhook limiters hold one request at a time and refill at the limit's
    rate, so requests are evenly spaced rather than sent in bursts that the next window
    would punish. Time is the running event loop's clock.
    """

    def __init__(
        self,
        *,
        global_per_s: float = GLOBAL_PER_S,
        webhook_sends: int = WEBHOOK_SENDS,
        webhook_period_s: float = WEBHOOK_PERIOD_S,
        safety_factor: float = SAFETY_FACTOR,
    ) -> None:
        self.state = RateLimitState()
        self._global = AsyncLimiter(1, safety_factor / global_per_s)
        self._webhook_interval_s = webhook_period_s / webhook_sends * safety_factor
        self._webhooks: OrderedDict[str, AsyncLimiter] = OrderedDict()

    async def acquire(self, route: Route) -> None:
        """Wait until one request on `route` may be sent now."""
        if route.is_webhook:
            await self._webhook_limiter(route.major).acquire()
        while (wait_s := self.state.take(route, _now())) > 0:
            await asyncio.sleep(wait_s)
        while True:
            await self._global.acquire()
            # A global 429 may have come back while this request waited for its turn.
            if (pause_s := self.state.paused_for_s(_now())) == 0.0:
                return
            await asyncio.sleep(pause_s)

    def observe(
        self, route: Route, status: int, headers: Mapping[str, str], body: bytes = b""
    ) -> float | None:
        """Learns from the response to a request on `route`; for a 429, the seconds to wait
        before retrying it (`acquire` waits them out too)."""
        return self.state.observe(route, _now(), status, headers, body)

    def _webhook_limiter(self, webhook_id: str) -> AsyncLimiter:
        limiter = self._webhooks.get(webhook_id)
        if limiter is None:
            limiter = self._webhooks[webhook_id] = AsyncLimiter(1, self._webhook_interval_s)
            if len(self._webhooks) > MAX_WEBHOOK_LIMITERS:
                self._webhooks.popitem(last=False)
        self._webhooks.move_to_end(webhook_id)
        return limiter


def _now() -> float:
    return asyncio.get_running_loop().time()


def _number(value: object) -> float | None:
    """A header's or body's number; absent, malformed or negative values are none."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number < float("inf") else None


def _json_object(body: bytes) -> dict[str, object]:
    try:
        answer = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return {}
    return answer if isinstance(answer, dict) else {}
