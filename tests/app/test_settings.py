"""Settings: defaults, the chains TOML file, and one clear line for every kind of mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import (
    DEFAULT_WEBHOOK_SCHEDULE_S,
    SettingsError,
    environment_variable_names,
    load_settings,
)
from tests.support.secret_watch import secret
from watcher.cosmos_denoms import Denom
from watcher.types import ChainSpec

ROOT = Path(__file__).resolve().parents[2]
API_KEY = secret("k3yk3yk3yk3yk3yk3yk3yk3y")
GOOD_CHAIN = 'family = "evm"\nchain_id = 1\nrpc_urls = ["https://rpc.example"]\n'
ATOM = '{ base = "uatom", display = "ATOM", exponent = 6 }'
GOOD_COSMOS = (
    'family = "cosmos"\nchain_id = "cosmoshub-4"\nrpc_urls = ["https://rpc.example:443"]\n'
    f'bech32_prefix = "cosmos"\ndenoms = [{ATOM}]\n'
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test starts in an empty directory with none of Blockbell's variables set."""
    for name in environment_variable_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chains.toml"
    path.write_text(text)
    monkeypatch.setenv("BLOCKBELL_CONFIG", str(path))
    return path


def error_of(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chain_body: str) -> str:
    write_config(monkeypatch, tmp_path, "[chains.main]\n" + chain_body)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults_need_no_file_and_create_the_sqlite_directory(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite://./data/blockbell.sqlite3"
    assert (tmp_path / "data").is_dir()
    assert settings.chains == {}
    assert settings.http_addr == "127.0.0.1:8080"
    assert settings.webhook_allow_private is False
    assert settings.telegram_bot_token is None and settings.discord_bot_token is None
    assert settings.log_level == "INFO"
    assert settings.webhook_schedule_s == DEFAULT_WEBHOOK_SCHEDULE_S
    assert settings.webhook_timeout_s == 15.0


def test_the_default_config_file_is_read_when_present(tmp_path: Path) -> None:
    (tmp_path / "blockbell.toml").write_text("[chains.main]\n" + GOOD_CHAIN)
    assert list(load_settings().chains) == ["main"]


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://blockbell:pw@db.internal:5432/blockbell")
    monkeypatch.setenv("BLOCKBELL_HTTP_ADDR", "0.0.0.0:9000")
    monkeypatch.setenv("BLOCKBELL_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "")
    monkeypatch.setenv("BLOCKBELL_LOG_LEVEL", "debug")
    monkeypatch.setenv("BLOCKBELL_WEBHOOK_SCHEDULE", "0, 0.5,2")
    monkeypatch.setenv("BLOCKBELL_WEBHOOK_TIMEOUT", "2.5")
    settings = load_settings()
    assert settings.database_url.startswith("postgres://")
    assert settings.http_addr == "0.0.0.0:9000"
    assert settings.webhook_allow_private is True
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert settings.discord_bot_token is None
    assert settings.log_level == "DEBUG"
    assert settings.webhook_schedule_s == (0.0, 0.5, 2.0)
    assert settings.webhook_timeout_s == 2.5


def test_a_full_chain_table_becomes_a_chain_spec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(
        monkeypatch,
        tmp_path,
        """
[chains.mainnet]
family = "evm"
chain_id = 1
rpc_urls = ["https://a.example/v2/KEY", "http://b.example:8545"]
ws_url = "wss://a.example/ws"
confirmations = 12
poll_interval = 0.25
max_block_range = 500
start_block = 19000000
explorer_url = "https://etherscan.io"
max_reorg_depth = 64

[chains.anvil]
family = "evm"
chain_id = 31337
rpc_urls = ["http://127.0.0.1:8545"]
""",
    )
    mainnet, anvil = load_settings().chain_specs()
    assert mainnet == ChainSpec(
        name="mainnet",
        family="evm",
        chain_id=1,
        rpc_urls=("https://a.example/v2/KEY", "http://b.example:8545"),
        ws_url="wss://a.example/ws",
        confirmations=12,
        poll_interval_s=0.25,
        max_block_range=500,
        start_block=19000000,
        explorer_url="https://etherscan.io",
        max_reorg_depth=64,
    )
    assert anvil == ChainSpec(
        name="anvil", family="evm", chain_id=31337, rpc_urls=("http://127.0.0.1:8545",)
    )
    assert anvil.start_block is None


def test_the_example_file_loads_with_the_anvil_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCKBELL_CONFIG", str(ROOT / "blockbell.example.toml"))
    (anvil,) = load_settings().chain_specs()
    assert (anvil.name, anvil.chain_id, anvil.poll_interval_s) == ("anvil", 31337, 0.5)
    assert anvil.rpc_urls == ("http://127.0.0.1:8545",) and anvil.ws_url == "ws://127.0.0.1:8545"


def test_the_example_files_commented_public_chains_are_valid_when_enabled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lines = (ROOT / "blockbell.example.toml").read_text().splitlines()
    enabled, inside = [], False
    for line in lines:
        inside = line.startswith("# [chains.") or (inside and line.startswith("# "))
        enabled.append(line.removeprefix("# ") if inside else line)
    write_config(monkeypatch, tmp_path, "\n".join(enabled))
    specs = {spec.name: spec for spec in load_settings().chain_specs()}
    assert {name: spec.chain_id for name, spec in specs.items()} == {
        "anvil": 31337,
        "mainnet": 1,
        "base": 8453,
        "arbitrum": 42161,
        "polygon": 137,
        "cosmoshub": "cosmoshub-4",
        "osmosis": "osmosis-1",
    }
    assert specs["mainnet"].confirmations == 12
    assert specs["mainnet"].explorer_url == "https://etherscan.io"
    assert all(spec.explorer_url for name, spec in specs.items() if name != "anvil")
    hub, osmosis = specs["cosmoshub"], specs["osmosis"]
    assert (hub.family, hub.bech32_prefix, hub.confirmations) == ("cosmos", "cosmos", 0)
    assert hub.denoms == (Denom("uatom", "ATOM", 6),)
    assert hub.rpc_urls[0] == "https://cosmos-rpc.publicnode.com:443"
    assert hub.explorer_url == "https://www.mintscan.io/cosmos"
    assert (osmosis.bech32_prefix, osmosis.denoms) == ("osmo", (Denom("uosmo", "OSMO", 6),))
    assert osmosis.explorer_url == "https://www.mintscan.io/osmosis"


def test_an_explicitly_named_missing_file_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCKBELL_CONFIG", "/nowhere/blockbell.toml")
    with pytest.raises(SettingsError, match=r"^BLOCKBELL_CONFIG: cannot read /nowhere/"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "BLOCKBELL_HTTP_ADDR",
            "abc",
            "BLOCKBELL_HTTP_ADDR: expected host:port such as 127.0.0.1:8080, got 'abc'",
        ),
        ("BLOCKBELL_HTTP_ADDR", "host:99999", "BLOCKBELL_HTTP_ADDR: expected host:port"),
        ("BLOCKBELL_LOG_LEVEL", "loud", "BLOCKBELL_LOG_LEVEL: expected one of DEBUG, INFO"),
        (
            "BLOCKBELL_WEBHOOK_ALLOW_PRIVATE",
            "maybe",
            "BLOCKBELL_WEBHOOK_ALLOW_PRIVATE: expected true or false, got 'maybe'",
        ),
        ("BLOCKBELL_WEBHOOK_SCHEDULE", "0,soon", "BLOCKBELL_WEBHOOK_SCHEDULE: expected comma-"),
        ("BLOCKBELL_WEBHOOK_SCHEDULE", "0,-5", "BLOCKBELL_WEBHOOK_SCHEDULE: expected comma-"),
        ("BLOCKBELL_WEBHOOK_TIMEOUT", "0", "BLOCKBELL_WEBHOOK_TIMEOUT: expected seconds > 0"),
        ("BLOCKBELL_SECRET_KEY", "hunter2", "BLOCKBELL_SECRET_KEY: expected Fernet keys"),
        (
            "BLOCKBELL_SECRET_KEY",
            "n0uqsd4DTxTsSVIlBuvVYUe2YQ8dQsBRtP55Hm7vtE4=,hunter2",
            "BLOCKBELL_SECRET_KEY: expected Fernet keys, comma-separated",
        ),
        ("BLOCKBELL_WEBHOOK_PRIVATE_HOSTS", "a b", "BLOCKBELL_WEBHOOK_PRIVATE_HOSTS: expected"),
        ("BLOCKBELL_SECRET_OVERLAP", "-1", "BLOCKBELL_SECRET_OVERLAP: expected seconds >= 0"),
        ("BLOCKBELL_COMMANDS_PER_MINUTE", "0", "BLOCKBELL_COMMANDS_PER_MINUTE: expected a whole"),
        ("BLOCKBELL_MAX_SUBSCRIPTIONS", "lots", "BLOCKBELL_MAX_SUBSCRIPTIONS: expected a whole"),
        (
            "BLOCKBELL_MAX_WEBHOOKS_PER_PERSON",
            "-1",
            "BLOCKBELL_MAX_WEBHOOKS_PER_PERSON: expected a whole number >= 0",
        ),
        (
            "DATABASE_URL",
            "mysql://root:hunter2@db/x",
            "DATABASE_URL: expected sqlite://PATH or postgres://",
        ),
    ],
)
def test_a_bad_environment_variable_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value) and "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'family = "solana"\nchain_id = 1\nrpc_urls = ["https://h"]\n',
            """chains.main.family in {path}: expected "evm" or "cosmos", got 'solana'""",
        ),
        (
            'chain_id = 1\nrpc_urls = ["https://h"]\n',
            'chains.main.family in {path}: missing; expected "evm" or "cosmos"',
        ),
        (
            'family = "evm"\nchain_id = 0\nrpc_urls = ["https://h"]\n',
            "chains.main.chain_id in {path}: expected an integer greater than 0",
        ),
        (
            'family = "evm"\nchain_id = "1"\nrpc_urls = ["https://h"]\n',
            "chains.main.chain_id in {path}: expected an integer greater than 0",
        ),
        (
            'family = "evm"\nchain_id = 1\nrpc_urls = []\n',
            "chains.main.rpc_urls in {path}: expected a non-empty list of http(s) URLs",
        ),
        (
            'family = "evm"\nchain_id = 1\n',
            "chains.main.rpc_urls in {path}: missing; expected a non-empty list",
        ),
        (
            'family = "evm"\nchain_id = 1\nrpc_urls = ["ftp://files.example"]\n',
            "chains.main.rpc_urls in {path}: expected a non-empty list of http(s) URLs",
        ),
        (GOOD_CHAIN + 'ws_url = "https://h"\n', "chains.main.ws_url in {path}: expected a ws://"),
        (GOOD_CHAIN + "confirmations = -1\n", "chains.main.confirmations in {path}: expected"),
        (GOOD_CHAIN + "poll_interval = 0\n", "chains.main.poll_interval in {path}: expected"),
        (GOOD_CHAIN + "max_block_range = 100001\n", "chains.main.max_block_range in {path}"),
        (
            GOOD_CHAIN + 'start_block = "earliest"\n',
            'chains.main.start_block in {path}: expected "latest" or a block number >= 0',
        ),
        (GOOD_CHAIN + "start_block = -3\n", "chains.main.start_block in {path}: expected"),
        (GOOD_CHAIN + 'explorer_url = "etherscan.io"\n', "chains.main.explorer_url in {path}"),
        (GOOD_CHAIN + "max_reorg_depth = 0\n", "chains.main.max_reorg_depth in {path}"),
        (
            GOOD_CHAIN + "confirmation = 3\n",
            "chains.main.confirmation in {path}: unknown key; expected one of family, chain_id,",
        ),
    ],
)
def test_a_bad_chain_setting_is_named_with_its_file_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str, expected: str
) -> None:
    message = error_of(monkeypatch, tmp_path, body)
    assert message.startswith(expected.format(path=tmp_path / "chains.toml"))


