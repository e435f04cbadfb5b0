"""The logging `blockbell run` sets up, for tests that read what the service logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from app.logs import QUIET_LOGGERS, setup_logging


@contextmanager
def service_logging(*secrets: str) -> Iterator[None]:
    """Log as the service does (redacting `secrets`), undone afterwards for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    setup_logging("INFO", secrets=list(secrets))
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in quiet.items():
            logging.getLogger(name).setLevel(old)
