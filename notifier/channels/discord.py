"""Sends notifications to Discord channels, DMs and pasted channel webhooks over plain REST, and
turns Discord's answers into outcomes.

Targets, by destination kind:
- `discord`: a channel id (`"123…"`, a guild channel or a DM channel the front-end already
  knows), or `"dm:<user id>"` for a user's DMs: the DM channel is opened once with
  POST /users/@me/channels (idempotent on Discord's side) and its id cached, so the front-end
  can store a user without ever opening the DM itself. These need the bot token.
- `discord_webhook`: the channel webhook URL a user pasted. Only its id and token are taken
  from it; requests go to the configured API, so a pasted URL never sends us elsewhere.

Every request waits its turn in DiscordLimits and reports its answer there; redirects are never
followed, and neither the bot token nor a webhook's token appears in an outcome or a log.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import aiohttp
import orjson

from notifier.discord_limits import DiscordLimits, Route
from notifier.discord_render import (
    DISCORD_CHANNEL_KIND,
    DISCORD_WEBHOOK_KIND,
    DiscordSend,
    Payload,
    plan_discord_sends,
)
from notifier.policy import Decision, Outcome, decide
from notifier.refusals import RefusalMemory
from notifier.webhook_targets import DISCORD_API_URL, parse_discord_webhook_url
from storage.deliveries import DueDelivery

DM_PREFIX = "dm:"
HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_TOO_MANY_REQUESTS = 429
UNKNOWN_MESSAGE = 10008
# A 429 whose retry_after is this short is waited out and the request made again (the nonce
# keeps that safe); a longer one reschedules the delivery, so that none outlives its lease.
MAX_PAUSE_WAIT_S = 20.0
MAX_RATE_LIMITED_TRIES = 5
MAX_DM_CHANNELS = 10_000
ERROR_EXCERPT_CHARS = 200
# Refusals are remembered by destination id; the service's own notices have none.
NOTICE_KEY = 0


@dataclass(frozen=True, slots=True)
class Answer:
    """A response other than a 429: its status, Discord's JSON (an object or nothing)."""

    status: int
    body: dict[str, object]
    latency_ms: float


def decide_discord(
    outcome: Outcome,
    attempts_made: int,
    now: datetime,
    schedule_s: Sequence[float],
    jitter: float,
) -> Decision:
    """The retry policy, plus Discord's meanings: 403 (missing permissions, DMs closed) and 404
    (channel or webhook deleted) stop the destination at once; 401 is the operator's token.
    """
    if outcome.status in (HTTP_FORBIDDEN, HTTP_NOT_FOUND):
        reason = outcome.error or f"Discord answered {outcome.status}"
        return Decision("dead", None, reason)
    if outcome.status == HTTP_UNAUTHORIZED:
        return decide(replace(outcome, status=None), attempts_made, now, schedule_s, jitter)
    return decide(outcome, attempts_made, now, schedule_s, jitter)


def with_bot(channel: DiscordChannel | None) -> DiscordChannel | None:
    """The channel if it posts as the bot (channels and DMs need its token), else None."""
    return channel if channel is not None and DISCORD_CHANNEL_KIND in channel.kinds else None


