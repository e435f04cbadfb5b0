"""Group commit of attempts: sends that finish while one write is under way are stored together
by the next, so a busy notifier pays for one transaction per batch, not per delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from storage.attempts import AttemptRecord, record_attempts

Write = Callable[[Sequence[AttemptRecord]], Awaitable[None]]
Waiting = tuple[Sequence[AttemptRecord], "asyncio.Future[None]"]


class AttemptRecorder:
    """Stores attempts as soon as the database can take them; an idle notifier writes each at
    once, a busy one in batches of whatever arrived during the previous write."""

    def __init__(self, write: Write = record_attempts) -> None:
        self._write = write
        self._waiting: list[Waiting] = []
        self._writing = False

    async def record(self, attempts: Sequence[AttemptRecord]) -> None:
        """Return once `attempts` are stored; raise what their batch's write raised.

        The first caller to find no write under way does the writing, batch after batch,
        until nothing waits: no task outlives the round that recorded.
        """
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((attempts, stored))
        if not self._writing:
            await self._write_until_empty()
        await stored

    async def _write_until_empty(self) -> None:
        self._writing = True
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write_batch(batch)
        finally:
            self._writing = False
            # Reached with attempts still waiting only when the writer was cancelled (the
            # round is being cancelled): their senders must not wait for a write to come.
            for _, stored in self._waiting:
                stored.cancel()
            self._waiting = []

    async def _write_batch(self, batch: list[Waiting]) -> None:
        try:
            await self._write([attempt for attempts, _ in batch for attempt in attempts])
        except Exception as exc:
            for _, stored in batch:
                # A sender cancelled meanwhile has cancelled its own future.
                if not stored.done():
                    stored.set_exception(exc)
            return
        except BaseException:
            for _, stored in batch:
                stored.cancel()
            raise
        for _, stored in batch:
            if not stored.done():
                stored.set_result(None)
