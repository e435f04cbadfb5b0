"""JSON-RPC over HTTP to a chain's nodes, with failover between them and provider error mapping."""

from __future__ import annotations

import contextlib
import gc
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import aiohttp
import orjson
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from yarl import URL

from watcher import metrics
from watcher.errors import WatcherError

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKOFF_FIRST_S = 0.05
BACKOFF_CAP_S = 5.0
# A provider's Retry-After is honoured per endpoint, but a hostile value must not stall a chain.
RETRY_AFTER_CAP_S = 60.0
GC_PAUSE_MIN_BYTES = 1 << 20
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
# Parse error, invalid request, method not found, invalid params: our bug, retrying cannot help.
FATAL_CODES = frozenset({-32700, -32600, -32601, -32602})
# EIP-1474 "limit exceeded": Infura and others use it for eth_getLogs result limits.
LIMIT_EXCEEDED_CODE = -32005
LOG_METHODS = frozenset({"eth_getLogs", "eth_newFilter"})

_NUMBER = r"(0x[0-9a-f]+|\d[\d,]*)"
_SUGGESTED_RANGE = re.compile(rf"\[\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\]", re.IGNORECASE)
_BLOCK_SPAN = re.compile(
    rf"(?:limited to a|max(?:imum)? block range:?)\s*{_NUMBER}\s*(?:blocks?\s*)?", re.IGNORECASE
)
_RANGE_REFUSAL = re.compile(
    r"log response size exceeded|returned more than [\d,]+ results|limited to a [\d,]+"
    r"|block range (?:is )?too (?:wide|large|big)|max(?:imum)? block range"
    r"|reducing your block range|response size (?:exceeded|is larger)|limit exceeded"
    r"|exceeds? (?:the )?limit|too many (?:logs|results|blocks)",
    re.IGNORECASE,
)
# Rate limiting shares code -32005 with result limits; it is transient, not a range problem.
_RATE_LIMIT = re.compile(r"\brate\b|too many requests|capacity", re.IGNORECASE)
# Messages that mark an error as the node's momentary state even under a "fatal" code.
_TRANSIENT_HINT = re.compile(
    r"header not found|missing trie node|unknown block|block ?out ?of ?range|block height"
    r"|beyond (?:the )?(?:current )?head|internal error|timed? ?out|try again",
    re.IGNORECASE,
)


class RpcError(WatcherError):
    """Root of the RPC errors; `kind` labels the failure for metrics and logs."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class RpcTransient(RpcError):
    """The node failed, lagged or answered nonsense: retry later, preferably elsewhere."""

    def __init__(
        self, message: str, *, kind: str = "transient", retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, kind=kind)
        self.retry_after_s = retry_after_s


class RpcRangeTooLarge(RpcError):
    """The node refused an eth_getLogs block range or result size: ask for a smaller range."""

    def __init__(self, message: str, *, suggested: tuple[int, int] | None) -> None:
        super().__init__(message, kind="range")
        self.suggested = suggested


class RpcFatal(RpcError):
    """The request itself is wrong (unknown method, invalid params): a bug, never retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="fatal")


def redact_url(url: str) -> str:
    """Returns scheme://host[:port] only: paths, queries and user info may hold API keys."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "<invalid url>"
    port = f":{parsed.explicit_port}" if parsed.explicit_port else ""
    return f"{parsed.scheme}://{parsed.host or '?'}{port}"


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


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header in its delay-seconds form; None when absent or a date."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return None if seconds is None else min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


def _parse_number(text: str) -> int:
    return int(text, 16) if text[:2].lower() == "0x" else int(text.replace(",", ""))


def _request_from_block(params: Sequence[Any]) -> int | None:
    first = params[0] if params else None
    value = first.get("fromBlock") if isinstance(first, dict) else None
    if not isinstance(value, str) or not value.lower().startswith("0x"):
        return None
    return int(value, 16)


def parse_suggested_range(message: str, params: Sequence[Any]) -> tuple[int, int] | None:
    """The range a provider's refusal names, or one built from the block span it allows."""
    if found := _SUGGESTED_RANGE.search(message):
        return _parse_number(found[1]), _parse_number(found[2])
    from_block = _request_from_block(params)
    span = _BLOCK_SPAN.search(message)
    if span is None or from_block is None:
        return None
    blocks = _parse_number(span[1])
    return (from_block, from_block + blocks - 1) if blocks > 0 else None


def _is_range_refusal(code: Any, message: str) -> bool:
    if _RATE_LIMIT.search(message):
        return False
    return code == LIMIT_EXCEEDED_CODE or _RANGE_REFUSAL.search(message) is not None


def classify_error(method: str, params: Sequence[Any], error: Any, where: str = "") -> RpcError:
    """Maps a JSON-RPC error object to the exception that says what the caller should do."""
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
    text = f"{where}{method}: JSON-RPC error {code}: {message[:300]}"
    if method in LOG_METHODS and _is_range_refusal(code, message):
        return RpcRangeTooLarge(text, suggested=parse_suggested_range(message, params))
    if code in FATAL_CODES and not _TRANSIENT_HINT.search(message):
        return RpcFatal(text)
    return RpcTransient(text, kind="rpc_error")


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
