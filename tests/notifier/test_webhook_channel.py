"""The webhook channel over real HTTP on loopback: signing, answers, timeouts, refused addresses."""

from __future__ import annotations

import socket
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from notifier.channels.webhook import REFUSALS, WebhookChannel, parse_retry_after
from notifier.policy import Outcome
from notifier.webhook_targets import LOCAL_TARGETS, TargetRules, UrlProblem
from tests.fakes.webhook_receiver import Reply, WebhookReceiver

BODY = b'{"type":"event","chain":"anvil"}'


def channel(session: aiohttp.ClientSession, **options: Any) -> WebhookChannel:
    return WebhookChannel(session, **{"targets": LOCAL_TARGETS, **options})


async def send(sender: WebhookChannel, receiver: WebhookReceiver) -> Outcome:
    return await sender.send(receiver.url, receiver.secret, "msg_42", BODY, datetime.now(UTC))


async def test_sends_a_signed_json_post_and_reports_success(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    outcome = await send(channel(session), receiver)
    assert (outcome.status, outcome.error) == (200, None)
    assert outcome.latency_ms > 0
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.body == BODY
    assert request.signature_valid
    assert request.headers["webhook-id"] == "msg_42"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Blockbell-Webhooks/1"
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"


async def test_signature_made_with_another_secret_does_not_verify(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    other = await WebhookReceiver.start()
    try:
        await channel(session).send(receiver.url, other.secret, "msg_1", BODY, datetime.now(UTC))
    finally:
        await other.stop()
    assert not receiver.requests[0].signature_valid


async def test_server_error_is_reported_with_an_excerpt_of_the_answer(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    receiver.script([Reply(503, body=b"maintenance " * 1000)])
    outcome = await send(channel(session, max_response_bytes=64), receiver)
    assert outcome.status == 503
    assert outcome.error is not None
    assert outcome.error.startswith("HTTP 503: maintenance")
    assert len(outcome.error) < 100


async def test_redirect_is_not_followed(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    receiver.script([Reply.redirect(receiver.url + "/moved", status=301)])
    outcome = await send(channel(session), receiver)
    assert outcome.status == 301
    assert outcome.error is not None
    assert "not followed" in outcome.error
    assert [r.path for r in receiver.requests] == ["/hook"]


async def test_429_reports_retry_after_in_seconds(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    receiver.script([Reply.retry_after(90)])
    outcome = await send(channel(session), receiver)
    assert (outcome.status, outcome.retry_after_s) == (429, 90.0)


def test_retry_after_as_an_http_date_is_converted_to_seconds() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 01 Mar 2025 12:02:00 GMT", now) == 120.0
    assert parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("99999999", now) == timedelta(days=1).total_seconds()
    assert parse_retry_after("²", now) is None  # a digit to isdigit(), not to float()


async def test_slow_endpoint_times_out_as_a_network_failure(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    receiver.script([Reply.slow(5.0)])
    outcome = await send(channel(session, timeout_s=0.3), receiver)
    assert outcome.status is None
    assert outcome.error == "no response within 0.3 s"
    assert 250 <= outcome.latency_ms < 2000


async def test_closed_port_is_a_connection_failure(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = await channel(session).send(
        f"http://127.0.0.1:{port}/hook", "whsec_c2VjcmV0", "msg_1", BODY, datetime.now(UTC)
    )
    assert outcome.status is None
    assert outcome.error is not None
    assert outcome.error.startswith("connection failed")


async def test_loopback_is_refused_without_connecting_unless_private_is_allowed(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    plain_http = TargetRules(allow_http=True)
    outcome = await send(channel(session, targets=plain_http), receiver)
    assert (outcome.status, outcome.error) == (None, REFUSALS[UrlProblem.PRIVATE])
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "/relative",
        "http:///no-host",
        "http://example.com:99999/hook",
        "http://[::1/hook",
    ],
)
async def test_only_http_and_https_urls_with_a_host_are_accepted(
    session: aiohttp.ClientSession, url: str
) -> None:
    outcome = await channel(session).send(url, "whsec_c2VjcmV0", "msg_1", BODY, datetime.now(UTC))
    assert (outcome.status, outcome.error) == (None, REFUSALS[UrlProblem.MALFORMED])


async def test_errors_never_contain_the_secret_or_the_url_path(
    session: aiohttp.ClientSession,
) -> None:
    secret = "whsec_dG9wc2VjcmV0dG9wc2VjcmV0dG9wc2VjcmV0"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcomes = [
        await channel(session).send(
            f"http://127.0.0.1:{port}/hook/token-123", secret, "msg_1", BODY, datetime.now(UTC)
        ),
        await channel(session).send(
            "http://127.0.0.1/hook", "whsec_!", "msg_1", BODY, datetime.now(UTC)
        ),
    ]
    for outcome in outcomes:
        assert outcome.error is not None
        assert "dG9wc2VjcmV0" not in outcome.error
        assert "whsec_!" not in outcome.error
        assert "token-123" not in outcome.error


def self_signed_localhost_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_connects_to_the_checked_address_and_verifies_the_host_name(
    tmp_path: Path,
) -> None:
    cert, key = self_signed_localhost_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    tls_receiver = await WebhookReceiver.start(ssl_context=server_context)
    client_context = ssl.create_default_context(cafile=str(cert))
    connector = aiohttp.TCPConnector(ssl=client_context)
    try:
        async with aiohttp.ClientSession(connector=connector) as tls_session:
            sender = channel(tls_session)
            by_name = f"https://localhost:{tls_receiver.port}/hook"
            named = await sender.send(by_name, tls_receiver.secret, "m", BODY, datetime.now(UTC))
            # The certificate names localhost only: the IP must not pass verification.
            by_ip = await send(sender, tls_receiver)
    finally:
        await tls_receiver.stop()
    assert (named.status, named.error) == (200, None)
    assert tls_receiver.requests[0].headers["Host"] == f"localhost:{tls_receiver.port}"
    assert tls_receiver.requests[0].signature_valid
    assert by_ip.status is None
    assert by_ip.error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in by_ip.error
    assert len(tls_receiver.requests) == 1


async def test_while_a_secret_is_rotated_out_each_request_carries_both_signatures(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    new_secret = "whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0"
    sent = await channel(session).send(
        receiver.url, new_secret, "msg_7", BODY, datetime.now(UTC), also_signing=receiver.secret
    )

    assert (sent.status, sent.error) == (200, None)
    [request] = receiver.requests
    assert request.signature_valid  # the receiver still checks with the old secret
    assert len(request.headers["webhook-signature"].split(" ")) == 2
