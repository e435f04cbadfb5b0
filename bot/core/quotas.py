"""How much one chat may keep and one person may ask: limits the operator sets, so that no
user can flood the service or fill its database."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)
MAX_TRACKED_PEOPLE = 10_000
"""Beyond this many people seen within a minute, those quiet for a minute are forgotten."""


@dataclass(frozen=True, slots=True)
class Quotas:
    subscriptions_per_chat: int = 200
    """Subscriptions a chat (or a person's DMs) keeps, paused ones included."""
    webhooks_per_chat: int = 20
    commands_per_minute: int = 30
    """Commands, messages and button presses of one person, across chats."""
    subscriptions_per_person: int = 1000
    """Subscriptions one person makes across every chat, so that many small groups do not
    add up to more than the operator wants one person to cost."""
    webhooks_per_person: int = 50


class CommandRate:
    """Counts each person's requests over the last minute."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._seen: dict[str, deque[datetime]] = {}

    def wait(self, person: str, now: datetime) -> timedelta | None:
        """None when the person may go on (the request is counted), else how long until the
        oldest request of their last minute leaves the window."""
        if len(self._seen) > MAX_TRACKED_PEOPLE:
            self._forget_quiet(now)
        times = self._seen.setdefault(person, deque())
        while times and now - times[0] >= WINDOW:
            times.popleft()
        if len(times) >= self._per_minute:
            return times[0] + WINDOW - now
        times.append(now)
        return None

    @property
    def tracked(self) -> int:
        """How many people's last minute is kept."""
        return len(self._seen)

    def _forget_quiet(self, now: datetime) -> None:
        self._seen = {p: t for p, t in self._seen.items() if t and now - t[-1] < WINDOW}
