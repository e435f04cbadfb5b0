"""Discord's rate limits as Discord would observe our requests: per bucket, global, per webhook,
and after a 429. The accounting runs on numbers; the waiting on an event loop whose clock jumps
to the next timer instead of sleeping, so no test sleeps or depends on the machine's speed."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from pytest import approx

from notifier.discord_limits import (
    INVALID_REQUESTS_CEILING,
    INVALID_WINDOW_S,
    DiscordLimits,
    RateLimitState,
    Route,
)

MESSAGES = Route("POST", "/channels/{channel_id}/messages", "100")
EDITS = Route("PATCH", "/channels/{channel_id}/messages/{message_id}", "100")
OTHER_CHANNEL = Route("POST", "/channels/{channel_id}/messages", "200")


def webhook(webhook_id: str) -> Route:
    return Route("POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id)


def bucket_headers(limit: int, remaining: int, reset_after: float) -> dict[str, str]:
    return {
        "X-RateLimit-Bucket": "abcd1234",
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset-After": str(reset_after),
    }


def too_many(retry_after: float, *, is_global: bool = False) -> bytes:
    return orjson.dumps(
        {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
    )


TURN_S = 1e-6


class _JumpingSelector(selectors.BaseSelector):
    """Instead of blocking until the next timer, moves the loop's clock there."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._inner = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise RuntimeError("nothing is scheduled: the test would wait forever")
        # Every turn of the loop takes a microsecond, as on a real clock: limiters that wake
        # a hair too early (float rounding) then find their time come instead of spinning.
        self._loop.now += max(TURN_S, timeout)
        return self._inner.select(0)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock starts at 0 and only moves to the next scheduled timer."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self.now


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        runner.run(scenario())


async def acquired_at(limits: DiscordLimits, routes: list[Route]) -> list[float]:
    """The clock time at which each of these concurrent requests was let go; each is answered
    at once without rate-limit headers, so only the limits Discord does not announce apply."""

    async def one(route: Route) -> float:
        await limits.acquire(route)
        limits.observe(route, 200, {})
        return asyncio.get_running_loop().time()

    return list(await asyncio.gather(*(one(route) for route in routes)))


def most_in_any_window(times: list[float], window_s: float) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered if start <= t < start + window_s) for start in ordered)


# The accounting, on numbers.


def test_a_bucket_from_the_headers_holds_requests_until_it_resets() -> None:
    state = RateLimitState()
    assert state.take(MESSAGES, 100.0) == 0.0
    state.observe(MESSAGES, 100.2, 200, bucket_headers(5, 0, 2.5), b"{}")
    assert state.take(MESSAGES, 101.0) == approx(1.7)
    assert [state.take(MESSAGES, 102.7) for _ in range(6)] == [0.0] * 5 + [approx(2.5)]


def test_routes_of_one_bucket_share_its_count_per_channel_only() -> None:
    state = RateLimitState()
    state.take(MESSAGES, 0.0)
    state.observe(MESSAGES, 0.1, 200, bucket_headers(5, 0, 4.0), b"{}")
    state.take(EDITS, 0.2)
    state.observe(EDITS, 0.3, 200, bucket_headers(5, 0, 4.0), b"{}")
    assert state.take(EDITS, 0.5) > 0 and state.take(MESSAGES, 0.5) > 0
    assert state.take(OTHER_CHANNEL, 0.5) == 0.0


def test_an_unknown_bucket_lets_one_request_go_until_its_headers_arrive() -> None:
    state = RateLimitState()
    assert state.take(MESSAGES, 0.0) == 0.0
    assert state.take(MESSAGES, 0.1) > 0
    state.observe(MESSAGES, 0.2, 200, bucket_headers(5, 4, 5.0), b"{}")
    assert [state.take(MESSAGES, 0.3) for _ in range(5)] == [0.0] * 4 + [approx(4.9)]


def test_a_route_without_rate_limit_headers_is_not_held_back() -> None:
    state = RateLimitState()
    for at in (0.0, 0.1, 0.2):
        assert state.take(MESSAGES, at) == 0.0
        state.observe(MESSAGES, at, 500, {}, b"")


def test_requests_still_in_flight_count_against_the_bucket() -> None:
    state = RateLimitState()
    state.take(MESSAGES, 0.0)
    state.observe(MESSAGES, 0.1, 200, bucket_headers(5, 4, 5.0), b"{}")
    assert [state.take(MESSAGES, 0.2) for _ in range(3)] == [0.0] * 3
    # The answer to the first of those three says 3 remain; only 1 does.
    state.observe(MESSAGES, 0.3, 200, bucket_headers(5, 3, 4.8), b"{}")
    assert state.take(MESSAGES, 0.4) == 0.0
    assert state.take(MESSAGES, 0.4) > 0


