"""Blockbell's configuration: environment variables plus the chains TOML file, validated once."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import SplitResult, parse_qsl, urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from storage.db import normalize_database_url
from watcher.cosmos_denoms import DENOM_PATTERN, Denom
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
        "rest_url",
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
FAMILY_EXPECTED = '"evm" or "cosmos"'
# CometBFT's network id (genesis chain_id): at most 50 characters; Cosmos ids are word-number.
COSMOS_CHAIN_ID_PATTERN = r"^[A-Za-z0-9._-]{1,50}$"
BECH32_PREFIX_PATTERN = r"^[a-z0-9]{1,20}$"
# Display names are written after amounts in filters (`1.5ATOM`), so they read like a denom.
DISPLAY_PATTERN = r"^[A-Za-z][A-Za-z0-9._-]{0,19}$"
DENOM_EXAMPLE = '{ base = "uatom", display = "ATOM", exponent = 6 }'


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


class _ChainTable(BaseModel):
    """Shared by every `[chains.NAME]` table: strict types, no unknown keys, no URL key in repr."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        return _redacted_repr_args(super().__repr_args__())


class EvmChainConfig(_ChainTable):
    """One `[chains.NAME]` table of an EVM chain; the descriptions are what errors expect."""

    family: Literal["evm"] = Field(description=FAMILY_EXPECTED)
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

    def secret_urls(self) -> list[str]:
        return [*self.rpc_urls, *([self.ws_url] if self.ws_url else [])]

    def to_spec(self, name: str) -> ChainSpec:
        return _spec(self, name, ws_url=self.ws_url)


class DenomConfig(BaseModel):
    """One entry of a Cosmos chain's `denoms`: the unit events count in and the one people use."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    base: str = Field(
        pattern=f"^{DENOM_PATTERN}$",
        description='an SDK denom such as "uatom" or "ibc/27394FB…": a letter, then 2 to 127'
        ' letters, digits, "/", ":", ".", "_" or "-"',
    )
    display: str = Field(
        pattern=DISPLAY_PATTERN,
        description='a name such as "ATOM": a letter, then up to 19 letters, digits, ".", "_"'
        ' or "-"',
    )
    exponent: int = Field(
        ge=0,
        le=30,
        description="an integer from 0 to 30: the decimal places from base to display units"
        " (6 for uatom and ATOM)",
    )


def _check_distinct_denoms(denoms: list[DenomConfig]) -> list[DenomConfig]:
    """No base twice (the SDK compares them case-sensitively) and no display name twice in any
    case (filters read `atom` and `ATOM` alike): either would make an amount ambiguous."""
    _check_distinct("base", [denom.base for denom in denoms], str)
    _check_distinct("display", [denom.display for denom in denoms], str.lower)
    return denoms


def _check_distinct(part: str, values: list[str], key: Callable[[str], str]) -> None:
    first: dict[str, str] = {}
    for value in values:
        if key(value) not in first:
            first[key(value)] = value
            continue
        earlier = first[key(value)]
        also = "" if earlier == value else f" (as {earlier!r} and as {value!r})"
        text = f"{part} {earlier!r} is given twice{also}"
        raise PydanticCustomError("duplicate_denom", "{text}", {"text": text})


class CosmosChainConfig(_ChainTable):
    """One `[chains.NAME]` table of a Cosmos SDK chain, read over CometBFT's RPC."""

    family: Literal["cosmos"] = Field(description=FAMILY_EXPECTED)
    chain_id: str = Field(
        pattern=COSMOS_CHAIN_ID_PATTERN,
        description='the network id such as "cosmoshub-4": 1 to 50 letters, digits, ".", "_"'
        ' or "-"',
    )
    rpc_urls: list[HttpUrl] = Field(
        min_length=1,
        description='a non-empty list of CometBFT RPC http(s) URLs such as ["https://host:443"]',
    )
    rest_url: HttpUrl | None = Field(
        default=None, description="an http(s) URL of the SDK's REST (LCD) API such as https://host"
    )
    bech32_prefix: str = Field(
        pattern=BECH32_PREFIX_PATTERN,
        description='the account address prefix such as "cosmos" or "osmo": 1 to 20 lower-case'
        " letters or digits",
    )
    denoms: Annotated[list[DenomConfig], AfterValidator(_check_distinct_denoms)] = Field(
        min_length=1,
        description='a non-empty list of tables such as [{ base = "uatom", display = "ATOM",'
        " exponent = 6 }]",
    )
    confirmations: int = Field(
        default=0, ge=0, description="an integer >= 0 (0 suits CometBFT's instant finality)"
    )
    poll_interval: float = Field(
        default=1.0, gt=0, description="seconds greater than 0, such as 1 or 0.5"
    )
    start_block: Literal["latest"] | Annotated[int, Field(ge=1)] = Field(
        default="latest", description='"latest" or a height >= 1'
    )
    explorer_url: HttpUrl | None = Field(
        default=None, description="an http(s) URL such as https://www.mintscan.io/cosmos"
    )
    max_reorg_depth: int = Field(default=16, ge=1, description="an integer >= 1")
    fetch_concurrency: int = Field(
        default=8, ge=1, le=64, description="an integer from 1 to 64 (heights fetched at once)"
    )
    max_block_range: int = Field(
        default=50, ge=1, le=1000, description="an integer from 1 to 1000 (heights per commit)"
    )

    def secret_urls(self) -> list[str]:
        return [*self.rpc_urls, *([self.rest_url] if self.rest_url else [])]

    def to_spec(self, name: str) -> ChainSpec:
        return _spec(
            self,
            name,
            bech32_prefix=self.bech32_prefix,
            denoms=tuple(Denom(d.base, d.display, d.exponent) for d in self.denoms),
            rest_url=self.rest_url,
            fetch_concurrency=self.fetch_concurrency,
        )