def test_a_full_cosmos_table_becomes_a_chain_spec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(
        monkeypatch,
        tmp_path,
        """
[chains.osmosis]
family = "cosmos"
chain_id = "osmosis-1"
rpc_urls = ["https://rpc.a.example:443/KEY", "http://127.0.0.1:26657"]
rest_url = "https://rest.a.example"
bech32_prefix = "osmo"
confirmations = 1
poll_interval = 0.5
start_block = 25000000
explorer_url = "https://www.mintscan.io/osmosis"
max_reorg_depth = 4
fetch_concurrency = 16
max_block_range = 200

[[chains.osmosis.denoms]]
base = "uosmo"
display = "OSMO"
exponent = 6

[[chains.osmosis.denoms]]
base = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
display = "ATOM"
exponent = 6

[[chains.osmosis.denoms]]
base = "uion"
display = "ION"
exponent = 0
""",
    )
    (osmosis,) = load_settings().chain_specs()
    assert osmosis == ChainSpec(
        name="osmosis",
        family="cosmos",
        chain_id="osmosis-1",
        rpc_urls=("https://rpc.a.example:443/KEY", "http://127.0.0.1:26657"),
        rest_url="https://rest.a.example",
        bech32_prefix="osmo",
        denoms=(
            Denom("uosmo", "OSMO", 6),
            Denom(
                "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2", "ATOM", 6
            ),
            Denom("uion", "ION", 0),
        ),
        confirmations=1,
        poll_interval_s=0.5,
        start_block=25000000,
        explorer_url="https://www.mintscan.io/osmosis",
        max_reorg_depth=4,
        fetch_concurrency=16,
        max_block_range=200,
    )
    assert osmosis.ws_url is None


