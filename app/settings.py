"""Blockbell's configuration: environment variables plus the chains TOML file, validated once."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import SplitResult, parse_qsl, urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from storage.db import normalize_database_url
from watcher.types import ChainSpec

DEFAULT_CONFIG_PATH = "./blockbell.toml"
DEFAULT_DATABASE_URL = "sqlite://./data/blockbell.sqlite3"
DEFAULT_WEBHOOK_SCHEDULE_S = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
CHAIN_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# Providers put API keys in URL paths and queries (Alchemy, Infura, QuickNode): such URLs are
# only ever shown as scheme://host, and their long path segments are treated as secrets.
URL_SETTINGS = frozenset(
    {
        "rpc_urls",
        "ws_url",
        "explorer_url",
        "telegram_api_url",
        "TELEGRAM_API_URL",
        "discord_api_url",
        "DISCORD_API_URL",
    }
)
DATABASE_SETTINGS = frozenset({"database_url", "DATABASE_URL"})
TOKEN_SETTINGS = frozenset({"TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN"})
MIN_KEY_LENGTH = 16
NOT_A_URL = "a value that is not a URL"


class SettingsError(Exception):
    """The configuration is invalid; str() is one line naming the setting and what is expected."""


def describe_url(url: str) -> str:
    """scheme://host[:port] of a URL, leaving out the user, path and query that may hold keys."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return NOT_A_URL
    port = f":{parts.port}" if _has_valid_port(parts) and parts.port is not None else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def describe_database_url(url: str) -> str:
    """A database URL without its password: SQLite paths as they are, servers as
    scheme://host[:port]/name."""
    if url.startswith("sqlite://"):
        return url
    parts = urlsplit(url)
    return describe_url(url) + parts.path if parts.hostname else describe_url(url)


def parse_host_port(text: str) -> tuple[str, int]:
    """Split "host:port" (an IPv6 host in brackets); port 0 asks the system for a free port."""
    host, separator, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not separator or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"not host:port: {text!r}")
    return host, int(port)


def _has_valid_port(parts: SplitResult) -> bool:
    try:
        return parts.port is None or parts.port >= 0
    except ValueError:
        return False


