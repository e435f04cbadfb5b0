"""How settings are shown in errors, reprs and listings without their secrets, and which parts
of them are secrets for the logs to redact."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.setting_values import has_valid_port

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
TOKEN_SETTINGS = frozenset({"TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "BLOCKBELL_SECRET_KEY"})
MIN_KEY_LENGTH = 16
NOT_A_URL = "a value that is not a URL"
MAX_SHOWN_CHARS = 80


def describe_url(url: str) -> str:
    """scheme://host[:port] of a URL, leaving out the user, path and query that may hold keys."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return NOT_A_URL
    port = f":{parts.port}" if has_valid_port(parts) and parts.port is not None else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def describe_database_url(url: str) -> str:
    """A database URL without its password: SQLite paths as they are, servers as
    scheme://host[:port]/name."""
    if url.startswith("sqlite://"):
        return url
    parts = urlsplit(url)
    return describe_url(url) + parts.path if parts.hostname else describe_url(url)


def keys_in_url(url: str) -> list[str]:
    """The parts of a URL that may be keys: long path segments and query values, a password."""
    parts = urlsplit(url)
    candidates = [*parts.path.split("/"), *(value for _, value in parse_qsl(parts.query))]
    found = [text for text in candidates if len(text) >= MIN_KEY_LENGTH]
    return found + ([parts.password] if parts.password else [])


def redacted_repr_args(args: Iterable[tuple[str | None, Any]]) -> Iterator[tuple[str | None, Any]]:
    """A pydantic model's repr arguments with its URLs shown as scheme://host."""
    for name, value in args:
        if name in DATABASE_SETTINGS and isinstance(value, str):
            yield name, describe_database_url(value)
        elif name in URL_SETTINGS and isinstance(value, str):
            yield name, describe_url(value)
        elif name in URL_SETTINGS and isinstance(value, list):
            yield name, [describe_url(url) for url in value]
        else:
            yield name, value


def shown_value(name: str, value: object) -> str:
    """A value as an error about the setting `name` may quote it: tokens hidden, URLs as
    scheme://host, anything long cut."""
    if name in TOKEN_SETTINGS:
        return "(hidden)"
    if name in DATABASE_SETTINGS and isinstance(value, str):
        return repr(describe_database_url(value))
    if name in URL_SETTINGS and isinstance(value, str):
        shown = describe_url(value)
        return shown if shown == NOT_A_URL else repr(shown)
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 3] + "..."