def test_a_minimal_cosmos_table_takes_the_cosmos_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(monkeypatch, tmp_path, "[chains.hub]\n" + GOOD_COSMOS)
    (hub,) = load_settings().chain_specs()
    assert (hub.chain_id, hub.bech32_prefix, hub.denoms) == (
        "cosmoshub-4",
        "cosmos",
        (Denom("uatom", "ATOM", 6),),
    )
    assert (hub.confirmations, hub.poll_interval_s, hub.start_block) == (0, 1.0, None)
    assert (hub.max_reorg_depth, hub.fetch_concurrency, hub.max_block_range) == (16, 8, 50)
    assert hub.rest_url is None and hub.ws_url is None and hub.explorer_url is None
    assert hub.validator_prefix is None


def test_a_cosmos_chain_may_name_its_validators_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    crypto_org = cosmos_with(bech32_prefix='"cro"') + 'validator_prefix = "crocncl"\n'
    write_config(monkeypatch, tmp_path, f"[chains.cro]\n{crypto_org}\n[chains.hub]\n{GOOD_COSMOS}")
    specs = {spec.name: spec for spec in load_settings().chain_specs()}
    assert (specs["cro"].bech32_prefix, specs["cro"].validator_prefix) == ("cro", "crocncl")
    assert specs["hub"].validator_prefix is None