def _url_of(*schemes: str) -> AfterValidator:
    def check(url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in schemes or not parts.hostname or not _has_valid_port(parts):
            raise ValueError(f"not a {'/'.join(schemes)} URL")
        return url

    return AfterValidator(check)


def _check_host_port(text: str) -> str:
    parse_host_port(text)
    return text


def _check_database_url(url: str) -> str:
    if url.startswith("sqlite://") and len(url) > len("sqlite://"):
        return url
    if normalize_database_url(url).startswith("postgres://") and urlsplit(url).hostname:
        return url
    raise ValueError("not a database URL")


def _split_commas(value: object) -> object:
    return tuple(part.strip() for part in value.split(",")) if isinstance(value, str) else value


def _empty_as_unset(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


HttpUrl = Annotated[str, _url_of("http", "https")]
WsUrl = Annotated[str, _url_of("ws", "wss")]
ChainName = Annotated[str, Field(pattern=CHAIN_NAME_PATTERN)]
Token = Annotated[SecretStr | None, BeforeValidator(_empty_as_unset)]
Seconds = Annotated[float, Field(ge=0)]


class ChainConfig(BaseModel):
    """One `[chains.NAME]` table of the TOML file; the descriptions are what errors expect."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    family: Literal["evm"] = Field(description='"evm" (the only chain family supported so far)')
    chain_id: int = Field(gt=0, description="an integer greater than 0 (1 for Ethereum mainnet)")
    rpc_urls: list[HttpUrl] = Field(
        min_length=1, description='a non-empty list of http(s) URLs such as ["https://host"]'
    )
    ws_url: WsUrl | None = Field(default=None, description="a ws:// or wss:// URL")
    confirmations: int = Field(default=0, ge=0, description="an integer >= 0")
    poll_interval: float = Field(
        default=2.0, gt=0, description="seconds greater than 0, such as 2 or 0.5"
    )
    max_block_range: int = Field(
        default=2000, ge=1, le=100_000, description="an integer from 1 to 100000"
    )
    start_block: Literal["latest"] | Annotated[int, Field(ge=0)] = Field(
        default="latest", description='"latest" or a block number >= 0'
    )
    explorer_url: HttpUrl | None = Field(
        default=None, description="an http(s) URL such as https://host"
    )
    max_reorg_depth: int = Field(default=128, ge=1, description="an integer >= 1")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        return _redacted_repr_args(super().__repr_args__())

    def to_spec(self, name: str) -> ChainSpec:
        return ChainSpec(
            name=name,
            family=self.family,
            chain_id=self.chain_id,
            rpc_urls=tuple(self.rpc_urls),
            ws_url=self.ws_url,
            confirmations=self.confirmations,
            poll_interval_s=self.poll_interval,
            max_block_range=self.max_block_range,
            start_block=None if self.start_block == "latest" else self.start_block,
            explorer_url=self.explorer_url,
            max_reorg_depth=self.max_reorg_depth,
        )


class Settings(BaseSettings):
    """Everything a Blockbell process is configured with; secrets only from the environment."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    database_url: Annotated[str, AfterValidator(_check_database_url)] = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias="DATABASE_URL",
        description="sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/NAME",
    )
    config_path: Path = Field(
        default=Path(DEFAULT_CONFIG_PATH),
        validation_alias="BLOCKBELL_CONFIG",
        description="a file path",
    )
    http_addr: Annotated[str, AfterValidator(_check_host_port)] = Field(
        default="127.0.0.1:8080",
        validation_alias="BLOCKBELL_HTTP_ADDR",
        description="host:port such as 127.0.0.1:8080",
    )
    webhook_allow_private: bool = Field(
        default=False,
        validation_alias="BLOCKBELL_WEBHOOK_ALLOW_PRIVATE",
        description="true or false",
    )
    telegram_bot_token: Token = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN", description="the token @BotFather gave"
    )
    telegram_api_url: HttpUrl = Field(
        default="https://api.telegram.org",
        validation_alias="TELEGRAM_API_URL",
        description="an http(s) URL of a Bot API server such as https://api.telegram.org",
    )
    discord_bot_token: Token = Field(
        default=None,
        validation_alias="DISCORD_BOT_TOKEN",
        description="the Discord application's token",
    )
    discord_api_url: str = Field(
        default="https://discord.com/api/v10",
        validation_alias="DISCORD_API_URL",
        description="the base URL of Discord's REST API such as https://discord.com/api/v10",
    )
    discord_gateway_url: WsUrl = Field(
        default="wss://gateway.discord.gg/",
        validation_alias="DISCORD_GATEWAY_URL",
        description="a ws(s) URL of Discord's gateway such as wss://gateway.discord.gg/",
    )
    discord_guild_id: Annotated[int | None, BeforeValidator(_empty_as_unset)] = Field(
        default=None,
        gt=0,
        validation_alias="DISCORD_GUILD_ID",
        description="a Discord server id whose slash commands update at once",
    )
    log_level: Annotated[str, AfterValidator(str.upper)] = Field(
        default="INFO",
        validation_alias="BLOCKBELL_LOG_LEVEL",
        pattern=f"(?i)^({'|'.join(LOG_LEVELS)})$",
        description=f"one of {', '.join(LOG_LEVELS)}",
    )
    webhook_schedule_s: Annotated[tuple[Seconds, ...], NoDecode, BeforeValidator(_split_commas)] = (
        Field(
            default=DEFAULT_WEBHOOK_SCHEDULE_S,
            min_length=1,
            validation_alias="BLOCKBELL_WEBHOOK_SCHEDULE",
            description="comma-separated seconds >= 0 such as 0,5,300",
        )
    )
    webhook_timeout_s: float = Field(
        default=15.0, gt=0, validation_alias="BLOCKBELL_WEBHOOK_TIMEOUT", description="seconds > 0"
    )
    stall_after_s: float = Field(
        default=120.0,
        gt=0,
        validation_alias="BLOCKBELL_STALL_AFTER_S",
        description="seconds > 0 such as 120",
    )
    # Filled from the TOML file by load_settings; NoDecode keeps the environment out of it.
    chains: Annotated[dict[ChainName, ChainConfig], NoDecode] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        return _redacted_repr_args(super().__repr_args__())

    def chain_specs(self) -> list[ChainSpec]:
        return [config.to_spec(name) for name, config in self.chains.items()]

    def secret_values(self) -> tuple[str, ...]:
        """Strings that must never reach a log: bot tokens and the keys inside configured URLs."""
        tokens = (self.telegram_bot_token, self.discord_bot_token)
        database_password = urlsplit(self.database_url).password
        urls: list[str] = []
        for chain in self.chains.values():
            urls += [*chain.rpc_urls, *([chain.ws_url] if chain.ws_url else [])]
        found = [token.get_secret_value() for token in tokens if token is not None]
        found += [database_password] if database_password else []
        return tuple(found + [key for url in urls for key in _keys_in_url(url)])


