"""Logging: one line per record with its context, and no secret ever printed."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app.logs import setup_logging
from tests.support.secret_watch import secret

BOT_TOKEN = secret("7012345678:AAHk3-abcdefghijklmnopqrstuvwxyz01234")
CONFIGURED = secret("discord-token-Zm9vYmFyYmF6cXV4")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def logged(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_each_record_is_one_line_with_its_context_as_key_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO")
    logging.getLogger("watcher.crawl").info(
        "caught up to %d\nsecond line", 120, extra={"chain": "mainnet", "note": "two words"}
    )
    (line,) = logged(capsys)
    assert " INFO watcher.crawl: caught up to 120\\nsecond line " in line
    assert line.endswith('chain=mainnet note="two words"')


def test_the_configured_level_hides_lower_records(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("warning")
    logging.getLogger("blockbell.test").info("hidden")
    logging.getLogger("blockbell.test").warning("shown")
    assert [line.split(": ", 1)[1] for line in logged(capsys)] == ["shown"]


def test_noisy_libraries_log_only_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("DEBUG")
    for name in ("aiohttp.access", "httpx", "tortoise", "asyncio"):
        logging.getLogger(name).info("noise")
        logging.getLogger(name).warning("trouble")
    lines = logged(capsys)
    assert len(lines) == 4 and all(line.endswith("trouble") for line in lines)


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (f"POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage failed", BOT_TOKEN),
        (f"token {CONFIGURED} rejected", CONFIGURED),
        ("signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/AbC+dEf=", "MfKQ9r8GKYqrTwjUPD8"),
        ("connecting to postgres://blockbell:hunter2@db:5432/blockbell", "hunter2"),
        ("GET https://rpc.example/?api_key=s3cr3tkey&x=1", "s3cr3tkey"),
        ("GET https://rpc.example/v1?key=AIzaSyD-k", "AIzaSyD-k"),
        ("GET https://rpc.example/feed?token=tok-123", "tok-123"),
    ],
)
def test_secrets_are_redacted_from_messages(
    capsys: pytest.CaptureFixture[str], message: str, secret: str
) -> None:
    setup_logging("INFO", secrets=[CONFIGURED])
    logging.getLogger("notifier").warning(message)
    (line,) = logged(capsys)
    assert secret not in line and "[redacted]" in line


def test_secrets_are_redacted_from_arguments_context_and_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO", secrets=[CONFIGURED])
    log = logging.getLogger("bot.telegram")
    log.info("calling %s", f"https://api.telegram.org/bot{BOT_TOKEN}/getMe")
    log.info("sent", extra={"url": f"https://x.example/?token={CONFIGURED}"})
    try:
        raise RuntimeError(f"Discord said no to {CONFIGURED}")
    except RuntimeError:
        log.exception("giving up")
    text = capsys.readouterr().err
    assert len(text.splitlines()) == 3
    assert BOT_TOKEN not in text and CONFIGURED not in text
    assert "RuntimeError" in text and text.count("[redacted]") == 3


def test_setting_up_twice_does_not_print_twice(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO")
    setup_logging("INFO")
    logging.getLogger("app").info("once")
    assert len(logged(capsys)) == 1
