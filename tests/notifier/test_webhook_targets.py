"""Which webhook targets are taken, at every door and when sending: public https hosts by
default, whatever way an internal address is spelled; a loopback listener stands in for the
network the service runs in and must never be reached."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from notifier.channels.webhook import WebhookChannel
from notifier.webhook_targets import (
    MAX_URL_CHARS,
    IPAddress,
    TargetRules,
    UrlProblem,
    check_webhook_url,
)

PRIVATE, INSECURE, CREDENTIALS, MALFORMED = (
    UrlProblem.PRIVATE,
    UrlProblem.INSECURE,
    UrlProblem.CREDENTIALS,
    UrlProblem.MALFORMED,
)
# {port} is the loopback listener's: a target that slipped through would reach it.
REFUSED = [
    ("https://127.0.0.1:{port}/hook", PRIVATE),
    ("https://127.1:{port}/hook", PRIVATE),
    ("https://127.000.000.001:{port}/hook", PRIVATE),
    ("https://2130706433:{port}/hook", PRIVATE),
    ("https://0x7f000001:{port}/hook", PRIVATE),
    ("https://0x7f.0.0.1:{port}/hook", PRIVATE),
    ("https://0177.0.0.1:{port}/hook", PRIVATE),
    ("https://017700000001:{port}/hook", PRIVATE),
    ("https://0:{port}/hook", PRIVATE),
    ("https://0.0.0.0:{port}/hook", PRIVATE),
    ("https://localhost:{port}/hook", PRIVATE),
    ("https://LOCALHOST.:{port}/hook", PRIVATE),
    ("https://api.localhost:{port}/hook", PRIVATE),
    ("https://printer.local:{port}/hook", PRIVATE),
    ("https://metadata.google.internal/computeMetadata/v1/", PRIVATE),
    ("https://router.home.arpa/", PRIVATE),
    ("https://[::1]:{port}/hook", PRIVATE),
    ("https://[0:0:0:0:0:0:0:1]:{port}/hook", PRIVATE),
    ("https://[::ffff:127.0.0.1]:{port}/hook", PRIVATE),
    ("https://[::ffff:7f00:1]:{port}/hook", PRIVATE),
    ("https://[::127.0.0.1]:{port}/hook", PRIVATE),
    ("https://[64:ff9b::7f00:1]:{port}/hook", PRIVATE),
    ("https://[2002:7f00:1::]:{port}/hook", PRIVATE),
    ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook", PRIVATE),  # Teredo, 127.0.0.1
    ("https://[::]:{port}/hook", PRIVATE),
    ("https://[fe80::1]/hook", PRIVATE),
    ("https://[fd00:ec2::254]/latest/meta-data/", PRIVATE),
    ("https://[fc00::1]/hook", PRIVATE),
    ("https://[ff02::1]/hook", PRIVATE),
    ("https://10.0.0.1/hook", PRIVATE),
    ("https://172.16.0.1/hook", PRIVATE),
    ("https://192.168.1.1/hook", PRIVATE),
    ("https://169.254.169.254/latest/meta-data/", PRIVATE),
    ("https://0xa9fea9fe/latest/meta-data/", PRIVATE),
    ("https://100.64.0.1/hook", PRIVATE),
    ("https://100.100.100.200/latest/meta-data/", PRIVATE),
    ("https://192.0.0.170/hook", PRIVATE),
    ("https://198.18.0.1/hook", PRIVATE),
    ("https://192.0.2.1/hook", PRIVATE),
    ("https://224.0.0.1/hook", PRIVATE),
    ("https://240.0.0.1/hook", PRIVATE),
    ("https://255.255.255.255/hook", PRIVATE),
    ("https://hooks.example.com@127.0.0.1:{port}/hook", CREDENTIALS),
    ("https://127.0.0.1:{port}@hooks.example.com/hook", CREDENTIALS),
    ("https://user:password@hooks.example.com/hook", CREDENTIALS),
    ("http://127.0.0.1:{port}/hook", INSECURE),
    ("http://hooks.example.com/hook", INSECURE),
    ("https://1.2.3.4.5/hook", MALFORMED),
    ("ftp://hooks.example.com/in", MALFORMED),
    ("gopher://127.0.0.1:{port}/", MALFORMED),
    ("hooks.example.com/in", MALFORMED),
    ("https:///no-host", MALFORMED),
    ("https://[::1", MALFORMED),
    ("https://example.com:99999/", MALFORMED),
    ("https://example.com/" + "a" * MAX_URL_CHARS, MALFORMED),
]
BODY = b'{"type":"event"}'


class Listener:
    """A loopback TCP server that counts connections and answers each with an empty 200."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    started = Listener()
    await started.start()
    yield started
    await started.stop()


