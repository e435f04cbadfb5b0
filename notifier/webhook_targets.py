"""What makes a webhook target acceptable before anything is sent, and new signing secrets.

Pure checks shared by everything that records a webhook (the CLI, the bots) and by the
channel that sends to it, so a URL accepted at one door is never refused at another.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
from enum import Enum
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_CHARS = 2048
"""The length of the destinations.target column."""
DISCORD_API_URL = "https://discord.com/api/v10"
DISCORD_HOSTS = ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com")
_DISCORD_WEBHOOK_PATH = re.compile(r"^/api(?:/v\d+)?/webhooks/(\d+)/([\w-]+)/?$")


class UrlProblem(Enum):
    MALFORMED = "malformed"
    """Not an http(s) URL with a host and a valid port, or longer than MAX_URL_CHARS."""
    PRIVATE = "private"
    """A loopback or private host, refused unless the operator allows private webhooks."""


def check_webhook_url(url: str, allow_private: bool) -> UrlProblem | None:
    """Why the notifier would refuse this webhook URL, or None when it is acceptable.

    Host names are not resolved here: the channel resolves them when it sends and checks
    every address it gets (a name can point elsewhere tomorrow).
    """
    host = webhook_host(url)
    if len(url) > MAX_URL_CHARS or host is None:
        return UrlProblem.MALFORMED
    if not allow_private and _is_private_host(host):
        return UrlProblem.PRIVATE
    return None


def webhook_host(url: str) -> str | None:
    """The host of an http(s) URL, or None when the URL has no host or a bad port."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        return None
    return host if parts.scheme in ("http", "https") and host else None


def is_public_address(address: IPAddress) -> bool:
    """False for loopback, private, link-local, reserved, multicast and unspecified addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def _is_private_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not is_public_address(ipaddress.ip_address(host))
    except ValueError:
        return False  # a name: checked when it is resolved


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def parse_discord_webhook_url(url: str, api_url: str) -> tuple[str, str] | None:
    """(id, token) of a channel webhook URL on Discord or on the configured API's host."""
    try:
        parts, api = urlsplit(url.strip()), urlsplit(api_url)
        on_api_host = parts.netloc == api.netloc and parts.scheme == api.scheme
    except ValueError:
        return None
    on_discord = parts.scheme == "https" and parts.netloc in DISCORD_HOSTS
    found = _DISCORD_WEBHOOK_PATH.match(parts.path)
    if not (on_api_host or on_discord) or found is None or parts.query or parts.fragment:
        return None
    return found.group(1), found.group(2)
