"""Checkpointing an SQLite write-ahead log beside the writer instead of inside its commits.

By default SQLite checkpoints in the connection that commits, once the log passes 1,000
pages: the commit that crosses the line waits for the pages to be copied and the files to be
synced. A catch-up commits tens of thousands of rows at a time, so nearly every commit paid
for a checkpoint. Here the writer's connection never checkpoints (`wal_autocheckpoint=0`) and a
second connection does it in a worker thread, where the copying and syncing overlap the
event loop's work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_S = 0.5


class WalCheckpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` on its own connection every interval."""

    def __init__(self, path: Path, interval_s: float = CHECKPOINT_INTERVAL_S) -> None:
        self._path = path
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"wal checkpoint {self._path.name}")

    async def stop(self) -> None:
        """Stop, then checkpoint once more so the log holds nothing when the process ends."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        await asyncio.to_thread(self._checkpoint_once)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await asyncio.to_thread(self._checkpoint_once)
            except sqlite3.Error as exc:
                # A busy or locked database only postpones the checkpoint to the next turn.
                log.warning("SQLite checkpoint postponed: %s", exc)

    def _checkpoint_once(self) -> None:
        if not self._path.exists():
            return
        connection = sqlite3.connect(self._path, timeout=5.0)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()
