"""Blockbell's configuration: environment variables plus the chains TOML file, validated once.

The chains' tables are app/chain_settings.py, the kinds of value app/setting_values.py, how a
setting is shown without its secrets app/setting_display.py, and how an invalid one is told
app/setting_errors.py.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from app.chain_settings import ChainConfig, ChainName
from app.setting_display import keys_in_url, redacted_repr_args
from app.setting_errors import describe_error
from app.setting_values import (
    CommaSeparated,
    DatabaseUrl,
    HostPort,
    HttpUrl,
    OptionalId,
    Seconds,
    SecretKey,
    Token,
    WebhookHostName,
    WsUrl,
)
from bot.core.quotas import Quotas
from notifier.webhook_targets import TargetRules
from watcher.types import ChainSpec

DEFAULT_CONFIG_PATH = "./blockbell.toml"
DEFAULT_DATABASE_URL = "sqlite://./data/blockbell.sqlite3"
DEFAULT_WEBHOOK_SCHEDULE_S = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """The configuration is invalid; str() is one line naming the setting and what is expected."""


def _from_environment(variable: str, default: Any, description: str, **constraints: Any) -> Any:
    """A setting read from the environment `variable`; `description` is what errors expect."""
    return Field(default=default, validation_alias=variable, description=description, **constraints)


class Settings(BaseSettings):
    """Everything a Blockbell process is configured with; secrets only from the environment."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    database_url: DatabaseUrl = _from_environment(
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/NAME",
    )
    config_path: Path = _from_environment(
        "BLOCKBELL_CONFIG", Path(DEFAULT_CONFIG_PATH), "a file path"
    )
    http_addr: HostPort = _from_environment(
        "BLOCKBELL_HTTP_ADDR", "127.0.0.1:8080", "host:port such as 127.0.0.1:8080"
    )
    webhook_allow_private: bool = _from_environment(
        "BLOCKBELL_WEBHOOK_ALLOW_PRIVATE", False, "true or false"
    )
    secret_keys: Annotated[tuple[SecretKey, ...], NoDecode, CommaSeparated] = _from_environment(
        "BLOCKBELL_SECRET_KEY",
        (),
        "Fernet keys, comma-separated, the newest first (make one with: python -c"
        " 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')",
    )
    secret_overlap_s: float = _from_environment(
        "BLOCKBELL_SECRET_OVERLAP", 86400.0, "seconds >= 0 such as 86400", ge=0
    )
    max_subscriptions: int = _from_environment(
        "BLOCKBELL_MAX_SUBSCRIPTIONS", 200, "a whole number >= 1 such as 200", ge=1
    )
    max_webhooks: int = _from_environment(
        "BLOCKBELL_MAX_WEBHOOKS", 20, "a whole number >= 0 such as 20", ge=0
    )
    commands_per_minute: int = _from_environment(
        "BLOCKBELL_COMMANDS_PER_MINUTE", 30, "a whole number >= 1 such as 30", ge=1
    )
    max_subscriptions_per_person: int = _from_environment(
        "BLOCKBELL_MAX_SUBSCRIPTIONS_PER_PERSON", 1000, "a whole number >= 1 such as 1000", ge=1
    )
    max_webhooks_per_person: int = _from_environment(
        "BLOCKBELL_MAX_WEBHOOKS_PER_PERSON", 50, "a whole number >= 0 such as 50", ge=0
    )
    webhook_allow_http: bool = _from_environment(
        "BLOCKBELL_WEBHOOK_ALLOW_HTTP", False, "true or false"
    )
    webhook_private_hosts: Annotated[tuple[WebhookHostName, ...], NoDecode, CommaSeparated] = (
        _from_environment(
            "BLOCKBELL_WEBHOOK_PRIVATE_HOSTS",
            (),
            "comma-separated host names such as hooks.internal,ci.lan",
        )
    )
    telegram_bot_token: Token = _from_environment(
        "TELEGRAM_BOT_TOKEN", None, "the token @BotFather gave"
    )
    telegram_api_url: HttpUrl = _from_environment(
        "TELEGRAM_API_URL",
        "https://api.telegram.org",
        "an http(s) URL of a Bot API server such as https://api.telegram.org",
    )
    discord_bot_token: Token = _from_environment(
        "DISCORD_BOT_TOKEN", None, "the Discord application's token"
    )
    discord_api_url: str = _from_environment(
        "DISCORD_API_URL",
        "https://discord.com/api/v10",
        "the base URL of Discord's REST API such as https://discord.com/api/v10",
    )
    discord_gateway_url: WsUrl = _from_environment(
        "DISCORD_GATEWAY_URL",
        "wss://gateway.discord.gg/",
        "a ws(s) URL of Discord's gateway such as wss://gateway.discord.gg/",
    )
    discord_guild_id: OptionalId = _from_environment(
        "DISCORD_GUILD_ID", None, "a Discord server id whose slash commands update at once", gt=0
    )
    log_level: Annotated[str, AfterValidator(str.upper)] = _from_environment(
        "BLOCKBELL_LOG_LEVEL",
        "INFO",
        f"one of {', '.join(LOG_LEVELS)}",
        pattern=f"(?i)^({'|'.join(LOG_LEVELS)})$",
    )
    webhook_schedule_s: Annotated[tuple[Seconds, ...], NoDecode, CommaSeparated] = (
        _from_environment(
            "BLOCKBELL_WEBHOOK_SCHEDULE",
            DEFAULT_WEBHOOK_SCHEDULE_S,
            "comma-separated seconds >= 0 such as 0,5,300",
            min_length=1,
        )
    )
    webhook_timeout_s: float = _from_environment(
        "BLOCKBELL_WEBHOOK_TIMEOUT", 15.0, "seconds > 0", gt=0
    )
    stall_after_s: float = _from_environment(
        "BLOCKBELL_STALL_AFTER_S", 120.0, "seconds > 0 such as 120", gt=0
    )
    lease_ttl_s: float = _from_environment(
        "BLOCKBELL_LEASE_TTL", 10.0, "seconds >= 1 such as 10", ge=1
    )
    claim_lease_s: float = _from_environment(
        "BLOCKBELL_CLAIM_LEASE", 60.0, "seconds > 0 such as 60", gt=0
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
        return redacted_repr_args(super().__repr_args__())

    @property
    def quotas(self) -> Quotas:
        return Quotas(
            subscriptions_per_chat=self.max_subscriptions,
            webhooks_per_chat=self.max_webhooks,
            commands_per_minute=self.commands_per_minute,
            subscriptions_per_person=self.max_subscriptions_per_person,
            webhooks_per_person=self.max_webhooks_per_person,
        )

    @property
    def webhook_targets(self) -> TargetRules:
        return TargetRules(
            allow_private=self.webhook_allow_private,
            allow_http=self.webhook_allow_http,
            private_hosts=frozenset(self.webhook_private_hosts),
        )

    def chain_specs(self) -> list[ChainSpec]:
        return [config.to_spec(name) for name, config in self.chains.items()]

    def secret_values(self) -> tuple[str, ...]:
        """Strings that must never reach a log: bot tokens and the keys inside configured URLs."""
        tokens = (self.telegram_bot_token, self.discord_bot_token)
        database_password = urlsplit(self.database_url).password
        urls = [url for chain in self.chains.values() for url in chain.secret_urls()]
        found = [token.get_secret_value() for token in tokens if token is not None]
        found += [key.get_secret_value() for key in self.secret_keys]
        found += [database_password] if database_password else []
        return tuple(found + [key for url in urls for key in keys_in_url(url)])


def _by_variable() -> dict[str, FieldInfo]:
    """The environment's settings by the name of the variable each is read from."""
    fields = Settings.model_fields.values()
    return {
        field.validation_alias: field for field in fields if isinstance(field.validation_alias, str)
    }


def environment_variable_names() -> frozenset[str]:
    """The environment variables Blockbell reads, as the Settings model declares them."""
    return frozenset(_by_variable())


def load_settings() -> Settings:
    """Read the environment and the chains TOML file it names; raise SettingsError if invalid."""
    try:
        environment_only = Settings()
    except PydanticValidationError as exc:
        raise SettingsError(
            describe_error(exc, Path(DEFAULT_CONFIG_PATH), _by_variable())
        ) from None
    config_path = environment_only.config_path
    explicit = "config_path" in environment_only.model_fields_set
    chains = _read_chains_table(config_path, explicit=explicit)
    try:
        settings = Settings(chains=chains)
    except PydanticValidationError as exc:
        raise SettingsError(describe_error(exc, config_path, _by_variable())) from None
    _check_claim_lease(settings)
    _create_sqlite_directory(settings.database_url)
    return settings


CHAT_SEND_TIMEOUT_S = 10.0
"""How long a Telegram or Discord send may take (notifier/channels)."""
CLAIM_LEASE_ROOM_S = 10.0
"""A round's lease beyond its slowest send: the notifier's margin and the wait for a Cosmos
chain's display units."""


def _check_claim_lease(settings: Settings) -> None:
    """A notifier must be able to send what it claimed before the claim runs out, or another
    would send it a second time."""
    slowest = max(settings.webhook_timeout_s, CHAT_SEND_TIMEOUT_S)
    if settings.claim_lease_s < slowest + CLAIM_LEASE_ROOM_S:
        raise SettingsError(
            f"BLOCKBELL_CLAIM_LEASE: expected seconds >= {slowest + CLAIM_LEASE_ROOM_S:g} (the "
            f"slowest send, {slowest:g} s, plus {CLAIM_LEASE_ROOM_S:g}), "
            f"got {settings.claim_lease_s:g}"
        )


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
