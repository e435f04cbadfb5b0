"""`blockbell subscribe` on Cosmos chains: the three forms (event type, message type URL,
failed transactions), the errors for each bad input and for the other family's options, and
that what it stores is what the Cosmos index of the watcher matches, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import bech32
import pytest

from app.cli import main
from app.settings import environment_variable_names
from storage.db import close_database, open_database
from storage.subscriptions import fetch_active_subscriptions
from tests.support.database import database_url
from watcher.cosmos_denoms import Denom
from watcher.cosmos_matching import CosmosIndex
from watcher.cosmos_types import CosmosBlock, CosmosEvent, CosmosMessage, CosmosTx

HOOK = "https://hooks.example/blockbell"
TOKEN = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
# Real Osmosis contracts (32 bytes) and an account (20 bytes).
DCA = "osmo1zacxlu90sl6j2zf90uctpddhfmux84ryrw794ywnlcwx2zeh5a4q67qtc9"
ROUTER = "osmo12f3qn6lgeqmwt8g09mkaa0s8t7lsme8k284ddwrqv5he4g5uuxyswn0sn7"
ALICE = "osmo1jv65s3grqf6v6jl3dp4t6c9t9rk99cd80yhvld"
EXECUTE = "/cosmwasm.wasm.v1.MsgExecuteContract"
VOTE = "/cosmos.gov.v1.MsgVote"
MIGRATE = "/cosmwasm.wasm.v1.MsgMigrateContract"
OSMO = Denom(base="uosmo", display="OSMO", exponent=6)

CHAINS = """
[chains.anvil]
family = "evm"
chain_id = 31337
rpc_urls = ["http://127.0.0.1:8545"]

[chains.osmosis]
family = "cosmos"
chain_id = "osmosis-1"
rpc_urls = ["https://rpc.osmosis.example"]
bech32_prefix = "osmo"
denoms = [{ base = "uosmo", display = "OSMO", exponent = 6 }]