def _keys_in_url(url: str) -> Iterable[str]:
    parts = urlsplit(url)
    candidates = [*parts.path.split("/"), *(value for _, value in parse_qsl(parts.query))]
    found = [text for text in candidates if len(text) >= MIN_KEY_LENGTH]
    return found + ([parts.password] if parts.password else [])


def _redacted_repr_args(args: Iterable[tuple[str | None, Any]]) -> Iterator[tuple[str | None, Any]]:
    for name, value in args:
        if name in DATABASE_SETTINGS and isinstance(value, str):
            yield name, describe_database_url(value)
        elif name in URL_SETTINGS and isinstance(value, str):
            yield name, describe_url(value)
        elif name in URL_SETTINGS and isinstance(value, list):
            yield name, [describe_url(url) for url in value]
        else:
            yield name, value


def environment_variable_names() -> frozenset[str]:
    """The environment variables Blockbell reads, as the Settings model declares them."""
    aliases = (field.validation_alias for field in Settings.model_fields.values())
    return frozenset(alias for alias in aliases if isinstance(alias, str))


def load_settings() -> Settings:
    """Read the environment and the chains TOML file it names; raise SettingsError if invalid."""
    try:
        environment_only = Settings()
    except PydanticValidationError as exc:
        raise SettingsError(_describe_error(exc, Path(DEFAULT_CONFIG_PATH))) from None
    config_path = environment_only.config_path
    explicit = "config_path" in environment_only.model_fields_set
    chains = _read_chains_table(config_path, explicit=explicit)
    try:
        settings = Settings(chains=chains)
    except PydanticValidationError as exc:
        raise SettingsError(_describe_error(exc, config_path)) from None
    _create_sqlite_directory(settings.database_url)
    return settings


def _read_chains_table(path: Path, *, explicit: bool) -> Any:
    if not explicit and not path.exists():
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"BLOCKBELL_CONFIG: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"BLOCKBELL_CONFIG: {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(document) - {"chains"})
    if unknown:
        raise SettingsError(
            f"{unknown[0]} in {path}: unknown top-level key; expected only [chains.NAME] tables"
        )
    return document.get("chains", {})


def _create_sqlite_directory(database_url: str) -> None:
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if database_url.startswith("sqlite://") and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _describe_error(exc: PydanticValidationError, config_path: Path) -> str:
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    if loc[0] == "chains":
        return _describe_chain_error(error["type"], loc, error["input"], config_path)
    field = _settings_field(loc[0])
    return f"{loc[0]}: expected {field.description}, got {_shown(loc[0], error['input'])}"


def _describe_chain_error(kind: str, loc: list[str], given: object, config_path: Path) -> str:
    where = f"in {config_path}"
    if len(loc) == 3 and loc[2] == "[key]":
        return (
            f"chains.{loc[1]} {where}: expected a chain name of lower-case letters, digits,"
            " '-' and '_' (at most 64 characters)"
        )
    if len(loc) < 3:
        return f"{'.'.join(loc)} {where}: expected a table such as [chains.mainnet]"
    setting, field = f"chains.{loc[1]}.{loc[2]}", ChainConfig.model_fields.get(loc[2])
    if kind == "extra_forbidden" or field is None:
        return (
            f"{setting} {where}: unknown key; expected one of {', '.join(ChainConfig.model_fields)}"
        )
    if kind == "missing":
        return f"{setting} {where}: missing; expected {field.description}"
    return f"{setting} {where}: expected {field.description}, got {_shown(loc[2], given)}"


def _settings_field(alias: str) -> FieldInfo:
    by_alias = {field.validation_alias: field for field in Settings.model_fields.values()}
    return by_alias[alias]


def _shown(name: str, value: object) -> str:
    if name in TOKEN_SETTINGS:
        return "(hidden)"
    if name in DATABASE_SETTINGS and isinstance(value, str):
        return repr(describe_database_url(value))
    if name in URL_SETTINGS and isinstance(value, str):
        shown = describe_url(value)
        return shown if shown == NOT_A_URL else repr(shown)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
