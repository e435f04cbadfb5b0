"""What makes a webhook target acceptable before anything is sent, and new signing secrets.

Pure checks shared by everything that records a webhook (the CLI, the bots) and by the
channel that sends to it, so a URL accepted at one door is never refused at another.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass
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
    INSECURE = "insecure"
    """An http:// URL, refused unless the operator allows plain HTTP."""
    CREDENTIALS = "credentials"
    """A user name or password before the host (`https://user@host/`): a way to disguise the
    host, and a secret that would travel with every request."""
    PRIVATE = "private"
    """A loopback, private or otherwise internal host, refused unless the operator allows
    private webhooks or names the host."""


@dataclass(frozen=True, slots=True)
class TargetRules:
    """Where the operator lets webhooks go; the default is public https hosts only."""

    allow_private: bool = False
    """Any host, loopback and private addresses included (local setups and tests)."""
    allow_http: bool = False
    private_hosts: frozenset[str] = frozenset()
    """Host names the operator trusts: they may resolve to private addresses."""

    def trusts(self, host: str) -> bool:
        """Whether the host's addresses need no check."""
        return self.allow_private or _normalized_host(host) in self.private_hosts


LOCAL_TARGETS = TargetRules(allow_private=True, allow_http=True)
"""Everything, plain HTTP to this machine included: receivers of benchmarks and tests."""

# Names that never lead to the public internet (RFC 6761, 6762, 8375, and the clouds' own).
_INTERNAL_NAMES = ("localhost", "local", "internal", "home.arpa", "localdomain")
# Hosts a resolver would read as IPv4 written another way: 2130706433, 0x7f.1, 0177.0.0.1, 127.1.
_NUMERIC_HOST = re.compile(r"[0-9][0-9a-fx.]*", re.IGNORECASE)


def check_webhook_url(url: str, rules: TargetRules) -> UrlProblem | None:
    """Why the notifier would refuse this webhook URL, or None when it is acceptable.

    Host names are not resolved here: the channel resolves them when it sends and checks
    every address it gets (a name can point elsewhere tomorrow).
    """
    if len(url) > MAX_URL_CHARS:
        return UrlProblem.MALFORMED
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        return UrlProblem.MALFORMED
    if parts.scheme not in ("http", "https") or not host:
        return UrlProblem.MALFORMED
    if "@" in parts.netloc:
        return UrlProblem.CREDENTIALS
    if parts.scheme == "http" and not rules.allow_http:
        return UrlProblem.INSECURE
    if rules.trusts(host):
        return None
    return _host_problem(host)


def _host_problem(host: str) -> UrlProblem | None:
    name = _normalized_host(host)
    if any(name == internal or name.endswith("." + internal) for internal in _INTERNAL_NAMES):
        return UrlProblem.PRIVATE
    address = host_address(name)
    if address is not None:
        return None if is_public_address(address) else UrlProblem.PRIVATE
    if _NUMERIC_HOST.fullmatch(name):
        return UrlProblem.MALFORMED  # numbers no resolver reads as an address, nor DNS as a name
    return None


def _normalized_host(host: str) -> str:
    return host.lower().rstrip(".")


def host_address(host: str) -> IPAddress | None:
    """The address a host written as an IP address names, in any spelling a resolver accepts
    (`[::1]`, `127.0.0.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`); None for names."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _NUMERIC_HOST.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
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


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def is_public_address(address: IPAddress) -> bool:
    """False for loopback, private, link-local, shared (CGNAT), unique-local, reserved,
    multicast and unspecified addresses, the cloud metadata addresses among them, and for
    IPv6 addresses that carry one of those IPv4 addresses (mapped, compatible, 6to4,
    Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _is_public(embedded)
    return _is_public(address)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64) or int(address) >> 32 == 0:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # NAT64, or ::a.b.c.d
    return None


def _is_public(address: IPAddress) -> bool:
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


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
