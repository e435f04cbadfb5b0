"""The secret watch: every scenario of the suite is read for secrets in what it logs and says.

Each secret a test hands the service (bot tokens, the key that seals webhook secrets, keys in
RPC URLs) is declared with `secret(...)`. While the suite runs, the watch reads every log
record at the levels `blockbell run` logs at, every line `blockbell` processes write to
stderr or to their log files, and every request the bots make to the fake Telegram and
Discord. A declared secret anywhere there, or a log line holding something shaped like a
secret (a webhook signing secret, a Telegram bot token, a credential in a URL), fails the
test it appeared in. Signing secrets are shown once to their owner on purpose, so messages
are read for declared secrets only.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from app.logs import QUIET_LOGGERS, TELEGRAM_TOKEN, LineFormatter

SHAPES = {
    "a webhook signing secret": re.compile(r"whsec_[A-Za-z0-9+/=_-]{16,}"),
    "a Telegram bot token": TELEGRAM_TOKEN,
    # Discord's interaction tokens start with base64 of "interaction:".
    "a Discord interaction token": re.compile(r"aW50ZXJhY3Rpb246[A-Za-z0-9_-]{20,}"),
    "a credential in a URL query": re.compile(
        r"(?i)[?&](?:api[_-]?key|key|token|access_token|secret|password)="
        r"(?!\[redacted\])[^&\s#\"'\\]{6,}"
    ),
    "a password in a URL": re.compile(r"://[^/\s:@\"']+:(?!\[redacted\])[^/\s@\"']+@"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    source: str
    what: str
    context: str

    def __str__(self) -> str:
        return f"{self.what} in {self.source}: …{self.context}…"


class SecretWatch:
    """What the suite declared secret, what it read, and where a secret showed."""

    def __init__(self) -> None:
        self.declared: set[str] = set()
        self.read: Counter[str] = Counter()
        self._findings: list[Finding] = []
        self._lock = threading.Lock()
        self.handler = _RecordReader(self)

    def declare(self, value: str) -> str:
        self.declared.add(value)
        return value

    def look(self, text: str, source: str, *, kind: str, shapes: bool = True) -> None:
        """Read `text` (counted under `kind`) for declared secrets and, with `shapes`, for
        text shaped like a secret."""
        self.read[kind] += 1
        found = [(s, "a declared secret") for s in self.declared if s in text]
        if shapes:
            found += [(m.group(), what) for what, p in SHAPES.items() for m in p.finditer(text)]
        with self._lock:
            for value, what in found:
                self._findings.append(Finding(source, what, _around(text, value)))

    def look_at_json(self, value: Any, source: str, *, kind: str) -> None:
        self.look(orjson.dumps(value, default=str).decode(), source, kind=kind, shapes=False)

    def take_findings(self) -> list[Finding]:
        with self._lock:
            findings, self._findings = self._findings, []
        return list(dict.fromkeys(findings))

    def read_logs(self) -> None:
        """Hear every record at the service's levels: INFO, and WARNING for the libraries the
        service quiets. Called again at each test, as tests that set up logging themselves
        take the root logger's handlers away."""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)


class _RecordReader(logging.Handler):
    def __init__(self, watch: SecretWatch) -> None:
        super().__init__()
        self.watch = watch
        self.setFormatter(LineFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record whose arguments do not fit its message
            line = f"{record.msg!r} {record.args!r}"
        self.watch.look(line, f"a log record of {record.name}", kind="log records")


def _around(text: str, value: str) -> str:
    """Where the secret stood, with the secret itself cut to its first characters."""
    at = text.find(value)
    return text[max(0, at - 60) : at] + value[:6] + "…"


WATCH = SecretWatch()
secret = WATCH.declare
