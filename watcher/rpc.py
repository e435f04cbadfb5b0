"""JSON-RPC over HTTP to a chain's nodes, with failover between them and backoff."""

from __future__ import annotations

import contextlib
import gc
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import aiohttp
import orjson
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from yarl import URL

from watcher import metrics
from watcher.rpc_errors import RpcError, RpcTransient, classify_error, parse_retry_after, redact_url

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKOFF_FIRST_S = 0.05
BACKOFF_CAP_S = 5.0
GC_PAUSE_MIN_BYTES = 1 << 20
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}


def carries_url(exc: BaseException) -> bool:
    """Whether aiohttp put the request's full URL (which may hold a key) into this error."""
    return isinstance(exc, aiohttp.ClientResponseError | aiohttp.InvalidURL)


def describe_failure(exc: BaseException) -> str:
    """A transport error as text that never contains the URL it happened on."""
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{type(exc).__name__}: HTTP {exc.status}"
    return type(exc).__name__ if carries_url(exc) else f"{type(exc).__name__}: {exc}"


def _is_http_url(url: str) -> bool:
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


@dataclass(frozen=True, slots=True)
class _Request:
    where: str
    calls: Sequence[tuple[str, list[Any]]]
    first_id: int
    single: bool
    required: bool


def _decode_body(request: _Request, status: int, body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RpcTransient(
            f"{request.where}HTTP {status} with an answer that is not JSON ({len(body)} bytes)",
            kind="malformed",
        ) from exc


def _member_result(request: _Request, index: int, by_id: dict[Any, Any]) -> Any:
    method, params = request.calls[index]
    member = by_id.get(request.first_id + index)
    if not isinstance(member, dict) or ("result" not in member and "error" not in member):
        raise RpcTransient(f"{request.where}{method}: no answer in the response", kind="malformed")
    if member.get("error") is not None:
        raise classify_error(method, params, member["error"], request.where)
    if member["result"] is None and request.required:
        raise RpcTransient(f"{request.where}{method}: null result", kind="null_result")
    return member["result"]


def decode_answer(
    request: _Request, status: int, retry_after_s: float | None, body: bytes
) -> list[Any]:
    """Results of the request's calls in call order, or the error that describes the answer."""
    if status == 429:
        raise RpcTransient(
            f"{request.where}HTTP 429", kind="rate_limited", retry_after_s=retry_after_s
        )
    if status >= 500:
        raise RpcTransient(f"{request.where}HTTP {status}", kind="http_5xx")
    parsed = _decode_body(request, status, body)
    if isinstance(parsed, dict) and not request.single and parsed.get("error") is not None:
        method, params = request.calls[0]
        raise classify_error(method, params, parsed["error"], request.where)
    members = [parsed] if isinstance(parsed, dict) else parsed
    if not isinstance(members, list):
        raise RpcTransient(f"{request.where}HTTP {status}: not JSON-RPC", kind="malformed")
    by_id = {member.get("id"): member for member in members if isinstance(member, dict)}
    return [_member_result(request, index, by_id) for index in range(len(request.calls))]


@contextlib.contextmanager
def _gc_paused(body_bytes: int) -> Iterator[None]:
    # Decoding a large answer allocates hundreds of thousands of containers, and cyclic GC
    # passes in the middle would rescan them again and again (about 40 % of the decode time
    # for 100,000 logs). The decode does not await, so nothing else runs while GC is paused.
    if body_bytes < GC_PAUSE_MIN_BYTES or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _first(results: list[Any]) -> Any:
    return results[0]


def _all(results: list[Any]) -> list[Any]:
    return results


class RpcClient:
    """Sends JSON-RPC calls and batches to a chain's endpoints, failing over between them."""

    def __init__(
        self, urls: Sequence[str], *, timeout_s: float = 10.0, attempts: int = 6, chain: str = ""
    ) -> None:
        for position, url in enumerate(urls, start=1):
            if not _is_http_url(url):
                raise ValueError(f"RPC URL #{position} of chain {chain!r} is not an http(s) URL")
        if not urls or attempts < 1:
            raise ValueError("an RPC client needs at least one URL and one attempt")
        self._urls = tuple(urls)
        self._endpoints = tuple(redact_url(url) for url in urls)
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._chain = chain
        self._session: aiohttp.ClientSession | None = None
        self._current = 0
        self._ready_at = [0.0] * len(self._urls)
        self._next_id = 1
        self.calls_made = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: list[Any], *, required: bool = False) -> Any:
        """One call; `required` turns a null result into RpcTransient."""
        return await self._with_failover([(method, params)], True, required, _first)

    async def batch(
        self, calls: Sequence[tuple[str, list[Any]]], *, required: bool = False
    ) -> list[Any]:
        """Several calls in one HTTP request; results in call order."""
        return await self.batch_parsed(calls, _all, required=required)

    async def batch_parsed(
        self,
        calls: Sequence[tuple[str, list[Any]]],
        parse: Callable[[list[Any]], T],
        *,
        required: bool = False,
    ) -> T:
        """Like batch, with `parse` applied to the results inside the retry loop.

        An RpcTransient that `parse` raises (a malformed or inconsistent answer) moves to the
        next endpoint and retries, exactly like a failed request.
        """
        if not calls:
            return parse([])
        return await self._with_failover(calls, False, required, parse)

    async def _with_failover(
        self,
        calls: Sequence[tuple[str, list[Any]]],
        single: bool,
        required: bool,
        parse: Callable[[list[Any]], T],
    ) -> T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._backoff_s,
            retry=retry_if_exception_type(RpcTransient),
            reraise=True,
        )
        parsed: T = await retrying(self._attempt, calls, single, required, parse)
        return parsed

    def _backoff_s(self, state: RetryCallState) -> float:
        # Full jitter; an endpoint that sent Retry-After is not asked again before then.
        ceiling_s = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** (state.attempt_number - 1))
        cooldown_s = self._ready_at[self._current] - time.monotonic()
        return max(random.uniform(0.0, ceiling_s), cooldown_s)

    async def _attempt(
        self,
        calls: Sequence[tuple[str, list[Any]]],
        single: bool,
        required: bool,
        parse: Callable[[list[Any]], T],
    ) -> T:
        index = self._current
        request = _Request(f"{self._endpoints[index]}: ", calls, self._next_id, single, required)
        self._next_id += len(calls)
        try:
            status, retry_after_s, body = await self._send(index, request)
            with _gc_paused(len(body)):
                return parse(decode_answer(request, status, retry_after_s, body))
        except RpcError as exc:
            metrics.RPC_ERRORS.labels(self._chain, exc.kind).inc()
            if isinstance(exc, RpcTransient):
                self._fail_over(index, exc)
            raise

    def _fail_over(self, index: int, exc: RpcTransient) -> None:
        self._current = (index + 1) % len(self._urls)
        if exc.retry_after_s:
            self._ready_at[index] = time.monotonic() + exc.retry_after_s
        log.info(
            "rpc attempt failed: %s",
            exc,
            extra={"chain": self._chain, "endpoint": self._endpoints[index], "kind": exc.kind},
        )

    async def _send(self, index: int, request: _Request) -> tuple[int, float | None, bytes]:
        ids = range(request.first_id, request.first_id + len(request.calls))
        payload = [
            {"jsonrpc": "2.0", "id": call_id, "method": method, "params": params}
            for call_id, (method, params) in zip(ids, request.calls, strict=True)
        ]
        for method, _ in request.calls:
            metrics.RPC_CALLS.labels(self._chain, method).inc()
        self.calls_made += len(request.calls)
        label = request.calls[0][0] if request.single else "batch"
        started = time.perf_counter()
        try:
            return await self._post(index, orjson.dumps(payload[0] if request.single else payload))
        finally:
            elapsed_s = time.perf_counter() - started
            metrics.RPC_REQUEST_SECONDS.labels(self._chain, label).observe(elapsed_s)

    async def _post(self, index: int, body: bytes) -> tuple[int, float | None, bytes]:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout_s)
            )
        endpoint = self._endpoints[index]
        try:
            async with self._session.post(
                self._urls[index], data=body, headers=JSON_HEADERS, allow_redirects=False
            ) as response:
                retry_after_s = parse_retry_after(response.headers.get("Retry-After"))
                return response.status, retry_after_s, await response.read()
        except TimeoutError as exc:
            message = f"{endpoint}: no answer within {self._timeout_s} s"
            raise RpcTransient(message, kind="timeout") from exc
        except (aiohttp.ClientError, OSError) as exc:
            failure = RpcTransient(f"{endpoint}: {describe_failure(exc)}", kind="network")
            raise failure from (None if carries_url(exc) else exc)
