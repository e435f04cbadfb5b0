"""Logging setup: one line per record with its context as key=value, and secrets redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

REDACTED = "[redacted]"
# Bot tokens appear inside Bot API URLs ("/bot<token>/sendMessage"), so no word boundary.
TELEGRAM_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{35}")
WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=_-]+")
URL_USERINFO = re.compile(r"(?<=://)[^/\s@]+@")
QUERY_CREDENTIAL = re.compile(
    r"(?i)([?&](?:api[_-]?key|key|token|access_token|secret|password)=)[^&\s#\"']+"
)
# Libraries whose INFO/DEBUG lines are noise, or carry tokens in URLs (Telegram's Bot API).
QUIET_LOGGERS = ("aiohttp.access", "httpx", "httpcore", "tortoise", "aiosqlite", "asyncio")
# Attributes every LogRecord has; anything else on a record came from `extra`.
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with known secrets and secret-looking substrings replaced by [redacted]."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = TELEGRAM_TOKEN.sub(REDACTED, text)
    text = WEBHOOK_SECRET.sub("whsec_" + REDACTED, text)
    text = URL_USERINFO.sub(REDACTED + "@", text)
    return QUERY_CREDENTIAL.sub(r"\1" + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites every record's message, context and traceback with secrets redacted."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = tuple(sorted((s for s in secrets if s), key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        for name, value in list(vars(record).items()):
            if name not in STANDARD_ATTRIBUTES and not isinstance(value, int | float | None):
                setattr(record, name, redact(str(value), self.secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class LineFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value ...`, newlines escaped so a record stays one line."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        parts = [moment.replace("+00:00", "Z"), record.levelname, f"{record.name}:"]
        parts.append(record.getMessage())
        parts += [f"{key}={_value(value)}" for key, value in _context(record)]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            parts.append(f"exc={_value(record.exc_text)}")
        return " ".join(parts).replace("\r", "\\r").replace("\n", "\\n")


def _context(record: logging.LogRecord) -> list[tuple[str, object]]:
    return [(k, v) for k, v in vars(record).items() if k not in STANDARD_ATTRIBUTES]


def _value(value: object) -> str:
    text = str(value)
    if text and not any(c.isspace() or c in '"=' for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def setup_logging(level: str, *, secrets: Iterable[str] = ()) -> None:
    """Send every record to stderr as one redacted line; `secrets` are the configured tokens."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