def _spec(table: EvmChainConfig | CosmosChainConfig, name: str, **family_fields: Any) -> ChainSpec:
    """The ChainSpec of a table: the keys every family has, then the family's own."""
    return ChainSpec(
        name=name,
        family=table.family,
        chain_id=table.chain_id,
        rpc_urls=tuple(table.rpc_urls),
        confirmations=table.confirmations,
        poll_interval_s=table.poll_interval,
        max_block_range=table.max_block_range,
        start_block=None if table.start_block == "latest" else table.start_block,
        explorer_url=table.explorer_url,
        max_reorg_depth=table.max_reorg_depth,
        **family_fields,
    )


# The table's `family` picks its model, so each family's keys are checked and listed alone.
ChainConfig = Annotated[EvmChainConfig | CosmosChainConfig, Field(discriminator="family")]
CHAIN_MODELS: dict[str, type[EvmChainConfig] | type[CosmosChainConfig]] = {
    "evm": EvmChainConfig,
    "cosmos": CosmosChainConfig,
}


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
        urls = [url for chain in self.chains.values() for url in chain.secret_urls()]
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
        return _describe_chain_error(error, loc, f"in {config_path}")
    field = _settings_field(loc[0])
    return f"{loc[0]}: expected {field.description}, got {_shown(loc[0], error['input'])}"


def _describe_chain_error(error: ErrorDetails, loc: list[str], where: str) -> str:
    """loc is ["chains", NAME] for the table itself, else ["chains", NAME, FAMILY, KEY, ...]:
    the discriminated union puts the family that picked the model before the key."""
    kind, given = error["type"], error["input"]
    if len(loc) == 3 and loc[2] == "[key]":
        return (
            f"chains.{loc[1]} {where}: expected a chain name of lower-case letters, digits,"
            " '-' and '_' (at most 64 characters)"
        )
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        family = given.get("family") if isinstance(given, dict) else given
        if kind == "union_tag_not_found":
            return f"chains.{loc[1]}.family {where}: missing; expected {FAMILY_EXPECTED}"
        return f"chains.{loc[1]}.family {where}: expected {FAMILY_EXPECTED}, got {family!r}"
    if len(loc) < 4 or loc[2] not in CHAIN_MODELS:
        return f"{'.'.join(loc[:2])} {where}: expected a table such as [chains.mainnet]"
    family, key, setting = loc[2], loc[3], f"chains.{loc[1]}.{loc[3]}"
    if key == "denoms" and len(loc) > 4:
        return _describe_denom_error(kind, loc[4:], given, f"{setting}[{loc[4]}]", where)
    if kind == "duplicate_denom":
        return (
            f"{setting} {where}: {error['msg']}; expected each base denom once and each display"
            " name once, in any case"
        )
    elsewhere = [name for name, model in CHAIN_MODELS.items() if key in model.model_fields]
    if kind == "extra_forbidden" and elsewhere:
        fields = ", ".join(CHAIN_MODELS[family].model_fields)
        return (
            f"{setting} {where}: not a setting of {family} chains (only {elsewhere[0]} chains"
            f" have it); expected one of {fields}"
        )
    return _describe_key_error(kind, setting, where, CHAIN_MODELS[family], key, given)


def _describe_denom_error(
    kind: str, loc: list[str], given: object, setting: str, where: str
) -> str:
    """loc is [INDEX] when the entry is not a table, else [INDEX, KEY]."""
    if len(loc) < 2:
        return (
            f"{setting} {where}: expected a table such as {DENOM_EXAMPLE}, got {_shown('', given)}"
        )
    return _describe_key_error(kind, f"{setting}.{loc[1]}", where, DenomConfig, loc[1], given)


def _describe_key_error(
    kind: str, setting: str, where: str, model: type[BaseModel], key: str, given: object
) -> str:
    field = model.model_fields.get(key)
    if kind == "extra_forbidden" or field is None:
        return f"{setting} {where}: unknown key; expected one of {', '.join(model.model_fields)}"
    if kind == "missing":
        return f"{setting} {where}: missing; expected {field.description}"
    return f"{setting} {where}: expected {field.description}, got {_shown(key, given)}"


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
