"""The secret watch every test runs under: what it catches and what it lets pass."""

from __future__ import annotations

import logging

import pytest

from app.logs import setup_logging
from tests.support.secret_watch import WATCH, SecretWatch
from tests.support.service import read_for_secrets

SIGNING_SECRET = "whsec_" + "QmxvY2tiZWxsU2lnbmluZ1NlY3JldDAx"
BOT_TOKEN = "7012345678:AAHk3-abcdefghijklmnopqrstuvwxyz01234"


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (f"sending with {SIGNING_SECRET}", "a webhook signing secret"),
        (f"POST https://api.telegram.org/bot{BOT_TOKEN}/getMe", "a Telegram bot token"),
        ("GET https://rpc.example/v1?apikey=0123456789abcdef", "a credential in a URL query"),
        ("connecting to postgres://app:hunter22@db/prod", "a password in a URL"),
        ("followup to aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTA", "a Discord interaction token"),
        ("the token is declared-0123456789", "a declared secret"),
    ],
)
def test_a_secret_or_its_shape_in_a_log_line_is_found(line: str, what: str) -> None:
    watch = SecretWatch()
    watch.declare("declared-0123456789")
    watch.look(line, "a log record", kind="log records")
    (finding,) = watch.take_findings()
    assert finding.what == what
    assert line not in str(finding), "a finding quotes no more than the secret's first letters"


@pytest.mark.parametrize(
    "line",
    [
        "webhook 7 answered 503 signature=v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        "sending with whsec_[redacted]",
        "GET https://rpc.example/v1?apikey=[redacted]",
        "connecting to postgres://app@db/prod and https://[redacted]@rpc.example",
        "block 0x" + "ab" * 32 + " at 12:34:56",
    ],
)
def test_redacted_secrets_and_ordinary_lines_pass(line: str) -> None:
    watch = SecretWatch()
    watch.look(line, "a log record", kind="log records")
    assert watch.take_findings() == []


def test_a_message_may_show_a_signing_secret_to_its_owner_but_never_a_declared_secret() -> None:
    watch = SecretWatch()
    watch.declare(BOT_TOKEN)
    watch.look_at_json({"text": f"Signing secret: {SIGNING_SECRET}"}, "a reply", kind="requests")
    assert watch.take_findings() == []
    watch.look_at_json({"text": f"token {BOT_TOKEN}"}, "a reply", kind="requests")
    assert [f.what for f in watch.take_findings()] == ["a declared secret"]


def test_the_suite_watch_hears_records_the_service_logs_and_not_what_it_redacts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = logging.getLogger("notifier.webhook")
    log.info("signing with %s", SIGNING_SECRET)
    log.debug("below the service's level: %s", SIGNING_SECRET)
    assert [f.what for f in WATCH.take_findings()] == ["a webhook signing secret"]

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    setup_logging("INFO")
    WATCH.read_logs()
    try:
        log.info("signing with %s", SIGNING_SECRET)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert WATCH.take_findings() == []
    assert SIGNING_SECRET not in capsys.readouterr().err


def test_what_a_process_prints_is_read_for_declared_secrets_and_its_log_for_shapes() -> None:
    printed, logged = read_for_secrets("blockbell subscribe", SIGNING_SECRET.encode(), b"ok\n")
    assert (printed, logged) == (SIGNING_SECRET, "ok\n")
    assert WATCH.take_findings() == []
    read_for_secrets("blockbell run", b"", f"failed: {SIGNING_SECRET}".encode())
    assert [f.source for f in WATCH.take_findings()] == ["what blockbell run logged"]
