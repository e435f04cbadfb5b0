"""The `blockbell` command: bad input gets exit 2 and one line; the developer commands work on
SQLite and PostgreSQL; doctor checks a real anvil node."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from app.cli import main
from app.settings import environment_variable_names
from storage.models import Delivery, Event
from storage.progress import create_progress, fetch_progress, set_halted
from tests.support.anvil import AnvilNode, free_port
from tests.support.builders import TRANSFER_TOPIC, make_subscription
from tests.support.database import database_url
from tests.support.secret_watch import secret
from tests.support.service import read_for_secrets
from tests.support.token import TOKEN_ABI

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "storage" / "migrations"
BLOCKBELL = Path(sys.executable).parent / "blockbell"
TOKEN = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
TRANSFER = "Transfer(address indexed from, address indexed to, uint256 value)"
HOOK = "https://hooks.example/blockbell"
RPC_KEY = secret("secretsecretsecretsecret")


def chains_toml(rpc_url: str, chain_id: int = 31337) -> str:
    return f'[chains.anvil]\nfamily = "evm"\nchain_id = {chain_id}\nrpc_urls = ["{rpc_url}"]\n'


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """In-process runs: a temporary SQLite file and one configured chain, nothing else set."""
    for name in environment_variable_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "blockbell.toml"
    path.write_text(chains_toml("http://127.0.0.1:8545"))
    monkeypatch.setenv("BLOCKBELL_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    return path


def fails_with(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert expected in line, line
    assert "Traceback" not in captured.err and captured.out == ""
    return line


def subscribe_args(*extra: str) -> list[str]:
    return ["subscribe", "--chain", "anvil", "--address", TOKEN, "--webhook", HOOK, *extra]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            ["--address", "0x1234", "--standard", "erc20", "--event", "Transfer"],
            "blockbell subscribe: --address: '0x1234' is not an address",
        ),
        (
            ["--chain", "base", "--standard", "erc20", "--event", "Transfer"],
            "--chain: no chain 'base' in",
        ),
        (
            ["--standard", "erc20", "--event", "Minted"],
            "--event: the ABI has no event 'Minted': it has Approval, Transfer",
        ),
        (["--event", "Transfer"], "--event: without --abi or --standard give the full signature"),
        (["--event", "Transfer(address indexed from,"], "blockbell subscribe: --event: "),
        (["--event", "*"], "--event '*' needs the contract's events: add --abi FILE or --standard"),
        (
            ["--standard", "erc20", "--event", "*", "--filter", "value > 1"],
            "--filter needs one event",
        ),
        (
            ["--standard", "erc20", "--event", "Transfer", "--filter", "value >>> 1"],
            "blockbell subscribe: --filter: ",
        ),
        (
            ["--standard", "erc20", "--event", "Transfer", "--webhook", "ftp://files.example"],
            "--webhook: expected an https URL with a host",
        ),
        (
            ["--standard", "erc20", "--event", "Transfer", "--webhook", "https://"],
            "--webhook: expected an https URL with a host",
        ),
        (
            ["--standard", "erc20", "--event", "Transfer", "--webhook", "https://127.0.0.1:9/h"],
            "--webhook: 127.0.0.1 is a private, loopback or internal host, which the notifier",
        ),
        (
            ["--standard", "erc20", "--event", "Transfer", "--webhook", "https://localhost/h"],
            "name the host in BLOCKBELL_WEBHOOK_PRIVATE_HOSTS or set"
            " BLOCKBELL_WEBHOOK_ALLOW_PRIVATE=true",
        ),
        (
            ["--standard", "erc20", "--event", "Transfer", "--webhook", "http://hooks.example/h"],
            "--webhook: plain http:// is refused (signed bodies would travel unencrypted); use"
            " https:// or set BLOCKBELL_WEBHOOK_ALLOW_HTTP=true",
        ),
        (
            [
                "--standard",
                "erc20",
                "--event",
                "Transfer",
                "--webhook",
                "https://a:b@hooks.example",
            ],
            "--webhook: remove the user name or password before the host",
        ),
        (
            ["--abi", "/nowhere/abi.json", "--event", "Transfer"],
            "--abi: cannot read /nowhere/abi.json: No such file or directory",
        ),
        (["--standard", "erc20", "--abi", "x.json", "--event", "Transfer"], "not allowed with"),
        (["--standard", "erc4626", "--event", "Transfer"], "invalid choice: 'erc4626'"),
    ],
)
def test_subscribe_rejects_bad_input_with_one_line_and_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str], extra: list[str], expected: str
) -> None:
    fails_with(capsys, subscribe_args(*extra), expected)
    assert not (config.parent / "cli.sqlite3").exists()


def test_subscribe_rejects_an_abi_file_that_is_not_json(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    abi = config.parent / "abi.json"
    abi.write_text("{not json")
    fails_with(capsys, subscribe_args("--abi", str(abi), "--event", "Transfer"), "--abi: ")


def test_a_loopback_webhook_is_accepted_when_the_operator_allows_it(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOCKBELL_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("BLOCKBELL_WEBHOOK_ALLOW_HTTP", "true")
    argv = subscribe_args("--standard", "erc721", "--event", "Transfer")
    assert main([*argv, "--webhook", "http://127.0.0.1:9000/hook"]) == 0
    assert "Subscription 1 created." in capsys.readouterr().out
    assert main(["subscriptions"]) == 0
    assert "webhook http://127.0.0.1:9000" in capsys.readouterr().out
    assert main(["deliveries", "--status", "dead"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "No deliveries with status dead."


def test_bad_settings_stop_every_command_with_one_line(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOCKBELL_HTTP_ADDR", "abc")
    fails_with(capsys, ["subscriptions"], "BLOCKBELL_HTTP_ADDR: expected host:port")
    config.write_text(chains_toml("http://127.0.0.1:8545") + "confirmation = 3\n")
    monkeypatch.delenv("BLOCKBELL_HTTP_ADDR")
    fails_with(capsys, ["doctor"], "chains.anvil.confirmation in")


def test_run_rejects_an_unknown_role_naming_the_valid_ones(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fails_with(
        capsys,
        ["run", "--roles", "watcher,bots"],
        "--roles: unknown role 'bots'; valid roles are bot, watcher, notifier, api",
    )


def test_listing_options_are_checked(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails_with(capsys, ["deliveries", "--limit", "0"], "expected a whole number >= 1")
    fails_with(capsys, ["deliveries", "--status", "lost"], "invalid choice: 'lost'")
    fails_with(capsys, ["teleport"], "invalid choice: 'teleport'")


def test_an_unreachable_database_is_one_line_and_exit_1(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgres://nobody:pw@127.0.0.1:{free_port()}/none")
    assert main(["subscriptions"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("blockbell subscriptions: cannot open the database postgres://127.0")
    assert ":pw@" not in line


# --- against real databases, as a person runs it ------------------------------------------


@pytest.fixture
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database nothing has migrated yet, on SQLite or PostgreSQL."""
    async with database_url(backend, tmp_path) as url:
        yield url