[chains.neutron]
family = "cosmos"
chain_id = "neutron-1"
rpc_urls = ["https://rpc.neutron.example"]
bech32_prefix = "neutron"
denoms = [{ base = "untrn", display = "NTRN", exponent = 6 }]
"""


def bech32_address(prefix: str, size: int, fill: int = 7) -> str:
    """A valid bech32 address of `size` bytes."""
    data = bech32.convertbits(bytes([fill] * size), 8, 5)
    assert data is not None
    return str(bech32.bech32_encode(prefix, data))


BOB = bech32_address("osmo", 20, fill=2)
HUB_ACCOUNT = bech32_address("cosmos", 20)
JUNO_CONTRACT = bech32_address("juno", 32)
NEUTRON_CONTRACT = bech32_address("neutron", 32)


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """In-process runs: a temporary SQLite file and an EVM and two Cosmos chains."""
    for name in environment_variable_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "blockbell.toml"
    path.write_text(CHAINS)
    monkeypatch.setenv("BLOCKBELL_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    return path


def osmosis(*extra: str) -> list[str]:
    return ["subscribe", "--chain", "osmosis", "--webhook", HOOK, *extra]


def neutron(*extra: str) -> list[str]:
    return ["subscribe", "--chain", "neutron", "--webhook", HOOK, *extra]


def anvil(*extra: str) -> list[str]:
    return ["subscribe", "--chain", "anvil", "--webhook", HOOK, *extra]


def fails_with(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith("blockbell subscribe: ") and expected in line, line
    assert "Traceback" not in captured.err and captured.out == ""


def listed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    assert main(["subscriptions", "--json"]) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return rows


@pytest.mark.parametrize(
    ("extra", "address", "event_name", "filter_expr"),
    [
        (["--event", "transfer"], "", "transfer", ""),
        (
            ["--event", "transfer", "--filter", "amount >= 1.5OSMO", "--filter", f"to == {BOB}"],
            "",
            "transfer",
            f"amount >= 1.5OSMO and to == {BOB}",
        ),
        (["--event", "wasm-*", "--contract", DCA.upper()], DCA, "wasm-*", ""),
        (["--event", "*", "--contract", DCA], DCA, None, ""),
        (
            ["--event", "wasm", "--filter", f"_contract_address == {DCA.upper()}"],
            "",
            "wasm",
            f"_contract_address == {DCA}",
        ),
        (
            ["--message", VOTE, "--filter", "option == VOTE_OPTION_YES"],
            "",
            VOTE,
            'option == "VOTE_OPTION_YES"',
        ),
        (["--message", f" {EXECUTE} ", "--contract", DCA], DCA, EXECUTE, ""),
        (["--message", EXECUTE], "", EXECUTE, ""),
        (["--message", MIGRATE, "--contract", DCA], DCA, MIGRATE, ""),
        (["--failed-by", ALICE, "--filter", "code == 5"], ALICE, "tx.failed", "code == 5"),
    ],
)
def test_each_cosmos_form_is_stored_as_the_watcher_reads_it(
    config: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    address: str,
    event_name: str | None,
    filter_expr: str,
) -> None:
    assert main(osmosis(*extra)) == 0
    out = capsys.readouterr().out
    assert "Subscription 1 created." in out and "Webhook secret: whsec_" in out
    (row,) = listed(capsys)
    assert (row["chain"], row["address"], row["event_name"]) == ("osmosis", address, event_name)
    assert (row["selector"], row["filter_expr"], row["status"]) == (None, filter_expr, "active")


def test_cosmos_subscribe_prints_json_and_the_listing_shows_each_kind(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(osmosis("--event", "transfer", "--json")) == 0
    created = json.loads(capsys.readouterr().out)
    assert set(created) == {"subscription_id", "destination_id", "secret"}
    assert created["subscription_id"] == 1 and created["secret"].startswith("whsec_")
    assert main(osmosis("--message", VOTE, "--instant")) == 0
    assert main(osmosis("--failed-by", ALICE)) == 0
    capsys.readouterr()
    assert [row["instant"] for row in listed(capsys)] == [False, True, False]
    assert main(["subscriptions"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["ID", "STATUS", "CHAIN", "ADDRESS", "EVENT", "FILTER", "DESTINATION"]
    assert [row.split()[:5] for row in rows] == [
        ["1", "active", "osmosis", "any", "transfer"],
        ["2", "active", "osmosis", "any", VOTE],
        ["3", "active", "osmosis", ALICE, "tx.failed"],
    ]
    assert all(row.endswith("webhook https://hooks.example") for row in rows)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            osmosis("--event", "transfer", "--address", TOKEN),
            "--address does not apply: 'osmosis' is a Cosmos chain; name a CosmWasm contract"
            " with --contract",
        ),
        (
            osmosis("--event", "transfer", "--standard", "erc20"),
            "--standard does not apply: 'osmosis' is a Cosmos chain; Cosmos events need no"
            " standard: give --event TYPE, such as transfer, wasm or wasm-*",
        ),
        (
            osmosis("--event", "transfer", "--abi", "token.json"),
            "--abi does not apply: 'osmosis' is a Cosmos chain; Cosmos events need no ABI",
        ),
        (
            osmosis("--event", "Transfer(address indexed from, uint256 value)"),
            "--event: 'Transfer(address indexed from, uint256 value)' is an EVM event signature;"
            " on a Cosmos chain give an ABCI event type such as transfer, wasm or wasm-*",
        ),
        (
            osmosis(),
            "say what to notify on 'osmosis': --event TYPE (such as transfer, wasm or wasm-*),"
            " --message TYPE_URL (such as /cosmos.gov.v1.MsgVote) or --failed-by ADDRESS",
        ),
        (
            osmosis("--event", "*"),
            "--event '*' without --contract is every event of the chain: name a type such as"
            " transfer, wasm or wasm-*, or add --contract for one contract's events",
        ),
        (osmosis("--event", "wasm-*-swap"), "--event: 'wasm-*-swap' is not an event type"),
        (osmosis("--event", "  "), "--event: '' is not an event type"),
        (
            osmosis("--event", VOTE),
            f"--event: '{VOTE}' is a message type URL: give it as --message {VOTE}",
        ),
        (
            osmosis("--event", "tx.failed"),
            "--event: tx.failed is not an event type: give --failed-by ADDRESS",
        ),
        (
            osmosis("--message", "cosmos.gov.v1.MsgVote"),
            "--message: 'cosmos.gov.v1.MsgVote' is not a message type URL; write it with a"
            " leading slash: /cosmos.gov.v1.MsgVote",
        ),
        (
            osmosis("--message", "/MsgVote"),
            "--message: '/MsgVote' is not a message type URL; expected one such as"
            " /cosmos.bank.v1beta1.MsgSend",
        ),
        (osmosis("--message", "/cosmos.gov.v1.Msg*"), "--message: '/cosmos.gov.v1.Msg*' is not"),
        (
            osmosis("--message", VOTE, "--contract", DCA),
            "--contract goes with --event, or with --message for an x/wasm message naming a"
            f" contract (such as {EXECUTE}), not with --message {VOTE}",
        ),
        (
            osmosis("--message", "/cosmwasm.wasm.v1.MsgInstantiateContract", "--contract", DCA),
            "not with --message /cosmwasm.wasm.v1.MsgInstantiateContract",
        ),
        (osmosis("--failed-by", ALICE, "--contract", DCA), "not with --failed-by"),
        (
            osmosis("--event", "wasm", "--contract", JUNO_CONTRACT),
            f"--contract: '{JUNO_CONTRACT}' has the prefix 'juno', but 'osmosis' uses 'osmo':"
            " its accounts and contracts start with osmo1…",
        ),
        (
            osmosis("--event", "wasm", "--contract", DCA[:-1] + "8"),
            "--contract: '" + DCA[:-1] + "8' is not a bech32 address: expected one such as"
            " osmo1… with a valid checksum; check it for a typo",
        ),
        (osmosis("--event", "wasm", "--contract", "0x1234"), "is not a bech32 address"),
        (
            osmosis("--failed-by", HUB_ACCOUNT),
            "--failed-by: '" + HUB_ACCOUNT + "' has the prefix 'cosmos', but 'osmosis' uses 'osmo'",
        ),
        (
            osmosis("--failed-by", bech32_address("osmovaloper", 20)),
            "has the prefix 'osmovaloper', but 'osmosis' uses 'osmo'",
        ),
        (
            osmosis("--failed-by", bech32_address("osmo", 33)),
            "holds 33 bytes: an account or contract address holds 20 or 32",
        ),
        (
            osmosis("--event", "transfer", "--filter", "amount >= 1.5ATOM"),
            "--filter: attribute 'amount': 'ATOM' is not a denomination of this chain; this"
            " chain knows OSMO (uosmo, 6 decimals)",
        ),
        (
            osmosis("--event", "transfer", "--filter", f"recipient == {HUB_ACCOUNT}"),
            f"--filter: attribute 'recipient': '{HUB_ACCOUNT}' is an address of another chain"
            " (cosmos1…): this chain's addresses start with osmo1…",
        ),
        (
            osmosis("--event", "transfer", "--filter", "sender > " + ALICE),
            "--filter: attribute 'sender': ",
        ),
        (osmosis("--event", "transfer", "--filter", "amount >>> 1"), "--filter: "),
        (
            osmosis("--event", "transfer", "--webhook", "https://10.0.0.7/hook"),
            "--webhook: 10.0.0.7 is a private, loopback or internal host, which the notifier",
        ),
        (
            osmosis("--event", "transfer", "--message", VOTE),
            "argument --message: not allowed with argument --event",
        ),
        (
            osmosis("--message", VOTE, "--failed-by", ALICE),
            "argument --failed-by: not allowed with argument --message",
        ),
    ],
)
def test_cosmos_subscribe_rejects_bad_input_with_one_line_and_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    fails_with(capsys, argv, expected)
    assert not (config.parent / "cli.sqlite3").exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            anvil(
                "--address", TOKEN, "--standard", "erc20", "--event", "Transfer", "--contract", DCA
            ),
            "--contract does not apply: 'anvil' is an EVM chain; name the contract with --address",
        ),
        (
            anvil("--address", TOKEN, "--message", VOTE),
            "--message does not apply: 'anvil' is an EVM chain; give --address and --event",
        ),
        (
            anvil("--failed-by", ALICE),
            "--failed-by does not apply: 'anvil' is an EVM chain; failed transactions are"
            " watched on Cosmos chains only",
        ),
        (
            anvil("--standard", "erc20", "--event", "Transfer"),
            "--address is required on EVM chains: the contract address (0x...)",
        ),
        (
            anvil("--address", TOKEN, "--standard", "erc20"),
            "--event is required on EVM chains: an event name, full signature, or '*'",
        ),
    ],
)
def test_cosmos_options_on_an_evm_chain_are_refused(
    config: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    fails_with(capsys, argv, expected)


# --- what the watcher makes of it -----------------------------------------------------------


def event(kind: str, *attributes: tuple[str, str], index: int, tx: int = 0) -> CosmosEvent:
    return CosmosEvent(kind, attributes, index, "tx", tx_index=tx, tx_hash=f"{tx:064X}")


def transaction(index: int, code: int, *messages: CosmosMessage) -> CosmosTx:
    return CosmosTx(index, f"{index:064X}", code, "sdk" if code else "", "", "", (), messages)


BLOCK = CosmosBlock(
    height=12,
    hash="B" * 64,
    parent_hash="A" * 64,
    time="2026-12-01T00:00:00Z",
    txs=(
        transaction(
            0,
            0,
            CosmosMessage(0, EXECUTE, ALICE, {"sender": ALICE, "contract": DCA}),
            CosmosMessage(1, VOTE, ALICE, {"proposal_id": "7", "option": "VOTE_OPTION_YES"}),
        ),
        transaction(1, 5, CosmosMessage(0, "/cosmos.bank.v1beta1.MsgSend", ALICE, {})),
    ),
    events=(
        event("transfer", ("recipient", BOB), ("amount", "2000000uosmo"), index=0),
        event("transfer", ("recipient", BOB), ("amount", "1uosmo"), index=1),
        event("wasm-swap", ("_contract_address", DCA), ("pool", "1"), index=2),
        event("execute", ("_contract_address", ROUTER), index=3),
        event("transfer", ("recipient", BOB), ("amount", "9000000uosmo"), index=0, tx=1),
    ),
)


async def subscribe_as_the_cli_does(capsys: pytest.CaptureFixture[str], argv: list[str]) -> int:
    """`blockbell subscribe ... --json` run in a thread, on its own event loop as the CLI runs;
    the new subscription's id."""
    assert await asyncio.to_thread(main, [*argv, "--json"]) == 0
    return int(json.loads(capsys.readouterr().out)["subscription_id"])


