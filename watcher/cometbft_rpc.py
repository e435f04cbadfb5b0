"""The CometBFT RPC of a Cosmos chain's nodes: status, blocks and block results, with failover.

Calls go as JSON-RPC POSTs to the URL as configured, so a provider URL that carries its key
in the path or query works unchanged. A node that fails (timeout, connection error, 5xx,
nonsense) is passed over for `cooldown_s` while another node is available. Errors say what
the caller should do: `RpcTransient` (retry later: also a height the node has not produced
yet), `HeightPruned` (no node keeps that height: report a gap, never skip it silently),
`RpcFatal` (our request is wrong). A caller that names the chain id it expects gets nothing
from a node on another chain (a network relaunched from a new genesis, a URL of another
network): that node fails the call as `WrongChain`, and another is asked. No message ever
contains a URL's path, query or user info, where API keys live.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
import orjson
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from yarl import URL

from storage.deliveries import JsonValue
from watcher import metrics
from watcher.rpc import JSON_HEADERS, carries_url, describe_failure
from watcher.rpc_errors import RpcError, RpcFatal, RpcTransient, parse_retry_after, redact_url

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKOFF_FIRST_S = 0.05
BACKOFF_CAP_S = 5.0
FATAL_CODES = frozenset({-32700, -32600, -32601, -32602})
# rpc/core getHeight (0.34 to 0.38; early 0.34 said "blocks pruned at height").
_PRUNED = re.compile(
    r"height \d+ is not available, (?:lowest height is|blocks pruned at height) (\d+)"
)
# A node run with discard_abci_responses keeps no block results at all.
_RESULTS_DISCARDED = re.compile(r"node is not persisting (?:finalize block|abci) responses", re.I)
_AHEAD = re.compile(r"must be less than or equal to the current blockchain height")
SHOWN_CHAIN_ID_CHARS = 60


class HeightPruned(RpcError):
    """No node keeps this height (pruned, or its results discarded): the caller reports a gap.
    `lowest_height` is the lowest height a node still serves, None when no node said."""

    def __init__(self, message: str, *, height: int, lowest_height: int | None) -> None:
        super().__init__(message, kind="pruned")
        self.height = height
        self.lowest_height = lowest_height


class _PrunedHere(RpcTransient):
    """This node lacks the height; another one may have it."""

    def __init__(self, message: str, *, lowest_height: int | None) -> None:
        super().__init__(message, kind="pruned_here")
        self.lowest_height = lowest_height


class WrongChain(RpcTransient):
    """The node serves another chain than the one expected: nothing it says may be used."""

    def __init__(self, where: str, *, expected: str, found: object) -> None:
        shown = repr(found)
        if len(shown) > SHOWN_CHAIN_ID_CHARS:
            shown = shown[: SHOWN_CHAIN_ID_CHARS - 3] + "..."
        super().__init__(
            f"{where}the node is on chain {shown}, not on {expected!r} as configured",
            kind="wrong_chain",
        )


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """What `/status` says of the chain: its id, the newest block, the oldest block kept."""

    chain_id: str
    latest_height: int
    latest_hash: str
    latest_time: datetime
    earliest_height: int
    catching_up: bool


@dataclass(slots=True)
class _Call:
    """One logical call across its attempts: which nodes failed or lack the height."""

    method: str
    params: dict[str, str]
    height: int | None
    failed: set[int] = field(default_factory=set)
    pruned: dict[int, int | None] = field(default_factory=dict)


def classify_error(where: str, call: _Call, error: Any) -> RpcError:
    """Maps a CometBFT JSON-RPC error object to the exception that says what to do next."""
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
    data = str(error.get("data", "")) if isinstance(error, dict) else ""
    text = f"{where}{call.method} {call.params}: JSON-RPC error {code}: {message}: {data[:300]}"
    if found := _PRUNED.search(data):
        return _PrunedHere(text, lowest_height=int(found[1]))
    if _RESULTS_DISCARDED.search(data):
        return _PrunedHere(text, lowest_height=None)
    if _AHEAD.search(data):
        return RpcTransient(text, kind="height_ahead")
    if code in FATAL_CODES:
        return RpcFatal(text)
    return RpcTransient(text, kind="rpc_error")


def decode_answer(where: str, call: _Call, call_id: int, status: int, body: bytes) -> Any:
    """The `result` of a JSON-RPC answer, or the error that describes the answer."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        kind = "http_5xx" if status >= 500 else "malformed"
        message = f"{where}HTTP {status} with an answer that is not JSON ({len(body)} bytes)"
        raise RpcTransient(message, kind=kind) from exc
    if not isinstance(parsed, dict) or parsed.get("id") != call_id:
        kind = "http_5xx" if status >= 500 else "malformed"
        raise RpcTransient(f"{where}HTTP {status}: not an answer to our call", kind=kind)
    if parsed.get("error") is not None:
        raise classify_error(where, call, parsed["error"])
    if status >= 500:
        raise RpcTransient(f"{where}HTTP {status}", kind="http_5xx")
    if not isinstance(parsed.get("result"), dict):
        raise RpcTransient(f"{where}{call.method}: no result in the answer", kind="malformed")
    return parsed["result"]


