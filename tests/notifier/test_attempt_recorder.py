"""Group commit of attempts: what arrives during a write is stored together by the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from notifier.attempt_recorder import AttemptRecorder
from storage.attempts import AttemptRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def attempt(delivery_id: str) -> AttemptRecord:
    return AttemptRecord(delivery_id, 1, NOW, "success", 200, None, 1.0, "delivered", None)


class Database:
    """Stores batches of attempts; a write can be held open, or made to fail, by the test."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.hold = asyncio.Event()
        self.hold.set()
        self.failures: list[Exception] = []

    async def write(self, attempts: Sequence[AttemptRecord]) -> None:
        await self.hold.wait()
        if self.failures:
            raise self.failures.pop(0)
        self.batches.append([a.delivery_id for a in attempts])


async def test_an_attempt_is_written_at_once_when_no_write_is_under_way() -> None:
    database = Database()
    await AttemptRecorder(database.write).record([attempt("a")])
    assert database.batches == [["a"]]


async def test_attempts_arriving_during_a_write_are_stored_together_by_the_next_one() -> None:
    database = Database()
    recorder = AttemptRecorder(database.write)
    database.hold.clear()
    first = asyncio.create_task(recorder.record([attempt("a")]))
    await asyncio.sleep(0)
    later = [asyncio.create_task(recorder.record([attempt(i)])) for i in "bcd"]
    await asyncio.sleep(0)
    assert not any(task.done() for task in [first, *later])
    database.hold.set()
    await asyncio.gather(first, *later)
    assert database.batches == [["a"], ["b", "c", "d"]]


async def test_a_failed_write_reaches_its_batch_and_the_next_batch_goes_on() -> None:
    database = Database()
    recorder = AttemptRecorder(database.write)
    database.hold.clear()
    database.failures.append(RuntimeError("connection lost"))
    first = asyncio.create_task(recorder.record([attempt("a")]))
    await asyncio.sleep(0)
    later = asyncio.create_task(recorder.record([attempt("b")]))
    database.hold.set()
    with pytest.raises(RuntimeError, match="connection lost"):
        await first
    await later
    assert database.batches == [["b"]]


async def test_cancelling_the_writing_sender_leaves_no_other_sender_waiting() -> None:
    database = Database()
    recorder = AttemptRecorder(database.write)
    database.hold.clear()
    writer = asyncio.create_task(recorder.record([attempt("a")]))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(recorder.record([attempt("b")]))
    await asyncio.sleep(0)
    writer.cancel()
    async with asyncio.timeout(1):
        results = await asyncio.gather(writer, waiting, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in results)
    database.hold.set()
    await recorder.record([attempt("c")])
    assert database.batches == [["c"]]
