"""Garbage-collector settings for the long-running service process."""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 50_000
OLDER_GENERATION_THRESHOLD = 20


def tune_garbage_collector() -> None:
    """Keep start-up's objects out of collections and collect the young generation less often.

    A catch-up makes millions of short-lived containers (logs, events, rows). With Python's
    default threshold of 700 allocations the collector ran so often that it took 13-18 % of a
    catch-up's time (bench/RESULTS.md). Freezing moves the objects that exist now (modules,
    settings, the libraries' tables) to a generation that is never scanned again.
    """
    gc.freeze()
    gc.set_threshold(
        YOUNG_GENERATION_THRESHOLD, OLDER_GENERATION_THRESHOLD, OLDER_GENERATION_THRESHOLD
    )
