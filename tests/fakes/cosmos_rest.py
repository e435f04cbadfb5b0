"""A Cosmos SDK REST (LCD) API over HTTP that answers denomination queries as the SDK's gRPC
gateway does.

    rest = await FakeCosmosRest.start()            # SDK 0.50 and ibc-go v8 routes
    rest.metadata["uion"] = bank_metadata("uion", "ion", 6, symbol="ION", name="Ion")
    rest.traces[HASH] = ("transfer/channel-0", "uatom")
    rest.url                                       # http://127.0.0.1:PORT (`prefix=` adds a path)
    GET {url}/cosmos/bank/v1beta1/denoms_metadata/uion
    GET {url}/cosmos/bank/v1beta1/denoms_metadata_by_query_string?denom=ibc/…
    GET {url}/ibc/apps/transfer/v1/denom_traces/HASH     (ibc-go up to v8)
    GET {url}/ibc/apps/transfer/v1/denoms/HASH           (ibc-go v9 on: `ibc_go="v10"`)
    rest.fail_with = 503; rest.hang_s = 5.0; rest.html_page = True   # faults, for every request
    rest.requests                                  # "path?query" of every request, in order
    await rest.stop()

Which routes answer follows the releases: `denoms_metadata/{denom}` matches one path segment
(a denom with a slash gets the gateway's 501 "Not Implemented", cosmos-sdk issue 22542)
unless `slash_path` (`{denom=**}`, later routes); `denoms_metadata_by_query_string` exists
unless `query_string=False` (before SDK 0.50); ibc-go v8 serves `denom_traces`, v10
`denoms`. Errors are the gateway's JSON, `{"code": <gRPC code>, "message": …, "details": []}`:
NotFound (5) is HTTP 404 with the keeper's text, a path no route matches HTTP 501 with code 12.

The bodies are written from the documented shapes (cosmos.bank.v1beta1.Metadata, ibc-go's
DenomTrace and Denom, rendered by the SDK's gateway marshaller with OrigName and EmitDefaults:
snake_case names, empty fields present), not captured from a node: ../shared/fixtures/cosmos
holds CometBFT RPC answers only.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Literal

import orjson
from aiohttp import web

BANK = "/cosmos/bank/v1beta1/"
TRANSFER = "/ibc/apps/transfer/v1/"
NOT_FOUND = 5
UNIMPLEMENTED = 12


def bank_metadata(
    base: str, display: str, exponent: int, *, symbol: str = "", name: str = ""
) -> dict[str, Any]:
    """A denom's x/bank Metadata as the gateway renders it: the base unit (exponent 0) and the
    display unit, the way chains register them."""
    return {
        "description": f"The {name or display} token.",
        "denom_units": [
            {"denom": base, "exponent": 0, "aliases": []},
            {"denom": display, "exponent": exponent, "aliases": []},
        ],
        "base": base,
        "display": display,
        "name": name,
        "symbol": symbol,
        "uri": "",
        "uri_hash": "",
    }


def unreachable_url() -> str:
    """An http URL on a loopback port where nothing listens: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _gateway_error(status: int, code: int, message: str) -> web.Response:
    body = {"code": code, "message": message, "details": []}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def _json(body: Any) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json")


class FakeCosmosRest:
    """The REST API of one chain; `metadata` by base denom, `traces` by hash (path, base)."""

    def __init__(
        self,
        prefix: str,
        *,
        query_string: bool,
        slash_path: bool,
        ibc_go: Literal["v8", "v10"],
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.query_string = query_string
        self.slash_path = slash_path
        self.ibc_go = ibc_go
        self.metadata: dict[str, dict[str, Any]] = {}
        self.traces: dict[str, tuple[str, str]] = {}
        self.requests: list[str] = []
        self.fail_with: int | None = None
        self.hang_s = 0.0
        self.html_page = False
        self._runner: web.AppRunner | None = None
        self._port = 0

    @classmethod
    async def start(
        cls,
        *,
        prefix: str = "",
        query_string: bool = True,
        slash_path: bool = False,
        ibc_go: Literal["v8", "v10"] = "v8",
    ) -> FakeCosmosRest:
        rest = cls(prefix, query_string=query_string, slash_path=slash_path, ibc_go=ibc_go)
        app = web.Application()
        app.router.add_get("/{tail:.*}", rest._handle)
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.1
        )
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        rest._runner = runner
        rest._port = int(runner.addresses[0][1])
        return rest

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}{self.prefix}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        if self.hang_s:
            await asyncio.sleep(self.hang_s)
        if self.fail_with is not None:
            return web.Response(status=self.fail_with, text="upstream unavailable")
        if self.html_page:
            return web.Response(
                text="<html><body>Maintenance</body></html>", content_type="text/html"
            )
        path = request.path.removeprefix(self.prefix)
        if path.startswith(BANK):
            return self._bank(path.removeprefix(BANK), request.query.get("denom", ""))
        if path.startswith(TRANSFER):
            return self._transfer(path.removeprefix(TRANSFER))
        return self._no_route()

    def _bank(self, route: str, query_denom: str) -> web.Response:
        if route == "denoms_metadata_by_query_string" and self.query_string:
            return self._metadata(query_denom)
        denom = route.removeprefix("denoms_metadata/")
        if denom != route and denom and ("/" not in denom or self.slash_path):
            return self._metadata(denom)
        return self._no_route()

    def _metadata(self, denom: str) -> web.Response:
        if denom not in self.metadata:
            return _gateway_error(404, NOT_FOUND, f"client metadata for denom {denom}")
        return _json({"metadata": self.metadata[denom]})

    def _transfer(self, route: str) -> web.Response:
        kind, _, hash_ = route.partition("/")
        served = "denom_traces" if self.ibc_go == "v8" else "denoms"
        if kind != served or not hash_ or "/" in hash_:
            return self._no_route()
        trace = self.traces.get(hash_.upper())
        if trace is None:
            what = "denomination trace" if kind == "denom_traces" else "denomination"
            return _gateway_error(404, NOT_FOUND, f"{hash_}: {what} not found")
        path, base = trace
        if kind == "denom_traces":
            return _json({"denom_trace": {"path": path, "base_denom": base}})
        parts = path.split("/")
        hops = [
            {"port_id": p, "channel_id": c} for p, c in zip(parts[::2], parts[1::2], strict=True)
        ]
        return _json({"denom": {"base": base, "trace": hops}})

    def _no_route(self) -> web.Response:
        return _gateway_error(501, UNIMPLEMENTED, "Not Implemented")
