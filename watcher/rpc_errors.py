"""How JSON-RPC nodes fail: the exceptions that say what to do, and mapping errors onto them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from yarl import URL

from watcher.errors import WatcherError

# A provider's Retry-After is honoured per endpoint, but a hostile value must not stall a chain.
RETRY_AFTER_CAP_S = 60.0
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
