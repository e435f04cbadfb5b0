"""Display units of denominations the settings do not name, read from each Cosmos chain's REST
(LCD) API and remembered: the bank module's metadata of the denom, else, for an IBC voucher,
the unit of the base denom its transfer trace names (configured, or with metadata).

Routes real nodes serve. Bank metadata: `/cosmos/bank/v1beta1/denoms_metadata/{denom}` takes
one path segment on SDK 0.46 to 0.50, so a denom with a slash (`ibc/…`, `factory/…`) gets
501 "Not Implemented" there (cosmos-sdk issue 22542); `denoms_metadata_by_query_string?denom=`
(SDK 0.50 on, cosmos-sdk PR 16852) takes any denom, and later routes declare `{denom=**}`. A
denom with a slash tries the query string first, then the path. IBC traces:
`/ibc/apps/transfer/v1/denom_traces/{hash}` up to ibc-go v8, `/ibc/apps/transfer/v1/denoms/
{hash}` from v9 on. A 404 (NotFound), 400 or 501 (no such route) is an answer: not there.

Every answer, found or not, is kept for the life of the process (bounded, least recently used
out first): a chain's metadata of a denom practically never changes. A failed read (timeout,
unreachable, 429, 5xx, a body that is not the query's JSON) is no answer: the denom is asked
again on a later call, at most once per `retry_after_s`. A call never raises and takes about
`timeout_s` at most; what it cannot name shows in base units. REST URLs may carry API keys:
only scheme://host is ever logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
import orjson
from yarl import URL

from storage.deliveries import JsonValue
from watcher.cosmos_denoms import Denom
from watcher.cosmos_rest_answers import (
    MalformedAnswer,
    ibc_hash,
    is_askable,
    parse_denom_base,
    parse_metadata_unit,
    parse_trace_base,
)
from watcher.errors import WatcherError
from watcher.rpc import describe_failure
from watcher.rpc_errors import redact_url

log = logging.getLogger(__name__)

BANK = "/cosmos/bank/v1beta1"
TRANSFER = "/ibc/apps/transfer/v1"
# Statuses that answer "not here": gRPC NotFound and InvalidArgument, and the gateway's 501
# for a path no route matches.
NOT_THERE = frozenset({400, 404, 501})
# Metadata answers are a few hundred bytes; anything far larger is not one.
MAX_BODY_BYTES = 256 * 1024
Key = tuple[str, str]  # (chain, denom)
V = TypeVar("V")


class _Unavailable(WatcherError):
    """The REST API gave no answer this time."""


@dataclass(frozen=True, slots=True)
class RestChain:
    """A chain whose REST API is read: where, and the denominations its settings name (an IBC
    voucher of one of them reads in its unit)."""

    rest_url: str
    denoms: tuple[Denom, ...] = ()


class DenomMetadataLookup:
    """Display units of unconfigured denoms, per chain, read once and remembered. Meant for one
    caller at a time (the notifier's rounds follow each other): concurrent calls for the same
    denom would each ask for it."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        chains: Mapping[str, RestChain],
        *,
        timeout_s: float = 2.0,
        retry_after_s: float = 60.0,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._chains = dict(chains)
        self.timeout_s = timeout_s
        self._retry_after_s = retry_after_s
        self._max_entries = max_entries
        self._clock = clock
        self._answers: OrderedDict[Key, Denom | None] = OrderedDict()
        self._failed_at: OrderedDict[Key, float] = OrderedDict()

    async def fetch_denoms(self, chain: str, denoms: Iterable[str]) -> dict[str, Denom]:
        """The display units of those `denoms` that `chain`'s metadata names; the others (and
        all of them on a chain without a REST URL) are left out."""
        rest = self._chains.get(chain)
        if rest is None:
            return {}
        wanted = sorted(set(denoms))
        asked = [d for d in wanted if is_askable(d) and self._worth_asking((chain, d))]
        failures = await asyncio.gather(*(self._ask(chain, rest, denom) for denom in asked))
        failed = [failure for failure in failures if failure is not None]
        if failed:
            log.warning(
                "no denomination metadata from %s for %d denom(s) (%s); their amounts show in"
                " base units, asked again in %g s",
                redact_url(rest.rest_url),
                len(failed),
                failed[0],
                self._retry_after_s,
                extra={"chain": chain},
            )
        found = {denom: self._answers.get((chain, denom)) for denom in wanted}
        return {denom: unit for denom, unit in found.items() if unit is not None}

    def _worth_asking(self, key: Key) -> bool:
        if key in self._answers:
            self._answers.move_to_end(key)
            return False
        failed_at = self._failed_at.get(key)
        return failed_at is None or self._clock() - failed_at >= self._retry_after_s

    async def _ask(self, chain: str, rest: RestChain, denom: str) -> str | None:
        """Reads and keeps one denom's unit; returns why it could not, None when it could."""
        key = (chain, denom)
        try:
            async with asyncio.timeout(self.timeout_s):
                unit = await self._read_unit(rest, denom)
        except (_Unavailable, MalformedAnswer, TimeoutError) as exc:
            self._keep(self._failed_at, key, self._clock())
            return str(exc) or f"no answer within {self.timeout_s:g} s"
        self._failed_at.pop(key, None)
        self._keep(self._answers, key, unit)
        if unit is not None:
            log.info(
                "%s shows as %s (10^%d) on %s",
                denom,
                unit.display,
                unit.exponent,
                chain,
                extra={"chain": chain},
            )
        return None

    async def _read_unit(self, rest: RestChain, denom: str) -> Denom | None:
        unit = await self._read_metadata_unit(rest.rest_url, denom)
        hash_ = ibc_hash(denom)
        if unit is not None or hash_ is None:
            return unit
        base = await self._read_trace_base(rest.rest_url, hash_)
        if base is None:
            return None
        configured = next((known for known in rest.denoms if known.base == base), None)
        base_unit = configured or await self._read_metadata_unit(rest.rest_url, base)
        return None if base_unit is None else Denom(denom, base_unit.display, base_unit.exponent)

    async def _read_metadata_unit(self, rest_url: str, denom: str) -> Denom | None:
        by_path: tuple[str, dict[str, str]] = (f"{BANK}/denoms_metadata/{denom}", {})
        by_query = (f"{BANK}/denoms_metadata_by_query_string", {"denom": denom})
        for path, query in [by_query, by_path] if "/" in denom else [by_path]:
            body = await self._get(rest_url, path, query)
            if body is not None:
                return parse_metadata_unit(denom, body)
        return None

    async def _read_trace_base(self, rest_url: str, hash_: str) -> str | None:
        body = await self._get(rest_url, f"{TRANSFER}/denom_traces/{hash_}")
        if body is not None:
            return parse_trace_base(body)
        body = await self._get(rest_url, f"{TRANSFER}/denoms/{hash_}")
        return None if body is None else parse_denom_base(body)

    async def _get(
        self, rest_url: str, path: str, query: Mapping[str, str] | None = None
    ) -> dict[str, JsonValue] | None:
        """The JSON object of a 200 answer; None when the node says it has none."""
        base = URL(rest_url)
        url = base.with_path(base.path.rstrip("/") + path, keep_query=True)
        try:
            async with self._session.get(url.update_query(query or {})) as response:
                if response.status in NOT_THERE:
                    return None
                if response.status != 200:
                    raise _Unavailable(f"HTTP {response.status}")
                body = orjson.loads(await _body(response))
        except (aiohttp.ClientError, OSError) as exc:
            raise _Unavailable(describe_failure(exc)) from exc
        except orjson.JSONDecodeError as exc:
            raise _Unavailable("the answer is not JSON") from exc
        if not isinstance(body, dict):
            raise _Unavailable("the answer is not a JSON object")
        return body

    def _keep(self, kept: OrderedDict[Key, V], key: Key, value: V) -> None:
        kept[key] = value
        kept.move_to_end(key)
        while len(kept) > self._max_entries:
            kept.popitem(last=False)


async def _body(response: aiohttp.ClientResponse) -> bytes:
    """The body, refused past MAX_BODY_BYTES."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _Unavailable(f"the answer is larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)
