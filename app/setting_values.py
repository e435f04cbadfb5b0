"""The kinds of value Blockbell's settings take, each checked as pydantic reads it: URLs of given
schemes, host:port, database URLs, seconds, bot tokens and comma-separated lists."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from storage.db import normalize_database_url
from storage.secret_box import check_key


def parse_host_port(text: str) -> tuple[str, int]:
    """Split "host:port" (an IPv6 host in brackets); port 0 asks the system for a free port."""
    host, separator, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not separator or not host or not port.isdecimal() or int(port) > 65535:
        raise ValueError(f"not host:port: {text!r}")
    return host, int(port)


def has_valid_port(parts: SplitResult) -> bool:
    """Whether a split URL's port, if it names one, is a port number."""
    try:
        return parts.port is None or parts.port >= 0
    except ValueError:
        return False


def _url_of(*schemes: str) -> AfterValidator:
    def check(url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in schemes or not parts.hostname or not has_valid_port(parts):
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


def _check_host_name(text: str) -> str:
    """A DNS host name, lower-cased: what a webhook URL's host is compared with."""
    name = text.strip().lower().rstrip(".")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"not a host name: {text!r}")
    return name


_HOST_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")


def _check_secret_key(key: SecretStr) -> SecretStr:
    check_key(key.get_secret_value())
    return key


def _split_commas(value: object) -> object:
    return tuple(part.strip() for part in value.split(",")) if isinstance(value, str) else value


def _empty_as_unset(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


HttpUrl = Annotated[str, _url_of("http", "https")]
WsUrl = Annotated[str, _url_of("ws", "wss")]
WebhookHostName = Annotated[str, AfterValidator(_check_host_name)]
SecretKey = Annotated[SecretStr, AfterValidator(_check_secret_key)]
HostPort = Annotated[str, AfterValidator(_check_host_port)]
DatabaseUrl = Annotated[str, AfterValidator(_check_database_url)]
Token = Annotated[SecretStr | None, BeforeValidator(_empty_as_unset)]
OptionalId = Annotated[int | None, BeforeValidator(_empty_as_unset)]
Seconds = Annotated[float, Field(ge=0)]
CommaSeparated = BeforeValidator(_split_commas)
"""Reads "0, 5,300" from the environment as its items; a list or tuple is left as it is."""
