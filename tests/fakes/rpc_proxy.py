"""A JSON-RPC proxy in front of a real node that injects the faults public RPC providers show.

    proxy = await RpcProxy.start(anvil.url, seed=7)
    proxy.url                                # http://127.0.0.1:PORT/rpc (any path is served)
    proxy.faults.http_500.count = 3          # the next 3 HTTP requests answer 500
    proxy.faults.http_429.probability = 0.5  # then each request has a 50 % chance of a 429
    proxy.calls["eth_getLogs"]               # calls received per method, batch members each
    proxy.requests; proxy.reset_counts()     # HTTP requests received; zero both counters
    await proxy.go_down(); await proxy.come_up()   # refuse connections, then accept again
    await proxy.stop()

Every `Fault` fires on its next `count` occasions, then with `probability`, drawn from one
`random.Random(seed)`. HTTP-level faults are drawn once per HTTP request, in this order:
`dead` (the connection is closed without an answer), `http_500`, `http_429` (with
`Retry-After: retry_after`), `delay` (sleeps `delay_s` before answering, longer than a
client's timeout), `truncated` (the JSON body is cut in half). `behind` is drawn once per
HTTP request too: the node then acts `behind_blocks` behind the real head (eth_blockNumber and
"latest" answer head-K, blocks above are null, logs above are dropped). Call-level faults are
drawn per eligible call: `rpc_error` (JSON-RPC error -32000 `rpc_error_message`), `null_blocks`
(eth_getBlockByNumber of the newest `null_blocks_depth` blocks answers null), `empty_logs`
(eth_getLogs whose range touches the newest `empty_logs_depth` blocks answers []).
Provider limits apply whenever set: `max_block_range` (wider eth_getLogs refused with
`range_limit_message`) and `max_logs` (a larger result refused like Infura does, suggesting a
smaller range, or the same range again when `suggest_same_range`). `reverse_batch` answers
batch members in reverse order, as JSON-RPC allows.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp import web

LATEST_TAGS = ("latest", "pending", "safe", "finalized")


@dataclass
class Fault:
    """Fires on the next `count` occasions, then with `probability` each time."""

    count: int = 0
    probability: float = 0.0

    @property
    def armed(self) -> bool:
        return self.count > 0 or self.probability > 0

    def fires(self, rng: random.Random) -> bool:
        if self.count > 0:
            self.count -= 1
            return True
        return self.probability > 0 and rng.random() < self.probability


@dataclass
class Faults:
    """The proxy's fault settings; change them at any time."""

    seed: int = 0
    dead: Fault = field(default_factory=Fault)
    http_500: Fault = field(default_factory=Fault)
    http_429: Fault = field(default_factory=Fault)
    retry_after: str = "1"
    delay: Fault = field(default_factory=Fault)
    delay_s: float = 5.0
    truncated: Fault = field(default_factory=Fault)
    behind: Fault = field(default_factory=Fault)
    behind_blocks: int = 1
    rpc_error: Fault = field(default_factory=Fault)
    rpc_error_message: str = "header not found"
    null_blocks: Fault = field(default_factory=Fault)
    null_blocks_depth: int = 1
    empty_logs: Fault = field(default_factory=Fault)
    empty_logs_depth: int = 1
    max_block_range: int | None = None
    range_limit_message: str = "exceed maximum block range: {limit}"
    max_logs: int | None = None
    suggest_same_range: bool = False
    reverse_batch: bool = False
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


@dataclass(frozen=True)
class View:
    """The head as the proxy shows it during one HTTP request."""

    head: int
    visible_head: int