def _malformed(where: str, what: str) -> RpcTransient:
    return RpcTransient(f"{where}{what}", kind="malformed")


def parse_status(where: str, result: Mapping[str, Any]) -> NodeStatus:
    try:
        sync, node = result["sync_info"], result["node_info"]
        return NodeStatus(
            chain_id=str(node["network"]),
            latest_height=int(sync["latest_block_height"]),
            latest_hash=str(sync["latest_block_hash"]),
            latest_time=datetime.fromisoformat(sync["latest_block_time"]),
            earliest_height=int(sync["earliest_block_height"]),
            catching_up=bool(sync["catching_up"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _malformed(where, f"status: unexpected answer ({type(exc).__name__})") from exc


def _member(result: Any, path: Sequence[str]) -> Any:
    """The value at `path` in a JSON answer, None where the answer has none."""
    found: Any = result
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    return found


def _at_height(
    method: str, height: int, path: Sequence[str], chain_id: str | None = None
) -> Callable[[str, Any], Any]:
    """Checks that a result is for the height asked (a caching proxy may mix answers up) and,
    given `chain_id`, that a block is of that chain."""

    def check(where: str, result: Any) -> Any:
        found = _member(result, path)
        if found != str(height):
            raise _malformed(where, f"{method} {height}: the answer is for height {found!r}")
        if chain_id is not None:
            on_chain = _member(result, ("block", "header", "chain_id"))
            if on_chain != chain_id:
                raise WrongChain(where, expected=chain_id, found=on_chain)
        return result

    return check


def _on_chain(chain_id: str | None) -> Callable[[str, Any], NodeStatus]:
    """Parses a `/status` answer, refusing a node on another chain than `chain_id` (if given)."""

    def parse(where: str, result: Any) -> NodeStatus:
        status = parse_status(where, result)
        if chain_id is not None and status.chain_id != chain_id:
            raise WrongChain(where, expected=chain_id, found=status.chain_id)
        return status

    return parse


def _is_http_url(url: str) -> bool:
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


class CometBftClient:
    """Calls a Cosmos chain's CometBFT nodes, failing over between them. Safe to share between
    concurrent tasks: no state of one call lives on the client."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        urls: Sequence[str],
        timeout_s: float = 10.0,
        *,
        attempts: int = 6,
        cooldown_s: float = 30.0,
        backoff_cap_s: float = BACKOFF_CAP_S,
        chain: str = "",
    ) -> None:
        for position, url in enumerate(urls, start=1):
            if not _is_http_url(url):
                raise ValueError(f"RPC URL #{position} of chain {chain!r} is not an http(s) URL")
        if not urls or attempts < 1:
            raise ValueError("a CometBFT client needs at least one URL and one attempt")
        self._session = session
        self._urls = tuple(urls)
        self._endpoints = tuple(redact_url(url) for url in urls)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._cooldown_s = cooldown_s
        self._backoff_cap_s = backoff_cap_s
        self._chain = chain
        self._ids = itertools.count(1)
        self._passed_over_until = [0.0] * len(urls)
        self._retry_at = [0.0] * len(urls)

    async def fetch_status(self, *, chain_id: str | None = None) -> NodeStatus:
        """What `/status` says; with `chain_id`, only from a node on that chain."""
        return await self._call(_Call("status", {}, None), _on_chain(chain_id))

    async def fetch_block(
        self, height: int, *, chain_id: str | None = None
    ) -> Mapping[str, JsonValue]:
        """The `result` of `/block` at `height`: {"block_id": …, "block": …}; with `chain_id`,
        only a block of that chain."""
        check = _at_height("block", height, ("block", "header", "height"), chain_id)
        result: Mapping[str, JsonValue] = await self._call(self._at(height, "block"), check)
        return result

    async def fetch_block_results(self, height: int) -> Mapping[str, JsonValue]:
        """The `result` of `/block_results` at `height`, in the node's own layout."""
        check = _at_height("block_results", height, ("height",))
        call = self._at(height, "block_results")
        result: Mapping[str, JsonValue] = await self._call(call, check)
        return result

    @staticmethod
    def _at(height: int, method: str) -> _Call:
        if height < 1:
            raise ValueError(f"{method}: heights start at 1, not {height}")
        # CometBFT decodes 64-bit integers only from JSON strings.
        return _Call(method, {"height": str(height)}, height)

    async def _call(self, call: _Call, parse: Callable[[str, Any], T]) -> T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=lambda state: self._backoff_s(state, call),
            retry=retry_if_exception_type(RpcTransient),
            reraise=True,
        )
        parsed: T = await retrying(self._attempt, call, parse)
        return parsed

    def _pick(self, call: _Call) -> int:
        """The first node in configured order that neither failed this call nor is being
        passed over; failing that, the one passed over for the shortest time."""
        candidates = [i for i in range(len(self._urls)) if i not in call.pruned]
        fresh = [i for i in candidates if i not in call.failed] or candidates
        now = time.monotonic()
        ready = [i for i in fresh if self._passed_over_until[i] <= now]
        return ready[0] if ready else min(fresh, key=lambda i: self._passed_over_until[i])

    def _backoff_s(self, state: RetryCallState, call: _Call) -> float:
        # Straight to another node when this one lacks the height; otherwise full jitter, and
        # never before a node's Retry-After.
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _PrunedHere):
            return 0.0
        ceiling_s = min(self._backoff_cap_s, BACKOFF_FIRST_S * 2 ** (state.attempt_number - 1))
        cooldown_s = self._retry_at[self._pick(call)] - time.monotonic()
        return max(random.uniform(0.0, ceiling_s), cooldown_s)

    async def _attempt(self, call: _Call, parse: Callable[[str, Any], T]) -> T:
        index = self._pick(call)
        where = f"{self._endpoints[index]}: "
        try:
            call_id = next(self._ids)
            status, body = await self._send(index, call, call_id)
            return parse(where, decode_answer(where, call, call_id, status, body))
        except RpcError as exc:
            metrics.RPC_ERRORS.labels(self._chain, exc.kind).inc()
            if isinstance(exc, _PrunedHere):
                raise self._pruned(index, call, exc) from None
            if isinstance(exc, RpcTransient):
                self._note_failure(index, call, exc)
            raise

    def _pruned(self, index: int, call: _Call, exc: _PrunedHere) -> RpcError:
        """The node lacks the height: ask the next, or give up once every node said so."""
        call.pruned[index] = exc.lowest_height
        if len(call.pruned) < len(self._urls):
            return exc
        known = [low for low in call.pruned.values() if low is not None]
        lowest = min(known) if known else None
        assert call.height is not None  # only height calls can be pruned
        message = (
            f"{call.method} {call.height}: no node keeps this height "
            f"(lowest available: {lowest if lowest is not None else 'unknown'})"
        )
        return HeightPruned(message, height=call.height, lowest_height=lowest)

    def _note_failure(self, index: int, call: _Call, exc: RpcTransient) -> None:
        call.failed.add(index)
        if exc.retry_after_s:
            self._retry_at[index] = time.monotonic() + exc.retry_after_s
        if exc.kind != "height_ahead":  # a node that is merely a block behind stays in use
            pause_s = max(self._cooldown_s, exc.retry_after_s or 0.0)
            self._passed_over_until[index] = time.monotonic() + pause_s
        log.info(
            "cometbft attempt failed: %s",
            exc,
            extra={"chain": self._chain, "endpoint": self._endpoints[index], "kind": exc.kind},
        )

    async def _send(self, index: int, call: _Call, call_id: int) -> tuple[int, bytes]:
        payload = {"jsonrpc": "2.0", "id": call_id, "method": call.method, "params": call.params}
        metrics.RPC_CALLS.labels(self._chain, call.method).inc()
        started = time.perf_counter()
        endpoint = self._endpoints[index]
        try:
            async with self._session.post(
                self._urls[index],
                data=orjson.dumps(payload),
                headers=JSON_HEADERS,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                if response.status == 429:
                    retry_after_s = parse_retry_after(response.headers.get("Retry-After"))
                    message = f"{endpoint}: HTTP 429"
                    raise RpcTransient(message, kind="rate_limited", retry_after_s=retry_after_s)
                return response.status, await response.read()
        except TimeoutError as exc:
            message = f"{endpoint}: no answer within {self._timeout_s} s"
            raise RpcTransient(message, kind="timeout") from exc
        except (aiohttp.ClientError, OSError) as exc:
            failure = RpcTransient(f"{endpoint}: {describe_failure(exc)}", kind="network")
            raise failure from (None if carries_url(exc) else exc)
        finally:
            elapsed_s = time.perf_counter() - started
            metrics.RPC_REQUEST_SECONDS.labels(self._chain, call.method).observe(elapsed_s)
