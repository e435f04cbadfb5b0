"""Reads of a chain's persisted progress: cursor, recent block hashes, stored event blocks."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import connection, dialect, transaction
from storage.models import BlockHash, ChainCursor, ChainGap


@dataclass(frozen=True, slots=True)
class ChainProgress:
    chain: str
    block_number: int
    block_hash: str
    halted_reason: str | None
    resume_requested: bool = False
    resume_from: int | None = None


async def fetch_progress(chain: str) -> ChainProgress | None:
    row = await ChainCursor.get_or_none(chain=chain)
    if row is None:
        return None
    return ChainProgress(
        row.chain,
        row.block_number,
        row.block_hash,
        row.halted_reason,
        row.resume_requested,
        row.resume_from,
    )


async def create_progress(chain: str, block_number: int, block_hash: str) -> ChainProgress:
    """The starting point of a chain seen for the first time (idempotent)."""
    row, _ = await ChainCursor.get_or_create(
        chain=chain, defaults={"block_number": block_number, "block_hash": block_hash}
    )
    await BlockHash.get_or_create(
        chain=chain, number=row.block_number, defaults={"hash": row.block_hash}
    )
    return ChainProgress(row.chain, row.block_number, row.block_hash, row.halted_reason)


async def fetch_recent_hashes(chain: str, limit: int) -> list[tuple[int, str]]:
    """Stored (number, hash) pairs, newest first."""
    rows = (
        await BlockHash.filter(chain=chain)
        .order_by("-number")
        .limit(limit)
        .values_list("number", "hash")
    )
    return [(int(number), str(block_hash)) for number, block_hash in rows]


async def fetch_event_blocks_above(chain: str, number: int) -> list[tuple[int, str]]:
    """Distinct (number, hash) of blocks above `number` holding active events."""
    p = dialect().placeholder
    sql = (
        "SELECT DISTINCT block_number, block_hash FROM events "
        f"WHERE chain = {p(1)} AND block_number > {p(2)} AND status = 'active'"
    )
    _, rows = await connection().execute_query(sql, [chain, number])
    return [(int(row["block_number"]), str(row["block_hash"])) for row in rows]


async def set_halted(chain: str, reason: str | None) -> None:
    """Stop (reason) or release (None) a chain's watcher; survives restarts."""
    await ChainCursor.filter(chain=chain).update(halted_reason=reason)


async def release_chain(chain: str, from_block: int | None) -> None:
    """An operator's release of a halted chain: its watcher re-anchors on the node's chain (at
    `from_block`, or where it finds the fork) and crawls again."""
    await ChainCursor.filter(chain=chain).update(
        halted_reason=None, resume_requested=True, resume_from=from_block
    )


async def finish_resume(chain: str, anchor: tuple[int, str]) -> None:
    """The chain continues from `anchor`, a block of the node's chain: the stored hashes, all
    of another fork or older, give way to it."""
    async with transaction() as db:
        await BlockHash.filter(chain=chain).using_db(db).delete()
        await BlockHash.create(chain=chain, number=anchor[0], hash=anchor[1], using_db=db)
        await (
            ChainCursor.filter(chain=chain)
            .using_db(db)
            .update(resume_requested=False, resume_from=None)
        )


async def record_gap(chain: str, first: int, last: int, reason: str) -> None:
    """Remember blocks that were passed unread, so that the gap stays on record."""
    await ChainGap.create(chain=chain, first_block=first, last_block=last, reason=reason)


async def fetch_gaps(chain: str) -> list[tuple[int, int, str]]:
    """(first, last, reason) of the chain's recorded gaps, oldest first."""
    rows = (
        await ChainGap.filter(chain=chain)
        .order_by("id")
        .values_list("first_block", "last_block", "reason")
    )
    return [(int(first), int(last), str(reason)) for first, last, reason in rows]