def answer(member: dict[str, Any], result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": member.get("id"), "result": result}


def refusal(member: dict[str, Any], code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": member.get("id"), "error": {"code": code, "message": message}}


def block_of(tag: Any, view: View) -> int:
    if tag is None or tag in LATEST_TAGS:
        return view.visible_head
    return 0 if tag == "earliest" else int(tag, 16)


class RpcProxy:
    """Forwards JSON-RPC to `upstream_url` and injects the faults set in `faults`."""

    def __init__(self, upstream_url: str, seed: int) -> None:
        self.upstream_url = upstream_url
        self.faults = Faults(seed=seed)
        self.calls: Counter[str] = Counter()
        self.requests = 0
        self.url = ""
        self._port = 0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    async def start(cls, upstream_url: str, *, seed: int = 0) -> RpcProxy:
        proxy = cls(upstream_url, seed)
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", proxy._handle)
        proxy._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.1, access_log=None
        )
        await proxy._runner.setup()
        proxy._session = aiohttp.ClientSession()
        await proxy.come_up()
        return proxy

    async def come_up(self) -> None:
        """Accepts connections (again) on the same port."""
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self._port, shutdown_timeout=0.1)
        await self._site.start()
        sockets = self._runner.addresses
        self._port = int(sockets[0][1])
        self.url = f"http://127.0.0.1:{self._port}/rpc"

    async def go_down(self) -> None:
        """Refuses new connections and drops open ones, like a node that died."""
        assert self._runner is not None and self._site is not None
        await self._site.stop()
        self._site = None
        server = self._runner.server
        for connection in list(server.connections if server else []):
            connection.force_close()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def reset_counts(self) -> None:
        self.calls.clear()
        self.requests = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        members: list[dict[str, Any]] = body if isinstance(body, list) else [body]
        self.requests += 1
        self.calls.update(str(member.get("method")) for member in members)
        early = await self._http_fault(request)
        if early is not None:
            return early
        answers = await self._answer_all(members)
        if self.faults.reverse_batch:
            answers.reverse()
        payload = orjson.dumps(answers if isinstance(body, list) else answers[0])
        if self.faults.truncated.fires(self.faults.rng):
            payload = payload[: len(payload) // 2]
        return web.Response(body=payload, content_type="application/json")

    async def _http_fault(self, request: web.Request) -> web.StreamResponse | None:
        faults, rng = self.faults, self.faults.rng
        if faults.dead.fires(rng):
            # Abort the socket and end the handler without a response, as a crashed node would.
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if faults.http_500.fires(rng):
            return web.Response(status=500, text="Internal Server Error")
        if faults.http_429.fires(rng):
            headers = {"Retry-After": faults.retry_after}
            return web.Response(status=429, text="Too Many Requests", headers=headers)
        if faults.delay.fires(rng):
            await asyncio.sleep(faults.delay_s)
        return None

    async def _answer_all(self, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
        head = int(await self._upstream_result("eth_blockNumber", []), 16)
        behind = self.faults.behind.fires(self.faults.rng)
        view = View(head, max(0, head - self.faults.behind_blocks) if behind else head)
        return list(await asyncio.gather(*(self._answer(member, view) for member in members)))

    async def _answer(self, member: dict[str, Any], view: View) -> dict[str, Any]:
        method, params = member.get("method"), list(member.get("params") or [])
        if self.faults.rpc_error.fires(self.faults.rng):
            return refusal(member, -32000, self.faults.rpc_error_message)
        if method == "eth_blockNumber":
            return answer(member, hex(view.visible_head))
        if method == "eth_getBlockByNumber":
            return await self._block(member, params, view)
        if method == "eth_getLogs" and "blockHash" not in params[0]:
            return await self._logs(member, params[0], view)
        return await self._forward(member)

    async def _block(self, member: dict[str, Any], params: list[Any], view: View) -> dict[str, Any]:
        number = block_of(params[0], view)
        if number > view.visible_head:
            return answer(member, None)
        newest = number > view.head - self.faults.null_blocks_depth
        if newest and self.faults.null_blocks.fires(self.faults.rng):
            return answer(member, None)
        return await self._forward({**member, "params": [hex(number), *params[1:]]})

    async def _logs(self, member: dict[str, Any], query: dict[str, Any], view: View) -> Any:
        first = block_of(query.get("fromBlock"), view)
        last = min(block_of(query.get("toBlock"), view), view.visible_head)
        span = self.faults.max_block_range
        if span is not None and last - first + 1 > span:
            return refusal(member, -32000, self.faults.range_limit_message.format(limit=span))
        if first > last:
            return answer(member, [])
        forwarded = await self._forward(
            {**member, "params": [{**query, "fromBlock": hex(first), "toBlock": hex(last)}]}
        )
        logs = forwarded.get("result")
        touches_newest = last > view.head - self.faults.empty_logs_depth
        if logs and touches_newest and self.faults.empty_logs.fires(self.faults.rng):
            return answer(member, [])
        limit = self.faults.max_logs
        if logs is not None and limit is not None and len(logs) > limit:
            return self._too_many_logs(member, logs, first, last)
        return forwarded

    def _too_many_logs(
        self, member: dict[str, Any], logs: list[dict[str, Any]], first: int, last: int
    ) -> dict[str, Any]:
        limit = self.faults.max_logs
        assert limit is not None
        suggested_last = last
        if not self.faults.suggest_same_range:
            suggested_last = max(first, int(logs[limit]["blockNumber"], 16) - 1)
        message = (
            f"query returned more than {limit} results. "
            f"Try with this block range [{hex(first)}, {hex(suggested_last)}]."
        )
        return refusal(member, -32005, message)

    async def _forward(self, member: dict[str, Any]) -> dict[str, Any]:
        assert self._session is not None
        async with self._session.post(
            self.upstream_url,
            data=orjson.dumps(member),
            headers={"content-type": "application/json"},
        ) as response:
            forwarded: dict[str, Any] = orjson.loads(await response.read())
        return forwarded

    async def _upstream_result(self, method: str, params: list[Any]) -> Any:
        forwarded = await self._forward(
            {"jsonrpc": "2.0", "id": 0, "method": method, "params": params}
        )
        return forwarded["result"]
