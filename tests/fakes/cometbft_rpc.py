"""A CometBFT RPC node over HTTP that answers as a real CometBFT 0.38 (or 0.34/0.37) node does.

    chain = CosmosChain("blockbell-1"); chain.mine_empty(10)
    node = await FakeCometBft.start(chain, layout="0.38", seed=7)
    node.url                              # http://127.0.0.1:PORT (`path=` adds a gateway prefix)
    GET  {url}/block?height=5             # URI form: id -1, errors with HTTP 500
    POST {url}  {"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"5"}}
    node.mine(transfer(...)); node.fork(2); node.prune(below=5); node.halt(); node.resume()
    await node.crash(); await node.restart()   # connections refused meanwhile; the same URL after
    node.fall_behind(8, earliest=3); node.catch_up()   # restored from an older snapshot, syncing
    node.relaunch(CosmosChain("blockbell-2"))   # the network restarted from a new genesis
    node.drop_tx_results(height, count=1) # block_results lists fewer results than the block's txs
    node.discard_results = True           # as discard_abci_responses: block_results always fails
    node.serve_recorded(height, block=path, block_results=path)   # a recorded `result`, verbatim
    node.faults.http_500.probability = 0.5   # or reset, http_429, hang (held for hang_s)
    node.calls["block"]; node.requests; await node.stop()

The answers follow CometBFT's RPC server (rpc/jsonrpc/server, rpc/core at v0.38): heights are
strings, tx bytes base64, 64-bit integer params must be JSON strings in JSON-RPC ("5", not 5),
a URI call answers with id -1, a JSON-RPC call's error comes with HTTP 200 and a URI call's
with HTTP 500, a request without an id is a notification and gets no answer. The errors carry
the node's own texts, e.g. code -32603 "Internal error" with data "height 5 is not available,
lowest height is 1000" or "height 20 must be less than or equal to the current blockchain
height 10". Faults are drawn once per HTTP request, in this order, from one `Random(seed)`:
`reset` (the connection is dropped), `http_500`, `http_429` (with Retry-After), `hang` (the
answer waits `hang_s`, longer than any client's timeout).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.rpc_proxy import Fault
from tests.support.cosmos_chain import AbciEvent, ChainBlock, ChainTx, CosmosChain, Layout

NODE_VERSIONS: dict[Layout, str] = {"0.34": "0.34.29", "0.37": "0.37.4", "0.38": "0.38.12"}
HEIGHT_METHODS = ("block", "block_results")
METHODS = ("status", "health", *HEIGHT_METHODS)
URI_ID = -1  # CometBFT answers every URI call with this id
INT_TEXT = re.compile(r"^-?[0-9]+$")


class NodeError(Exception):
    """A JSON-RPC error as CometBFT's server builds it."""

    def __init__(self, code: int, message: str, data: str = "") -> None:
        super().__init__(data or message)
        self.code = code
        self.message = message
        self.data = data

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data:
            error["data"] = self.data  # `data,omitempty` in rpctypes.RPCError
        return error


def internal_error(data: str) -> NodeError:
    return NodeError(-32603, "Internal error", data)


def invalid_params(data: str) -> NodeError:
    return NodeError(-32602, "Invalid params", data)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )


@dataclass
class Faults:
    """The node's misbehaviour; change it at any time."""

    seed: int = 0
    reset: Fault = field(default_factory=Fault)
    http_500: Fault = field(default_factory=Fault)
    http_429: Fault = field(default_factory=Fault)
    retry_after: str = "1"
    hang: Fault = field(default_factory=Fault)
    hang_s: float = 30.0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


def uri_height(text: str) -> int | None:
    """A URI `height=` argument as CometBFT's httpParamsToArgs reads it for an *int64."""
    if text == "":
        return None
    if INT_TEXT.match(text):
        return int(text)
    why = f"invalid character {text[0]!r} looking for beginning of value"
    if text.lower().startswith("0x"):
        why = "got a hex string arg, but expected 'int64'"
    elif len(text) >= 2 and text[0] == text[-1] == '"':
        if INT_TEXT.match(text[1:-1]):
            return int(text[1:-1])
        why = f'strconv.ParseInt: parsing "{text[1:-1]}": invalid syntax'
    raise invalid_params(f"error converting http params to arguments: {why}")


