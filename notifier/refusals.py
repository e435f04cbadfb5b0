"""Destinations that refused a send, remembered for a while so that the deliveries claimed
with them hear the same answer without another request."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Generic, TypeVar

from notifier.policy import Outcome

Key = TypeVar("Key", bound=Hashable)

REFUSAL_MEMORY_S = 300.0


class RefusalMemory(Generic[Key]):
    def __init__(
        self, memory_s: float = REFUSAL_MEMORY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._memory_s = memory_s
        self._clock = clock
        self._refused: dict[Key, tuple[float, Outcome]] = {}

    def remember(self, key: Key, outcome: Outcome) -> None:
        self._refused[key] = (self._clock() + self._memory_s, outcome)

    def recall(self, key: Key) -> Outcome | None:
        """The refusal `key` gave within the memory, as an outcome that took no time."""
        remembered = self._refused.get(key)
        if remembered is None:
            return None
        until, outcome = remembered
        if self._clock() >= until:
            del self._refused[key]
            return None
        return replace(outcome, latency_ms=0.0)