def test_a_chain_may_say_after_how_long_without_a_block_its_subscribers_are_told(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(
        monkeypatch,
        tmp_path,
        f"[chains.main]\n{GOOD_CHAIN}quiet_after = 600\n"
        f"[chains.hub]\n{GOOD_COSMOS}quiet_after = 90.5\n"
        f"[chains.local]\n{GOOD_CHAIN}",
    )
    specs = {spec.name: spec.quiet_after_s for spec in load_settings().chain_specs()}
    assert specs == {"main": 600.0, "hub": 90.5, "local": None}


def test_evm_and_cosmos_chains_load_from_one_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(
        monkeypatch,
        tmp_path,
        f"[chains.mainnet]\n{GOOD_CHAIN}\n[chains.hub]\n{GOOD_COSMOS}\n"
        f"[chains.anvil]\n{GOOD_CHAIN.replace('chain_id = 1', 'chain_id = 31337')}",
    )
    specs = load_settings().chain_specs()
    assert [(spec.name, spec.family, spec.chain_id) for spec in specs] == [
        ("mainnet", "evm", 1),
        ("hub", "cosmos", "cosmoshub-4"),
        ("anvil", "evm", 31337),
    ]
    assert specs[0].bech32_prefix is None and specs[0].denoms == ()
    assert (specs[0].poll_interval_s, specs[1].poll_interval_s) == (2.0, 1.0)


def cosmos_with(**changes: str | None) -> str:
    """GOOD_COSMOS with keys replaced (the value as TOML text) or, given None, left out."""
    values: dict[str, str | None] = {}
    for line in GOOD_COSMOS.splitlines():
        key, value = line.split(" = ", 1)
        values[key] = value
    values |= changes
    return "".join(f"{key} = {value}\n" for key, value in values.items() if value is not None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            cosmos_with(chain_id="4"),
            'chains.main.chain_id in {path}: expected the network id such as "cosmoshub-4":'
            ' 1 to 50 letters, digits, ".", "_" or "-", got 4',
        ),
        (
            cosmos_with(chain_id='"cosmos hub"'),
            "chains.main.chain_id in {path}: expected the network id such as",
        ),
        (cosmos_with(chain_id='"' + "c" * 51 + '"'), "chains.main.chain_id in {path}: expected"),
        (
            cosmos_with(chain_id=None),
            'chains.main.chain_id in {path}: missing; expected the network id such as "cosmos',
        ),
        (
            cosmos_with(rpc_urls='["tcp://127.0.0.1:26657"]'),
            "chains.main.rpc_urls in {path}: expected a non-empty list of CometBFT RPC http(s)",
        ),
        (
            cosmos_with(rest_url='"grpc.example:9090"'),
            "chains.main.rest_url in {path}: expected an http(s) URL of the SDK's REST (LCD) API",
        ),
        (
            cosmos_with(bech32_prefix='"Cosmos"'),
            "chains.main.bech32_prefix in {path}: expected the account address prefix such as"
            ' "cosmos" or "osmo": 1 to 20 lower-case letters or digits, got \'Cosmos\'',
        ),
        (cosmos_with(bech32_prefix='"osmo-"'), "chains.main.bech32_prefix in {path}: expected"),
        (cosmos_with(bech32_prefix='""'), "chains.main.bech32_prefix in {path}: expected"),
        (
            cosmos_with(bech32_prefix=None),
            "chains.main.bech32_prefix in {path}: missing; expected the account address prefix",
        ),
        (
            GOOD_COSMOS + 'validator_prefix = "CosmosValoper"\n',
            "chains.main.validator_prefix in {path}: expected the validator operator address"
            ' prefix where it is not the account prefix and "valoper", such as "crocncl" for'
            " \"cro\": 1 to 20 lower-case letters or digits, got 'CosmosValoper'",
        ),
        (GOOD_COSMOS + 'validator_prefix = ""\n', "chains.main.validator_prefix in {path}: ex"),
        (GOOD_COSMOS + "validator_prefix = 1\n", "chains.main.validator_prefix in {path}: ex"),
        (
            GOOD_COSMOS + 'validator_prefix = "iva"\n',
            "chains.main.validator_prefix in {path}: expected the account prefix 'cosmos'"
            " followed by more lower-case letters or digits, such as 'cosmosvaloper', got 'iva':"
            " filters know a chain's addresses by the account prefix they start with",
        ),
        (
            GOOD_COSMOS + 'validator_prefix = "cosmos"\n',
            "chains.main.validator_prefix in {path}: expected the account prefix 'cosmos'"
            " followed by more",
        ),
        (
            GOOD_CHAIN + "quiet_after = 0\n",
            "chains.main.quiet_after in {path}: expected seconds greater than 0, such as 600",
        ),
        (
            GOOD_COSMOS + 'quiet_after = "10m"\n',
            "chains.main.quiet_after in {path}: expected seconds greater than 0, such as 600",
        ),
        (
            GOOD_CHAIN + 'validator_prefix = "cosmosvaloper"\n',
            "chains.main.validator_prefix in {path}: not a setting of evm chains (only cosmos"
            " chains have it)",
        ),
        (
            cosmos_with(denoms="[]"),
            "chains.main.denoms in {path}: expected a non-empty list of tables such as"
            ' [{ base = "uatom", display = "ATOM", exponent = 6 }], got []',
        ),
        (
            cosmos_with(denoms=None),
            "chains.main.denoms in {path}: missing; expected a non-empty list of tables",
        ),
        (
            cosmos_with(denoms=f'[{ATOM}, {{ base = "uatom", display = "MATOM", exponent = 9 }}]'),
            "chains.main.denoms in {path}: base 'uatom' is given twice; expected each base denom"
            " once and each display name once, in any case",
        ),
        (
            cosmos_with(denoms=f'[{ATOM}, {{ base = "stuatom", display = "atom", exponent = 6 }}]'),
            "chains.main.denoms in {path}: display 'ATOM' is given twice (as 'ATOM' and as"
            " 'atom'); expected each base denom once",
        ),
        (
            cosmos_with(denoms='[{ base = "uatom", display = "ATOM", exponent = 31 }]'),
            "chains.main.denoms[0].exponent in {path}: expected an integer from 0 to 30: the"
            " decimal places from base to display units (6 for uatom and ATOM), got 31",
        ),
        (
            cosmos_with(denoms=f'[{ATOM}, {{ base = "uosmo", display = "OSMO", exponent = -1 }}]'),
            "chains.main.denoms[1].exponent in {path}: expected an integer from 0 to 30",
        ),
        (
            cosmos_with(denoms='[{ base = "uatom", display = "ATOM", exponent = "6" }]'),
            "chains.main.denoms[0].exponent in {path}: expected an integer from 0 to 30",
        ),
        (
            cosmos_with(denoms='[{ base = "u", display = "ATOM", exponent = 6 }]'),
            'chains.main.denoms[0].base in {path}: expected an SDK denom such as "uatom"',
        ),
        (
            cosmos_with(denoms='[{ base = "uatom", display = "", exponent = 6 }]'),
            'chains.main.denoms[0].display in {path}: expected a name such as "ATOM"',
        ),
        (
            cosmos_with(denoms='[{ base = "uatom", display = "ATOM COIN", exponent = 6 }]'),
            "chains.main.denoms[0].display in {path}: expected a name such as",
        ),
        (
            cosmos_with(denoms='[{ base = "uatom", exponent = 6 }]'),
            "chains.main.denoms[0].display in {path}: missing; expected a name such as",
        ),
        (
            cosmos_with(
                denoms='[{ base = "uatom", display = "ATOM", exponent = 6, decimals = 6 }]'
            ),
            "chains.main.denoms[0].decimals in {path}: unknown key; expected one of base,"
            " display, exponent",
        ),
        (
            cosmos_with(denoms='["uatom"]'),
            'chains.main.denoms[0] in {path}: expected a table such as { base = "uatom",'
            " display = \"ATOM\", exponent = 6 }, got 'uatom'",
        ),
        (
            GOOD_COSMOS + 'ws_url = "wss://rpc.example/websocket"\n',
            "chains.main.ws_url in {path}: not a setting of cosmos chains (only evm chains have"
            " it); expected one of family, chain_id, rpc_urls, rest_url, bech32_prefix, denoms,",
        ),
        (
            GOOD_CHAIN + 'bech32_prefix = "cosmos"\n',
            "chains.main.bech32_prefix in {path}: not a setting of evm chains (only cosmos chains"
            " have it); expected one of family, chain_id, rpc_urls, ws_url,",
        ),
        (
            GOOD_COSMOS + "confirmation = 3\n",
            "chains.main.confirmation in {path}: unknown key; expected one of family, chain_id,"
            " rpc_urls, rest_url,",
        ),
        (GOOD_COSMOS + "confirmations = -1\n", "chains.main.confirmations in {path}: expected"),
        (GOOD_COSMOS + "poll_interval = 0\n", "chains.main.poll_interval in {path}: expected"),
        (
            GOOD_COSMOS + "start_block = 0\n",
            'chains.main.start_block in {path}: expected "latest" or a height >= 1, got 0',
        ),
        (GOOD_COSMOS + "max_reorg_depth = 0\n", "chains.main.max_reorg_depth in {path}"),
        (
            GOOD_COSMOS + "fetch_concurrency = 65\n",
            "chains.main.fetch_concurrency in {path}: expected an integer from 1 to 64",
        ),
        (GOOD_COSMOS + "fetch_concurrency = 0\n", "chains.main.fetch_concurrency in {path}"),
        (
            GOOD_COSMOS + "max_block_range = 1001\n",
            "chains.main.max_block_range in {path}: expected an integer from 1 to 1000",
        ),
        (
            cosmos_with(family='"Cosmos"'),
            """chains.main.family in {path}: expected "evm" or "cosmos", got 'Cosmos'""",
        ),
    ],
)
def test_a_bad_cosmos_setting_is_named_with_its_file_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str, expected: str
) -> None:
    message = error_of(monkeypatch, tmp_path, body)
    assert message.startswith(expected.replace("{path}", str(tmp_path / "chains.toml"))), message