def json_height(params: Any) -> int | None:
    """The height of JSON-RPC params (`{"height": "5"}` or `["5"]`), as cmtjson decodes it."""
    if params is None or params == {} or params == []:
        return None
    prefix = "error converting json params to arguments: "
    if isinstance(params, list):
        if len(params) != 1:
            got = orjson.dumps(params).decode()
            raise invalid_params(
                f"{prefix}expected 1 parameters ([height]), got {len(params)} ({got})"
            )
        value = params[0]
    elif isinstance(params, dict):
        value = params.get("height")
    else:
        kind = type(params).__name__
        raise invalid_params(f"{prefix}unknown type for JSON params: {kind}. Expected map or array")
    if value is None:
        return None
    if not isinstance(value, str):
        encoded = orjson.dumps(value).decode()
        raise invalid_params(
            f'{prefix}invalid 64-bit integer encoding "{encoded}", expected string'
        )
    if not INT_TEXT.match(value):
        raise invalid_params(f'{prefix}strconv.ParseInt: parsing "{value}": invalid syntax')
    return int(value)


class FakeCometBft:
    """Serves one CosmosChain over CometBFT's RPC, with pruning, halts, restarts and injected
    faults."""

    def __init__(self, chain: CosmosChain, layout: Layout, seed: int, path: str) -> None:
        self.chain = chain
        self.layout = layout
        self.faults = Faults(seed=seed)
        self.calls: Counter[str] = Counter()
        self.requests = 0
        self.url = ""
        self.halted = False
        self.discard_results = False
        """As a node run with storage.discard_abci_responses: no block_results at all."""
        self.latency_s = 0.0
        """How long every answer takes, as a node across a network would (benchmarks)."""
        self._path = path.rstrip("/")
        self._floor = chain.start_height
        self._synced_to: int | None = None
        self._port = 0
        self._short_results: dict[int, int] = {}
        self._recorded: dict[tuple[str, int], Any] = {}
        self._runner: web.AppRunner | None = None
        self._producer: asyncio.Task[None] | None = None
        self.node_id = hashlib.sha256(chain.chain_id.encode()).hexdigest()[:40]

    @classmethod
    async def start(
        cls,
        chain: CosmosChain | None = None,
        *,
        layout: Layout = "0.38",
        seed: int = 0,
        path: str = "",
        block_interval_s: float | None = None,
    ) -> FakeCometBft:
        """Serves `chain` (a new one with one block by default) on a free loopback port; with
        `block_interval_s`, mines an empty block at that pace until halted or stopped."""
        chain = chain or CosmosChain()
        if not chain.blocks:
            chain.mine()
        node = cls(chain, layout, seed, path)
        await node._serve()
        node.url = f"http://127.0.0.1:{node._port}{node._path}"
        if block_interval_s is not None:
            node._producer = asyncio.create_task(node._produce(block_interval_s))
        return node

    async def stop(self) -> None:
        if self._producer is not None:
            self._producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._producer
        await self.crash()

    async def crash(self) -> None:
        """The node's process dies: open connections drop and new ones are refused until
        restart(). The chain goes on meanwhile: mine() still adds blocks."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def restart(self) -> None:
        """The node's process is back, on the same URL, serving the chain as it now is."""
        if self._runner is not None:
            raise RuntimeError("the node is running: crash() it first")
        await self._serve()

    async def _serve(self) -> None:
        """Listens on the node's port; the first time on a free one."""
        app = web.Application()
        base = self._path
        app.router.add_route("POST", base or "/", self._handle_json_rpc)
        if base:
            app.router.add_route("POST", f"{base}/", self._handle_json_rpc)
        app.router.add_route("GET", f"{base}/", self._handle_index)
        app.router.add_route("*", f"{base}/{{method}}", self._handle_uri)
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.1
        )
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self._port).start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    # What a test does to the node.

    def mine(self, *txs: ChainTx, end_block_events: Sequence[AbciEvent] = ()) -> ChainBlock:
        if self.halted:
            raise RuntimeError("the chain is halted: resume() it before mining")
        return self.chain.mine(*txs, end_block_events=end_block_events)

    def fork(
        self, depth: int, branch: Sequence[Sequence[ChainTx]] | None = None
    ) -> list[ChainBlock]:
        return self.chain.fork(depth, branch)

    def prune(self, below: int) -> None:
        """Forgets every height below `below`, as a pruning node does."""
        if not self.chain.start_height <= below <= self.chain.height:
            raise ValueError(
                f"cannot prune below {below}: the node holds up to {self.chain.height}"
            )
        self._floor = below

    def halt(self) -> None:
        """The chain stops: the tip no longer moves (the node still answers)."""
        self.halted = True

    def resume(self) -> None:
        self.halted = False

    def fall_behind(self, height: int, *, earliest: int | None = None) -> None:
        """The node knows the chain only up to `height` (and from `earliest`, when given), as one
        restored from an older snapshot does while it syncs; /status says it is catching up.
        Called again with a greater height, it has synced part of the way."""
        lowest = self.chain.start_height if earliest is None else earliest
        if not self.chain.start_height <= lowest <= height <= self.chain.height:
            raise ValueError(
                f"cannot keep heights {lowest}-{height} of a chain that runs "
                f"{self.chain.start_height}-{self.chain.height}"
            )
        self._synced_to = height
        if earliest is not None:
            self._floor = earliest

    def catch_up(self) -> None:
        """The node has synced: it serves the chain up to its tip again."""
        self._synced_to = None

    def relaunch(self, chain: CosmosChain) -> None:
        """The network restarted from a new genesis (usually with a new chain id, heights from
        its first block again): the node serves `chain` from now on, all of it."""
        if not chain.blocks:
            chain.mine()
        self.chain = chain
        self._floor = chain.start_height
        self._synced_to = None
        self._short_results.clear()
        self._recorded.clear()

    def drop_tx_results(self, height: int, count: int = 1) -> None:
        """block_results at `height` will list `count` fewer results than the block has txs."""
        self._short_results[height] = max(0, len(self.chain.block(height).txs) - count)

    def restore_tx_results(self, height: int) -> None:
        """block_results at `height` lists every result again."""
        self._short_results.pop(height, None)

    def serve_recorded(
        self, height: int, *, block: Path | None = None, block_results: Path | None = None
    ) -> None:
        """Answers `height` with the `result` of recorded responses, unchanged."""
        for method, path in (("block", block), ("block_results", block_results)):
            if path is not None:
                self._recorded[(method, height)] = orjson.loads(path.read_bytes())["result"]

    @property
    def earliest_height(self) -> int:
        return self._floor

    @property
    def latest_height(self) -> int:
        """The newest height the node serves: the chain's tip unless it has fallen behind."""
        if self._synced_to is None:
            return self.chain.height
        return min(self._synced_to, self.chain.height)

    # HTTP.

    async def _produce(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            if not self.halted:
                self.chain.mine()

    async def _handle_index(self, request: web.Request) -> web.Response:
        self.requests += 1
        return self._index(request)

    @staticmethod
    def _index(request: web.Request) -> web.Response:
        # CometBFT lists its routes as HTML at "/" (and for a POST without a body).
        links = "".join(f'<a href="//{request.host}/{name}">{name}</a></br>' for name in METHODS)
        html = f"<html><body><br>Available endpoints:<br>{links}</body></html>"
        return web.Response(text=html, content_type="text/html")

    async def _handle_uri(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        method = request.match_info["method"]
        if method not in METHODS:
            return web.Response(status=404, text="404 page not found\n")
        self.calls[method] += 1
        early = await self._fault(request)
        if early is not None:
            return early
        try:
            height = uri_height(request.query.get("height", ""))
            result = self._answer(method, height)
        except NodeError as exc:
            return json_response({"jsonrpc": "2.0", "id": URI_ID, "error": exc.as_json()}, 500)
        # CometBFT lets caches keep an answer for an explicit height: it never changes.
        headers = {"Cache-Control": "public, max-age=86400"} if height is not None else {}
        return json_response({"jsonrpc": "2.0", "id": URI_ID, "result": result}, headers=headers)

    async def _handle_json_rpc(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        raw = await request.read()
        if not raw:
            return self._index(request)
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            error = NodeError(
                -32700, "Parse error. Invalid JSON", f"error unmarshaling request: {exc}"
            )
            return json_response({"jsonrpc": "2.0", "error": error.as_json()}, 500)
        members = parsed if isinstance(parsed, list) else [parsed]
        self.calls.update(str(m.get("method")) for m in members if isinstance(m, dict))
        early = await self._fault(request)
        if early is not None:
            return early
        answers = [
            self._json_member(m) for m in members if isinstance(m, dict) and m.get("id") is not None
        ]
        if not answers:
            return web.Response(status=200)  # only notifications: nothing to say
        payload = answers if isinstance(parsed, list) else answers[0]
        return json_response(payload)

    def _json_member(self, member: dict[str, Any]) -> dict[str, Any]:
        call_id = member["id"]
        try:
            if member.get("method") not in METHODS:
                raise NodeError(-32601, "Method not found")
            height = json_height(member.get("params"))
            result = self._answer(str(member["method"]), height)
        except NodeError as exc:
            return {"jsonrpc": "2.0", "id": call_id, "error": exc.as_json()}
        return {"jsonrpc": "2.0", "id": call_id, "result": result}

    async def _fault(self, request: web.Request) -> web.StreamResponse | None:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        faults, rng = self.faults, self.faults.rng
        if faults.reset.fires(rng):
            # Drop the socket without an answer, as a crashed node or a reset proxy would.
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if faults.http_500.fires(rng):
            return web.Response(status=500, text="Internal Server Error")
        if faults.http_429.fires(rng):
            headers = {"Retry-After": faults.retry_after}
            return web.Response(status=429, text="Too Many Requests", headers=headers)
        if faults.hang.fires(rng):
            await asyncio.sleep(faults.hang_s)
        return None

    # The RPC methods (rpc/core).

    def _answer(self, method: str, height: int | None) -> Any:
        if method == "health":
            return {}
        if method == "status":
            return self._status()
        at = self._checked_height(height)
        if (method, at) in self._recorded:
            return self._recorded[(method, at)]
        block = self.chain.block(at)
        if method == "block":
            return block.block_json()
        if self.discard_results:
            raise internal_error("node is not persisting finalize block responses")
        results = block.block_results_json(self.layout)
        if at in self._short_results and results["txs_results"] is not None:
            results["txs_results"] = results["txs_results"][: self._short_results[at]]
        return results

    def _checked_height(self, height: int | None) -> int:
        """rpc/core's getHeight, with its error texts."""
        latest = self.latest_height
        if height is None:
            return latest
        if height <= 0:
            raise internal_error(f"height must be greater than 0, but got {height}")
        if height > latest:
            raise internal_error(
                f"height {height} must be less than or equal to the current blockchain height "
                f"{latest}"
            )
        if height < self._floor:
            raise internal_error(
                f"height {height} is not available, lowest height is {self._floor}"
            )
        return height

    def _status(self) -> dict[str, Any]:
        tip = self.chain.block(self.latest_height)
        earliest = self.chain.block(min(self._floor, tip.height))
        key = hashlib.sha256(self.node_id.encode()).digest()
        return {
            "node_info": {
                "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
                "id": self.node_id,
                "listen_addr": "tcp://0.0.0.0:26656",
                "network": self.chain.chain_id,
                "version": NODE_VERSIONS[self.layout],
                "channels": "40202122233038606100",
                "moniker": "blockbell-fake",
                "other": {"tx_index": "on", "rpc_address": "tcp://0.0.0.0:26657"},
            },
            "sync_info": {
                "latest_block_hash": tip.hash,
                "latest_app_hash": tip.app_hash.hex().upper(),
                "latest_block_height": str(tip.height),
                "latest_block_time": tip.time,
                "earliest_block_hash": earliest.hash,
                "earliest_app_hash": earliest.app_hash.hex().upper(),
                "earliest_block_height": str(earliest.height),
                "earliest_block_time": earliest.time,
                "catching_up": self._synced_to is not None,
            },
            "validator_info": {
                "address": key[:20].hex().upper(),
                "pub_key": {
                    "type": "tendermint/PubKeyEd25519",
                    "value": base64.b64encode(key).decode(),
                },
                "voting_power": "0",
            },
        }
