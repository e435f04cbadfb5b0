"""Sends one Standard Webhooks request to a checked address and reports what came back."""

from __future__ import annotations

import asyncio
import ipaddress
import math
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from multidict import CIMultiDictProxy
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook
from yarl import URL

from notifier.errors import (
    DestinationForbidden,
    DestinationRefused,
    DestinationUnresolved,
    NotifierError,
)
from notifier.policy import Outcome
from notifier.webhook_targets import (
    IPAddress,
    TargetRules,
    UrlProblem,
    check_webhook_url,
    host_address,
    is_public_address,
)

USER_AGENT = "Blockbell-Webhooks/1"
CONNECT_TIMEOUT_S = 5.0
ERROR_EXCERPT_CHARS = 200
# A receiver may ask for a pause with Retry-After; beyond a day the delivery would look lost.
MAX_RETRY_AFTER_S = 86_400.0


@dataclass(frozen=True, slots=True)
class _PinnedTarget:
    """The URL rewritten to the one address that was checked, plus what TLS and HTTP still need
    of the original host name."""

    url: URL
    host_header: str
    server_hostname: str | None


class WebhookChannel:
    """POSTs signed JSON bodies; an HTTP answer of any kind is an outcome, never an exception."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        targets: TargetRules,
        timeout_s: float = 15.0,
        max_response_bytes: int = 65536,
        resolve: Resolver | None = None,
    ) -> None:
        self._session = session
        self._targets = targets
        self._resolve = resolve or resolve_host
        self.timeout_s = timeout_s
        self._timeout = aiohttp.ClientTimeout(
            total=timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)
        )
        self._max_response_bytes = max_response_bytes

    async def send(
        self,
        url: str,
        secret: str,
        message_id: str,
        body: bytes,
        timestamp: datetime,
        *,
        also_signing: str | None = None,
    ) -> Outcome:
        """Sign and POST `body` within `timeout_s` in all (name resolution included); with
        `also_signing` (a secret being rotated out) the request carries both signatures.

        The secrets never appear in the outcome.
        """
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                headers = _signed_headers(
                    (secret,) if also_signing is None else (secret, also_signing),
                    message_id,
                    body,
                    timestamp,
                )
                target = await self._pin(url)
                headers["Host"] = target.host_header
                return await self._post(target, headers, body, started)
        except DestinationForbidden as exc:
            return Outcome(None, str(exc), None, 0.0, forbidden=True)
        except NotifierError as exc:
            return Outcome(None, str(exc), None, 0.0)
        except TimeoutError:
            return Outcome(None, f"no response within {self.timeout_s:g} s", None, _ms(started))
        except aiohttp.ClientError as exc:
            return Outcome(None, _describe(exc), None, _ms(started))

    async def _post(
        self, target: _PinnedTarget, headers: dict[str, str], body: bytes, started: float
    ) -> Outcome:
        async with self._session.post(
            target.url,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=self._timeout,
            server_hostname=target.server_hostname,
        ) as response:
            excerpt = await _read_excerpt(response, self._max_response_bytes)
            return outcome_of_response(response.status, response.headers, excerpt, _ms(started))

    async def _pin(self, url: str) -> _PinnedTarget:
        """Resolve the host once, check every address, and aim the request at the first one.

        Connecting to the checked address (not resolving again) closes the window in which a
        DNS answer could change between the check and the connection.
        """
        problem = check_webhook_url(url, self._targets)
        if problem is not None:
            raise DestinationForbidden(REFUSALS[problem])
        try:
            parsed = URL(url)
            port = parsed.port
        except ValueError as exc:
            raise DestinationForbidden(REFUSALS[UrlProblem.MALFORMED]) from exc
        host = parsed.raw_host or ""
        addresses = await self._resolve(host, port)
        if not self._targets.trusts(host):
            for address in addresses:
                if not is_public_address(address):
                    raise DestinationRefused(
                        f"{host} resolves to {address}, which is not a public address"
                    )
        return _PinnedTarget(
            url=parsed.with_host(str(addresses[0])),
            host_header=parsed.host_port_subcomponent or host,
            server_hostname=host if parsed.scheme == "https" else None,
        )


Resolver = Callable[[str, int | None], Awaitable[list[IPAddress]]]
"""(host, port) -> every address the host has."""
REFUSALS = {
    UrlProblem.MALFORMED: "the webhook URL is not an http(s) URL with a valid host",
    UrlProblem.INSECURE: "plain http:// webhooks are not allowed here; use https://",
    UrlProblem.CREDENTIALS: "the webhook URL carries a user name or password before its host",
    UrlProblem.PRIVATE: "the webhook's host is private, loopback or internal",
}


async def resolve_host(host: str, port: int | None) -> list[IPAddress]:
    """The host's addresses from the system's resolver (a literal address is its own)."""
    literal = host_address(host)
    if literal is not None:
        # What getaddrinfo would answer, without its round trip through a worker thread.
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        raise DestinationUnresolved(f"{host} could not be resolved") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise DestinationUnresolved(f"{host} has no address")
    return addresses


def _signed_headers(
    secrets: Sequence[str], message_id: str, body: bytes, timestamp: datetime
) -> dict[str, str]:
    """Standard Webhooks headers; `message_id` stays the same on every retry of a delivery.
    Several secrets give several signatures, space-separated, as the specification allows."""
    try:
        signers = [Webhook(secret) for secret in secrets]
    except (ValueError, EmptyWebhookSecretError) as exc:
        # The message names no part of the secret: errors end up in logs and the database.
        raise DestinationForbidden("the signing secret is not a valid whsec_ secret") from exc
    # The library reads the timestamp as if it were UTC, whatever its zone.
    timestamp_utc = timestamp.astimezone(UTC)
    signature = " ".join(
        signer.sign(message_id, timestamp_utc, body.decode()) for signer in signers
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(timestamp_utc.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


async def _read_excerpt(response: aiohttp.ClientResponse, limit_bytes: int) -> bytes:
    """At most `limit_bytes` of the body; the rest is never read (the connection is dropped)."""
    received = bytearray()
    while len(received) < limit_bytes:
        chunk = await response.content.read(limit_bytes - len(received))
        if not chunk:
            break
        received += chunk
    return bytes(received)


def outcome_of_response(
    status: int, headers: CIMultiDictProxy[str], excerpt: bytes, latency_ms: float
) -> Outcome:
    if 200 <= status < 300:
        return Outcome(status, None, None, latency_ms)
    if 300 <= status < 400:
        location = headers.get("Location", "")
        error = f"HTTP {status}: redirect to {location!r} not followed; use the final URL"
        return Outcome(status, error, None, latency_ms)
    text = excerpt.decode("utf-8", errors="replace").strip()[:ERROR_EXCERPT_CHARS]
    retry_after_s = parse_retry_after(headers.get("Retry-After"), datetime.now(UTC))
    error = f"HTTP {status}: {text}" if text else f"HTTP {status}"
    return Outcome(status, error, retry_after_s, latency_ms)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay in seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdecimal():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER_S)


def _describe(exc: aiohttp.ClientError) -> str:
    """A short reason without the URL, which may carry a token in its path or query."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"connection failed: {exc.os_error.strerror or type(exc.os_error).__name__}"
    return f"request failed: {type(exc).__name__}"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
