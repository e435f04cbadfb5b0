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
from watcher.types import ChainSpec

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "k3yk3yk3yk3yk3yk3yk3yk3y"
GOOD_CHAIN = 'family = "evm"\nchain_id = 1\nrpc_urls = ["https://rpc.example"]\n'


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
    }
    assert specs["mainnet"].confirmations == 12
    assert specs["mainnet"].explorer_url == "https://etherscan.io"
    assert all(spec.explorer_url for name, spec in specs.items() if name != "anvil")


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
            'family = "cosmos"\nchain_id = 1\nrpc_urls = ["https://h"]\n',
            'chains.main.family in {path}: expected "evm" (the only chain family supported so far),'
            " got 'cosmos'",
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
