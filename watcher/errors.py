"""Errors of the watcher package, named for what the caller should do next."""

from __future__ import annotations

from typing import Any


class WatcherError(Exception):
    """Root of every error the watcher package raises."""


class InvalidInput(WatcherError):
    """User input (address, ABI, signature, filter) was rejected.

    `key` names a translatable message; `params` fill it. The English text in `str()` is for
    logs and the CLI only.
    """

    def __init__(self, key: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.params = params