def test_malformed_and_lowercase_headers_are_read_or_ignored_without_error() -> None:
    state = RateLimitState()
    state.take(MESSAGES, 0.0)
    headers = {"x-ratelimit-limit": "five", "x-ratelimit-remaining": "-1", "retry-after": "x"}
    state.observe(MESSAGES, 0.1, 200, headers, b"not json")
    assert state.take(MESSAGES, 0.2) == 0.0
    state.observe(
        MESSAGES, 0.3, 200, {k.lower(): v for k, v in bucket_headers(2, 0, 1).items()}, b""
    )
    assert state.take(MESSAGES, 0.4) == approx(0.9)


def test_a_route_429_pauses_that_bucket_only() -> None:
    state = RateLimitState()
    state.take(MESSAGES, 0.0)
    headers = {**bucket_headers(5, 0, 3.2), "X-RateLimit-Scope": "user", "Retry-After": "4"}
    assert state.observe(MESSAGES, 1.0, 429, headers, too_many(3.2)) == 3.2
    assert state.take(MESSAGES, 1.0) == approx(3.2)
    assert state.take(OTHER_CHANNEL, 1.0) == 0.0
    assert state.paused_for_s(1.0) == 0.0


def test_a_global_429_pauses_every_route() -> None:
    state = RateLimitState()
    headers = {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global", "Retry-After": "2"}
    assert state.observe(MESSAGES, 10.0, 429, headers, too_many(1.5, is_global=True)) == 1.5
    assert state.take(OTHER_CHANNEL, 10.5) == approx(1.0)
    assert state.take(webhook("1"), 11.5) == 0.0


def test_cloudflares_bare_429_pauses_everything_for_its_retry_after() -> None:
    state = RateLimitState()
    assert state.observe(MESSAGES, 0.0, 429, {"Retry-After": "30"}, b"<html>banned</html>") == 30
    assert state.take(OTHER_CHANNEL, 29.0) == approx(1.0)


def test_too_many_invalid_requests_stop_everything_but_shared_429s_do_not_count() -> None:
    state = RateLimitState()
    shared = {"X-RateLimit-Scope": "shared"}
    for i in range(INVALID_REQUESTS_CEILING):
        state.observe(OTHER_CHANNEL, i * 0.01, 429, shared, too_many(0.001))
    assert state.paused_for_s(100.0) == 0.0
    for i in range(INVALID_REQUESTS_CEILING):
        state.observe(MESSAGES, 100.0 + i * 0.01, 403, {}, b'{"code": 50013}')
    assert state.take(webhook("1"), 200.0) == approx(INVALID_WINDOW_S - 100.0)
    assert state.take(webhook("1"), 100.0 + INVALID_WINDOW_S + 1) == 0.0


# The waiting, on the jumping clock.


def test_no_second_sees_more_than_50_requests() -> None:
    async def scenario() -> None:
        limits = DiscordLimits()
        routes = [Route("POST", "/channels/{channel_id}/messages", str(i)) for i in range(200)]
        times = await acquired_at(limits, routes)
        assert len(times) == 200
        assert most_in_any_window(times, 1.0) <= 50

    run(scenario)


def test_a_webhook_takes_at_most_5_executions_in_2_seconds_and_others_are_not_held() -> None:
    async def scenario() -> None:
        limits = DiscordLimits()
        busy = await acquired_at(limits, [webhook("1")] * 20 + [webhook("2")])
        assert most_in_any_window(busy[:20], 2.0) <= 5
        assert busy[20] < busy[19]

    run(scenario)


def test_a_global_429_holds_every_request_until_it_expires() -> None:
    async def scenario() -> None:
        limits = DiscordLimits()
        await limits.acquire(MESSAGES)
        headers = {"X-RateLimit-Global": "true"}
        assert limits.observe(MESSAGES, 429, headers, too_many(3.0, is_global=True)) == 3.0
        [at] = await acquired_at(limits, [OTHER_CHANNEL])
        assert at >= 3.0

    run(scenario)


def test_an_exhausted_bucket_holds_its_requests_until_its_reset() -> None:
    async def scenario() -> None:
        limits = DiscordLimits()
        await limits.acquire(MESSAGES)
        limits.observe(MESSAGES, 200, bucket_headers(5, 0, 2.0))
        times = await acquired_at(limits, [MESSAGES] * 6 + [OTHER_CHANNEL])
        assert min(times[:6]) >= 2.0 and most_in_any_window(times[:6], 2.0) <= 5
        assert times[6] < 2.0

    run(scenario)
