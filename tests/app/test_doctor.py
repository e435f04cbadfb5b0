"""`blockbell doctor` on Cosmos chains: CometBFT's `status` on every RPC URL, its network
compared with chain_id, beside the EVM check of a mixed file, and no key of a URL shown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from app.doctor import run_checks
from app.settings import environment_variable_names, load_settings
from tests.fakes.cometbft_rpc import FakeCometBft
from tests.support.anvil import free_port
from tests.support.cosmos_chain import CosmosChain
from tests.support.secret_watch import secret

API_KEY = secret("k3yk3yk3yk3yk3yk3yk3yk3y")
ATOM = '{ base = "uatom", display = "ATOM", exponent = 6 }'


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the chains file and a SQLite file of this test are configured."""
    for name in environment_variable_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'doctor.sqlite3'}")


@pytest.fixture
async def hub() -> AsyncIterator[FakeCometBft]:
    """A Cosmos Hub node behind a provider-style URL whose path carries the API key."""
    node = await FakeCometBft.start(CosmosChain("cosmoshub-4"), path=f"/rpc/{API_KEY}")
    yield node
    await node.stop()


@pytest.fixture
async def not_cometbft() -> AsyncIterator[str]:
    """A JSON-RPC server that knows no `status` method, as an EVM node answers it."""

    async def answer(request: web.Request) -> web.Response:
        call = await request.json()
        error = {"code": -32601, "message": f"the method {call['method']} does not exist"}
        return web.json_response({"jsonrpc": "2.0", "id": call["id"], "error": error})

    app = web.Application()
    app.router.add_post("/", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def cosmos_chain(name: str, chain_id: str, *urls: str) -> str:
    listed = ", ".join(f'"{url}"' for url in urls)
    return (
        f'[chains.{name}]\nfamily = "cosmos"\nchain_id = "{chain_id}"\nrpc_urls = [{listed}]\n'
        f'bech32_prefix = "cosmos"\ndenoms = [{ATOM}]\n'
    )


async def doctor_lines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toml: str) -> list[str]:
    """The chain lines `blockbell doctor` prints, in its own format."""
    config = tmp_path / "blockbell.toml"
    config.write_text(toml)
    monkeypatch.setenv("BLOCKBELL_CONFIG", str(config))
    checks = await run_checks(load_settings())
    marks = {True: "ok  ", False: "FAIL", None: "--  "}
    lines = [f"{marks[check.ok]}  {check.subject}: {check.detail}" for check in checks]
    assert not any(API_KEY in line for line in lines)
    return [line for line in lines if " chains." in line]


def host_of(node: FakeCometBft) -> str:
    return node.url.removesuffix(f"/rpc/{API_KEY}")


async def test_a_cosmos_node_of_the_configured_network_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hub: FakeCometBft
) -> None:
    lines = await doctor_lines(monkeypatch, tmp_path, cosmos_chain("hub", "cosmoshub-4", hub.url))
    assert lines == [f"ok    chains.hub {host_of(hub)}: reachable, chain id cosmoshub-4"]
    assert hub.calls["status"] == 1


async def test_a_cosmos_node_of_another_network_fails_naming_both_ids(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hub: FakeCometBft
) -> None:
    lines = await doctor_lines(monkeypatch, tmp_path, cosmos_chain("osmosis", "osmosis-1", hub.url))
    assert lines == [
        f"FAIL  chains.osmosis {host_of(hub)}: chain id is 'cosmoshub-4', the settings say"
        " 'osmosis-1': fix chain_id or the URL"
    ]


async def test_a_server_that_is_no_cometbft_node_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, not_cometbft: str
) -> None:
    lines = await doctor_lines(
        monkeypatch, tmp_path, cosmos_chain("hub", "cosmoshub-4", not_cometbft)
    )
    assert lines == [f"FAIL  chains.hub {not_cometbft}: answered, but not like a CometBFT RPC node"]


async def test_a_failing_cosmos_node_is_unreachable_without_showing_its_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hub: FakeCometBft
) -> None:
    hub.faults.http_500.probability = 1.0
    (line,) = await doctor_lines(monkeypatch, tmp_path, cosmos_chain("hub", "cosmoshub-4", hub.url))
    assert line.startswith(f"FAIL  chains.hub {host_of(hub)}: unreachable: 500")


async def test_every_url_of_a_mixed_file_is_checked_with_its_familys_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hub: FakeCometBft
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1/{API_KEY}"
    evm = f'[chains.mainnet]\nfamily = "evm"\nchain_id = 1\nrpc_urls = ["{hub.url}"]\n'
    toml = evm + cosmos_chain("hub", "cosmoshub-4", hub.url, closed)
    mainnet, hub_ok, hub_closed = await doctor_lines(monkeypatch, tmp_path, toml)
    assert mainnet == (
        f"FAIL  chains.mainnet {host_of(hub)}: answered, but not like an EVM JSON-RPC node"
    )
    assert hub_ok == f"ok    chains.hub {host_of(hub)}: reachable, chain id cosmoshub-4"
    assert hub_closed.startswith(f"FAIL  chains.hub {closed.split('/v1')[0]}: unreachable: ")
    assert (hub.calls["eth_chainId"], hub.calls["status"]) == (1, 1)