def test_rest_url_keys_stay_out_of_errors_and_repr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = error_of(
        monkeypatch, tmp_path, GOOD_COSMOS + f'rest_url = "ftp://lcd.example/{API_KEY}"\n'
    )
    assert API_KEY not in message and "'ftp://lcd.example'" in message
    write_config(
        monkeypatch,
        tmp_path,
        "[chains.hub]\n"
        + cosmos_with(rpc_urls=f'["https://rpc.example/{API_KEY}"]')
        + f'rest_url = "https://lcd.example/rest?key={API_KEY}"\n',
    )
    settings = load_settings()
    shown = repr(settings) + repr(settings.chains["hub"]) + repr(settings.chain_specs())
    assert API_KEY not in shown and "https://lcd.example" in shown
    assert API_KEY in settings.secret_values()


def test_rpc_url_keys_stay_out_of_errors_and_repr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = error_of(
        monkeypatch,
        tmp_path,
        f'family = "evm"\nchain_id = 1\nrpc_urls = ["https://a.example/v2/{API_KEY}", "x"]\n'
        f'ws_url = "https://a.example/ws/{API_KEY}"\n',
    )
    assert API_KEY not in message
    write_config(
        monkeypatch,
        tmp_path,
        f'[chains.main]\nfamily = "evm"\nchain_id = 1\n'
        f'rpc_urls = ["https://a.example/v2/{API_KEY}?token={API_KEY}"]\n'
        f'ws_url = "wss://a.example/ws/{API_KEY}"\n',
    )
    monkeypatch.setenv("DATABASE_URL", "postgres://blockbell:hunter2@db.example/blockbell")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:" + "t" * 35)
    settings = load_settings()
    shown = repr(settings) + str(settings) + repr(settings.chains["main"])
    assert API_KEY not in shown and "hunter2" not in shown and "t" * 35 not in shown
    assert "https://a.example" in shown and "postgres://db.example/blockbell" in shown
    assert {API_KEY, "hunter2", "123456:" + "t" * 35} <= set(settings.secret_values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[chain.main]\nfamily = "evm"\n', r"^chain in .*: unknown top-level key"),
        ("[chains.main]\nfamily = \n", r"^BLOCKBELL_CONFIG: .* is not valid TOML: .*line 2"),
        ("[chains]\nmain = 5\n", r"^chains\.main in .*: expected a table such as \[chains\."),
        ("[chains.Main]\n" + GOOD_CHAIN, r"^chains\.Main in .*: expected a chain name of lower"),
    ],
)
def test_a_malformed_file_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, expected: str
) -> None:
    write_config(monkeypatch, tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert re.search(expected, str(caught.value)) and "\n" not in str(caught.value)


def test_the_environment_variable_names_are_those_the_documentation_gives() -> None:
    assert environment_variable_names() == {
        "DATABASE_URL",
        "BLOCKBELL_CONFIG",
        "BLOCKBELL_HTTP_ADDR",
        "BLOCKBELL_WEBHOOK_ALLOW_PRIVATE",
        "BLOCKBELL_WEBHOOK_ALLOW_HTTP",
        "BLOCKBELL_WEBHOOK_PRIVATE_HOSTS",
        "BLOCKBELL_SECRET_KEY",
        "BLOCKBELL_SECRET_OVERLAP",
        "BLOCKBELL_MAX_SUBSCRIPTIONS",
        "BLOCKBELL_MAX_WEBHOOKS",
        "BLOCKBELL_COMMANDS_PER_MINUTE",
        "BLOCKBELL_MAX_SUBSCRIPTIONS_PER_PERSON",
        "BLOCKBELL_MAX_WEBHOOKS_PER_PERSON",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "DISCORD_BOT_TOKEN",
        "DISCORD_API_URL",
        "DISCORD_GATEWAY_URL",
        "DISCORD_GUILD_ID",
        "BLOCKBELL_LOG_LEVEL",
        "BLOCKBELL_WEBHOOK_SCHEDULE",
        "BLOCKBELL_WEBHOOK_TIMEOUT",
        "BLOCKBELL_STALL_AFTER_S",
        "BLOCKBELL_LEASE_TTL",
        "BLOCKBELL_CLAIM_LEASE",
    }


def test_the_telegram_api_url_defaults_to_telegram_and_may_point_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().telegram_api_url == "https://api.telegram.org"
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081")
    assert load_settings().telegram_api_url == "http://127.0.0.1:8081"


def test_a_telegram_api_url_that_is_not_http_names_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", "ftp://api.telegram.org/secret-path-of-a-proxy")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("TELEGRAM_API_URL: expected an http(s) URL")
    assert "secret-path" not in message


def test_a_claim_lease_shorter_than_the_slowest_send_names_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BLOCKBELL_WEBHOOK_TIMEOUT", "30")
    monkeypatch.setenv("BLOCKBELL_CLAIM_LEASE", "35")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        "BLOCKBELL_CLAIM_LEASE: expected seconds >= 40 (the slowest send, 30 s, plus 10), got 35"
    )
    monkeypatch.setenv("BLOCKBELL_CLAIM_LEASE", "40")
    assert load_settings().claim_lease_s == 40