class Resolver:
    """Answers a name with the next of its answers, the last one from then on."""

    def __init__(self, *answers: str) -> None:
        self._answers = [ipaddress.ip_address(answer) for answer in answers]
        self.calls = 0

    async def __call__(self, host: str, port: int | None) -> list[IPAddress]:
        self.calls += 1
        return [self._answers[min(self.calls, len(self._answers)) - 1]]


async def post(
    session: aiohttp.ClientSession, url: str, *, targets: TargetRules, resolver: Resolver | None
) -> tuple[int | None, str | None]:
    channel = WebhookChannel(session, targets=targets, timeout_s=1.0, resolve=resolver)
    outcome = await channel.send(url, "whsec_c2VjcmV0", "msg_1", BODY, datetime.now(UTC))
    return outcome.status, outcome.error


async def test_no_spelling_of_an_internal_target_is_taken_or_reached(
    listener: Listener, session: aiohttp.ClientSession
) -> None:
    assert len(REFUSED) >= 40
    everything_resolves_to_loopback = Resolver("127.0.0.1")
    for template, problem in REFUSED:
        url = template.format(port=listener.port)
        assert check_webhook_url(url, TargetRules()) is problem, url
        status, error = await post(
            session, url, targets=TargetRules(), resolver=everything_resolves_to_loopback
        )
        assert status is None and error, url
    assert listener.connections == 0


async def test_a_name_that_resolves_to_an_internal_address_is_refused_when_sending(
    listener: Listener, session: aiohttp.ClientSession
) -> None:
    url = f"https://hooks.example.com:{listener.port}/hook"
    assert check_webhook_url(url, TargetRules()) is None
    for internal in ("127.0.0.1", "::1", "10.0.0.7", "169.254.169.254", "::ffff:192.168.0.1"):
        status, error = await post(session, url, targets=TargetRules(), resolver=Resolver(internal))
        shown = ipaddress.ip_address(internal)
        assert status is None and f"resolves to {shown}, which is not a public" in (error or "")
    assert listener.connections == 0


async def test_a_rebinding_name_is_resolved_once_and_the_checked_address_is_the_one_used(
    listener: Listener, session: aiohttp.ClientSession
) -> None:
    public_then_loopback = Resolver("93.184.216.34", "127.0.0.1")
    url = f"https://rebind.example.com:{listener.port}/hook"

    status, error = await post(session, url, targets=TargetRules(), resolver=public_then_loopback)

    assert public_then_loopback.calls == 1
    assert status is None and error  # the public address does not answer here
    assert listener.connections == 0


async def test_the_operator_may_allow_http_and_name_private_hosts(
    listener: Listener, session: aiohttp.ClientSession
) -> None:
    named = TargetRules(allow_http=True, private_hosts=frozenset({"receiver.internal"}))
    url = f"http://receiver.internal:{listener.port}/hook"
    assert check_webhook_url(url, named) is None
    assert check_webhook_url(url.replace("receiver", "other"), named) is PRIVATE
    assert check_webhook_url(f"http://127.0.0.1:{listener.port}/", named) is PRIVATE
    assert check_webhook_url("http://hooks.example.com/", named) is None
    assert check_webhook_url("https://hooks.example.com/in", TargetRules()) is None
    everything = TargetRules(allow_private=True, allow_http=True)
    assert check_webhook_url(f"http://127.0.0.1:{listener.port}/", everything) is None

    status, error = await post(session, url, targets=named, resolver=Resolver("127.0.0.1"))

    assert (status, error, listener.connections) == (200, None, 1)