class DiscordChannel:
    """Sends one message per call; any answer of Discord's is an outcome, not an error."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str | None,
        api_url: str = DISCORD_API_URL,
        limits: DiscordLimits | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._session = session
        self._token = token
        self._api_url = api_url.rstrip("/")
        self._limits = limits or DiscordLimits()
        self.timeout_s = timeout_s
        # A destination that answered 403 or 404 gets no more requests for a while: Discord
        # bans clients that keep making invalid requests, and the deliveries claimed with it
        # would only hear the same answer.
        self._refused = RefusalMemory[int]()
        self._dm_channels: OrderedDict[str, str] = OrderedDict()

    @property
    def kinds(self) -> tuple[str, ...]:
        """The destination kinds this channel can reach: webhooks need no bot token."""
        if self._token is None:
            return (DISCORD_WEBHOOK_KIND,)
        return (DISCORD_CHANNEL_KIND, DISCORD_WEBHOOK_KIND)

    def plan(
        self, due: Sequence[DueDelivery], explorers: Mapping[str, str | None]
    ) -> list[DiscordSend]:
        """Embeds for these deliveries, digests for destinations with a burst of them."""
        return plan_discord_sends(due, explorers)

    async def send(self, send: DiscordSend) -> Outcome:
        """Post, or edit, the message; an edit of a message that is gone posts it anew when the
        send says so, and otherwise settles as done (there is nothing left to correct)."""
        if send.destination.kind == DISCORD_WEBHOOK_KIND:
            outcome = await self._send_webhook(send)
        else:
            outcome = await self._send_channel(send)
        if outcome.status in (HTTP_FORBIDDEN, HTTP_NOT_FOUND):
            self._refused.remember(send.destination.id, outcome)
        return outcome

    async def send_notice(self, target: str, content: str) -> Outcome:
        """Post a message of the service itself (not of an event) into a channel, or into a
        person's DMs (`dm:<user id>`), within the same limits; it mentions nobody."""
        channel_id = await self._channel_of(NOTICE_KEY, target)
        if isinstance(channel_id, Outcome):
            return channel_id
        route = Route("POST", "/channels/{channel_id}/messages", channel_id)
        url = f"{self._api_url}/channels/{channel_id}/messages"
        payload: Payload = {"content": content, "allowed_mentions": {"parse": []}}
        return self._outcome(await self._request(NOTICE_KEY, route, url, payload))

    async def _send_channel(self, send: DiscordSend) -> Outcome:
        destination_id = send.destination.id
        channel_id = await self._channel_of(destination_id, send.destination.target)
        if isinstance(channel_id, Outcome):
            return channel_id
        url = f"{self._api_url}/channels/{channel_id}/messages"
        if send.edit_ref is not None:
            edit = Route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id)
            edited = await self._edit(destination_id, edit, f"{url}/{send.edit_ref}", send)
            if edited is not None:
                return edited
        messages = Route("POST", "/channels/{channel_id}/messages", channel_id)
        return self._outcome(await self._request(destination_id, messages, url, send.payload))

    async def _send_webhook(self, send: DiscordSend) -> Outcome:
        parsed = parse_discord_webhook_url(send.destination.target, self._api_url)
        if parsed is None:
            error = "the destination is not a Discord channel webhook URL"
            return Outcome(HTTP_NOT_FOUND, error, None, 0.0)
        webhook_id, token = parsed
        path = "/webhooks/{webhook_id}/{webhook_token}"
        url = f"{self._api_url}/webhooks/{webhook_id}/{token}"
        destination_id = send.destination.id
        if send.edit_ref is not None:
            edit = Route("PATCH", path + "/messages/{message_id}", webhook_id)
            edit_url = f"{url}/messages/{send.edit_ref}?with_components=true"
            edited = await self._edit(destination_id, edit, edit_url, send)
            if edited is not None:
                return edited
        execute = Route("POST", path, webhook_id)
        query = "?wait=true&with_components=true"
        return self._outcome(
            await self._request(destination_id, execute, url + query, send.payload)
        )

    async def _edit(
        self, destination_id: int, route: Route, url: str, send: DiscordSend
    ) -> Outcome | None:
        """The outcome of an edit; None when its message is gone and a new one must go out."""
        answer = await self._request(destination_id, route, url, send.edit_payload)
        if not isinstance(answer, Answer) or answer.body.get("code") != UNKNOWN_MESSAGE:
            return self._outcome(answer)
        return None if send.new_if_gone else Outcome(200, None, None, answer.latency_ms)

    async def _channel_of(self, destination_id: int, target: str) -> str | Outcome:
        """The channel id of a `discord` target, opening (once) the DM of a `dm:` one."""
        user_id = target.removeprefix(DM_PREFIX)
        if not user_id.isdecimal():
            return Outcome(HTTP_NOT_FOUND, "the destination is not a Discord channel", None, 0.0)
        if user_id == target:
            return target
        known = self._dm_channels.get(user_id)
        if known is not None:
            return known
        route = Route("POST", "/users/@me/channels", "")
        url = f"{self._api_url}/users/@me/channels"
        outcome = self._outcome(
            await self._request(destination_id, route, url, {"recipient_id": user_id})
        )
        if outcome.message_ref is None:
            return outcome
        self._dm_channels[user_id] = outcome.message_ref
        if len(self._dm_channels) > MAX_DM_CHANNELS:
            self._dm_channels.popitem(last=False)
        return outcome.message_ref

    async def _request(
        self, destination_id: int, route: Route, url: str, payload: Payload | dict[str, str]
    ) -> Answer | Outcome:
        """One request, made again after short 429s; a long pause, a destination that refused
        us a moment ago, or no answer at all is an outcome."""
        headers = {"Content-Type": "application/json"}
        if not route.is_webhook and self._token is not None:
            headers["Authorization"] = f"Bot {self._token}"
        body = orjson.dumps(payload)
        retry_after_s = 0.0
        for _ in range(MAX_RATE_LIMITED_TRIES):
            if (paused_s := self._limits.state.paused_for_s(_loop_time())) > MAX_PAUSE_WAIT_S:
                error = "sends to Discord are paused"
                return Outcome(HTTP_TOO_MANY_REQUESTS, error, paused_s, 0.0)
            await self._limits.acquire(route)
            # Checked after waiting for the turn: a send just before may have been refused.
            refusal = self._refused.recall(destination_id)
            if refusal is not None:
                return refusal
            answer = await self._exchange(route.method, url, body, headers)
            if isinstance(answer, Outcome):
                return answer
            status, answer_headers, raw, latency_ms = answer
            retry_after = self._limits.observe(route, status, answer_headers, raw)
            if status != HTTP_TOO_MANY_REQUESTS:
                return Answer(status, _json_object(raw), latency_ms)
            retry_after_s = retry_after or 0.0
            if retry_after_s > MAX_PAUSE_WAIT_S:
                break
        error = f"Discord rate limit: retry after {retry_after_s:g} s"
        return Outcome(HTTP_TOO_MANY_REQUESTS, error, retry_after_s, 0.0)

    async def _exchange(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes, float] | Outcome:
        """Status, headers, body and latency of one HTTP exchange, or why there was none."""
        started = time.perf_counter()
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as response:
                raw = await response.read()
                return response.status, response.headers, raw, _ms(started)
        except TimeoutError:
            error = f"no answer from Discord within {self.timeout_s:g} s"
            return Outcome(None, error, None, _ms(started))
        except aiohttp.ClientError as exc:
            return Outcome(None, f"network error: {type(exc).__name__}", None, _ms(started))

    def _outcome(self, answer: Answer | Outcome) -> Outcome:
        """An answer as an outcome: the message id on success, Discord's reason otherwise."""
        if isinstance(answer, Outcome):
            return answer
        if 200 <= answer.status < 300:
            ref = answer.body.get("id")
            return Outcome(answer.status, None, None, answer.latency_ms, _str_or_none(ref))
        if answer.status == HTTP_UNAUTHORIZED:
            error = "Discord refused the bot token"
        else:
            message = str(answer.body.get("message") or "no reason given")[:ERROR_EXCERPT_CHARS]
            code = answer.body.get("code")
            error = f"Discord answered {answer.status}: {message}" + (
                f" (code {code})" if code else ""
            )
        return Outcome(answer.status, error, None, answer.latency_ms)


def _json_object(raw: bytes) -> dict[str, object]:
    try:
        answer = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _str_or_none(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
