"""CPU seconds of other processes (child services, PostgreSQL's backends), read from /proc."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float | None:
    """User and system CPU seconds of a live process so far; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # Fields after the command name, which is in parentheses and may hold spaces.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def cpu_of(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds of each of `pids` still alive."""
    seconds = {pid: process_cpu_s(pid) for pid in pids}
    return {pid: value for pid, value in seconds.items() if value is not None}


def cpu_spent_s(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """CPU seconds spent between two readings by the processes alive at the second one
    (a process that appeared in between counts from zero)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())