def environment(database: str, config: Path) -> dict[str, str]:
    names = environment_variable_names()
    kept = {key: value for key, value in os.environ.items() if key.upper() not in names}
    return {**kept, "DATABASE_URL": database, "BLOCKBELL_CONFIG": str(config)}


async def blockbell(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(BLOCKBELL),
        *args,
        env=env,
        cwd=Path(env["BLOCKBELL_CONFIG"]).parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, *read_for_secrets(f"blockbell {args[0]}", out, err)


async def test_migrate_then_subscribe_three_ways_then_list_on_a_real_database(
    fresh_database: str, tmp_path: Path
) -> None:
    config = tmp_path / "blockbell.toml"
    config.write_text(chains_toml("http://127.0.0.1:8545"))
    env = environment(fresh_database, config)
    code, out, _ = await blockbell(env, "migrate")
    migrations = sorted(p.stem for p in MIGRATIONS.glob("0*.py"))
    applied = ", ".join(f"models.{name}" for name in migrations)
    assert code == 0 and f"applied {len(migrations)} migration(s): {applied}" in out
    code, out, _ = await blockbell(env, "migrate")
    assert code == 0 and "the schema is up to date" in out

    code, out, err = await blockbell(
        env,
        *subscribe_args(
            "--standard", "erc20", "--event", "Transfer", "--filter", "value > 1000", "--json"
        ),
    )
    assert code == 0, err
    created = json.loads(out)
    assert set(created) == {"subscription_id", "destination_id", "secret"}
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32

    abi_file = tmp_path / "token.json"
    abi_file.write_text(json.dumps(TOKEN_ABI))
    code, out, err = await blockbell(env, *subscribe_args("--abi", str(abi_file), "--event", "*"))
    assert code == 0, err
    assert f"Subscription {created['subscription_id'] + 1} created." in out
    assert "Webhook secret: whsec_" in out

    code, out, err = await blockbell(env, *subscribe_args("--event", TRANSFER))
    assert code == 0, err

    code, out, _ = await blockbell(env, "subscriptions", "--json")
    first, every, by_signature = json.loads(out)
    assert (first["chain"], first["address"], first["event_name"], first["selector"]) == (
        "anvil",
        TOKEN,
        "Transfer",
        TRANSFER_TOPIC,
    )
    assert first["filter_expr"] and first["destination_target"] == "https://hooks.example"
    assert (every["event_name"], every["selector"], every["filter_expr"]) == (None, None, "")
    assert (by_signature["event_name"], by_signature["selector"]) == ("Transfer", TRANSFER_TOPIC)
    code, out, _ = await blockbell(env, "subscriptions")
    assert code == 0 and "ID" in out.splitlines()[0] and "Transfer" in out and "*" in out


async def test_deliveries_lists_the_outbox_with_counts(db: str, tmp_path: Path) -> None:
    subscribed = await make_subscription()
    now = datetime.now(UTC)
    event = await Event.create(
        id=uuid.uuid4(),
        chain="anvil",
        block_number=7,
        block_hash="0x" + "ab" * 32,
        transaction_hash="0x" + "cd" * 32,
        log_index=0,
        contract="0x" + "aa" * 20,
        event_name="Transfer",
        created_at=now,
    )
    for status in ("pending", "dead"):
        await Delivery.create(
            id=uuid.uuid4(),
            event=event,
            subscription_id=subscribed.subscription_id,
            destination_id=subscribed.destination_id,
            status=status,
            next_attempt_at=now,
            created_at=now,
            last_error="HTTP 500" if status == "dead" else None,
        )
    config = tmp_path / "blockbell.toml"
    config.write_text("")
    env = environment(db, config)
    code, out, _ = await blockbell(env, "deliveries", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["counts"]["pending"] == 1 and listed["counts"]["dead"] == 1
    assert {row["status"] for row in listed["deliveries"]} == {"pending", "dead"}
    code, out, _ = await blockbell(env, "deliveries", "--status", "dead", "--limit", "5")
    lines = out.splitlines()
    assert code == 0 and "pending: 1" in lines[0] and "dead: 1" in lines[0]
    (row,) = lines[2:]
    assert "dead" in row and "HTTP 500" in row and "Transfer" in row


async def test_resume_releases_a_halted_chain_once(db: str, tmp_path: Path) -> None:
    await create_progress("anvil", 10, "0x" + "ab" * 32)
    await set_halted("anvil", "reorg deeper than 128 blocks")
    config = tmp_path / "blockbell.toml"
    config.write_text("")
    env = environment(db, config)
    code, _, err = await blockbell(env, "resume", "anvil", "--from-block", "11")
    assert code == 2 and "--from-block 11 lies after the chain's cursor (block 10)" in err
    code, _, err = await blockbell(env, "resume", "anvil", "--from-block", "-3")
    assert code == 2 and "expected a block number" in err
    code, out, _ = await blockbell(env, "resume", "anvil", "--from-block", "7")
    assert code == 0 and "released (it was halted: reorg deeper than 128 blocks)" in out
    progress = await fetch_progress("anvil")
    assert progress is not None and progress.halted_reason is None
    assert (progress.resume_requested, progress.resume_from) == (True, 7)
    code, out, _ = await blockbell(env, "resume", "anvil")
    assert code == 0 and "is not halted" in out
    code, _, err = await blockbell(env, "resume", "base")
    assert code == 2 and "no progress recorded for chain 'base'" in err


# --- doctor ---------------------------------------------------------------------------------


async def doctor(tmp_path: Path, toml: str, database: str | None = None) -> tuple[int, str]:
    config = tmp_path / "blockbell.toml"
    config.write_text(toml)
    env = environment(database or f"sqlite://{tmp_path / 'doctor.sqlite3'}", config)
    env["TELEGRAM_BOT_TOKEN"] = "7012345678:AAHk3-abcdefghijklmnopqrstuvwxyz01234"
    if database is None:
        assert (await blockbell(env, "migrate"))[0] == 0
    code, out, err = await blockbell(env, "doctor")
    assert "AAHk3" not in out + err
    return code, out


async def test_doctor_passes_against_a_reachable_node_with_the_right_chain_id(
    anvil: AnvilNode, tmp_path: Path
) -> None:
    code, out = await doctor(tmp_path, chains_toml(anvil.url))
    assert code == 0, out
    assert f"ok    chains.anvil {anvil.url}: reachable, chain id 31337" in out
    assert "ok    database sqlite://" in out
    assert "TELEGRAM_BOT_TOKEN: set" in out and "DISCORD_BOT_TOKEN: not set" in out
    assert out.splitlines()[-1] == "All checks passed."


async def test_doctor_fails_on_a_wrong_chain_id(anvil: AnvilNode, tmp_path: Path) -> None:
    code, out = await doctor(tmp_path, chains_toml(anvil.url, chain_id=1))
    assert code == 1
    assert "FAIL  chains.anvil" in out and "chain id is 31337, the settings say 1" in out


async def test_doctor_fails_on_a_closed_port_and_an_unmigrated_database(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v2/{RPC_KEY}"
    code, out = await doctor(
        tmp_path, chains_toml(url), database=f"sqlite://{tmp_path / 'empty.sqlite3'}"
    )
    assert code == 1
    assert "FAIL  chains.anvil http://127.0.0.1:" in out and RPC_KEY not in out
    assert "migration(s) not applied: run `blockbell migrate`" in out
    assert out.splitlines()[-1] == "2 check(s) failed."


# --- run ------------------------------------------------------------------------------------


async def test_run_serves_health_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "blockbell.toml"
    config.write_text("")
    port = free_port()
    env = environment(f"sqlite://{tmp_path / 'run.sqlite3'}", config)
    env["BLOCKBELL_HTTP_ADDR"] = f"127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        str(BLOCKBELL),
        "run",
        "--roles",
        "api",
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        report = await health_when_up(process, f"http://127.0.0.1:{port}/health")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=10)
    _, logged = read_for_secrets("blockbell run", out, err)
    assert report == {"status": "ok", "chains": {}}, logged
    assert process.returncode == 0, err.decode()
    assert err.decode().splitlines()[-1].endswith("INFO app.cli: stopped")


async def health_when_up(process: asyncio.subprocess.Process, url: str) -> object:
    async with aiohttp.ClientSession() as session:
        for _ in range(400):
            if process.returncode is not None:
                break
            try:
                async with session.get(url) as response:
                    return await response.json()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    return None