async def test_subscriptions_made_by_the_cli_match_in_the_cosmos_index(
    backend: str,
    tmp_path: Path,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    forms = {
        "big transfers to bob": (
            *("--event", "transfer", "--filter", "amount >= 1.5OSMO"),
            *("--filter", f"recipient == {BOB}"),
        ),
        "dca events": ("--event", "wasm-*", "--contract", DCA),
        "router events": ("--event", "*", "--contract", ROUTER),
        "dca executions": ("--message", EXECUTE, "--contract", DCA),
        "yes votes": ("--message", VOTE, "--filter", "option == VOTE_OPTION_YES"),
        "alice's failures": ("--failed-by", ALICE, "--filter", "code == 5"),
    }
    async with database_url(backend, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        ids = {
            name: await subscribe_as_the_cli_does(capsys, osmosis(*extra))
            for name, extra in forms.items()
        }
        # 32-byte contracts of a long prefix: 66 characters, which the database must hold.
        on_neutron = neutron("--event", "wasm-*", "--contract", NEUTRON_CONTRACT)
        neutron_id = await subscribe_as_the_cli_does(capsys, on_neutron)
        await open_database(url)
        try:
            active = await fetch_active_subscriptions("osmosis")
            (on_neutron_active,) = await fetch_active_subscriptions("neutron")
        finally:
            await close_database()
    assert (on_neutron_active.subscription_id, on_neutron_active.address) == (
        neutron_id,
        NEUTRON_CONTRACT,
    )
    assert {s.subscription_id: (s.address, s.event_name) for s in active} == {
        ids["big transfers to bob"]: ("", "transfer"),
        ids["dca events"]: (DCA, "wasm-*"),
        ids["router events"]: (ROUTER, None),
        ids["dca executions"]: (DCA, EXECUTE),
        ids["yes votes"]: ("", VOTE),
        ids["alice's failures"]: (ALICE, "tx.failed"),
    }
    assert all(s.selector is None and s.abi == [] and not s.instant for s in active)

    with caplog.at_level(logging.WARNING, logger="watcher.cosmos_matching"):
        index = CosmosIndex("osmosis", active, {"uosmo": OSMO}, "osmo")
    skipped = [r for r in caplog.records if r.name == "watcher.cosmos_matching"]
    assert skipped == []
    matched = {
        (match.event.name, match.event.transaction_hash[-1], match.event.log_index): [
            subscription_id for subscription_id, _ in match.targets
        ]
        for match in index.match(BLOCK)
    }
    assert matched == {
        (EXECUTE, "0", -1): [ids["dca executions"]],
        (VOTE, "0", -2): [ids["yes votes"]],
        ("transfer", "0", 0): [ids["big transfers to bob"]],
        ("wasm-swap", "0", 2): [ids["dca events"]],
        ("execute", "0", 3): [ids["router events"]],
        ("tx.failed", "1", -1): [ids["alice's failures"]],
    }
