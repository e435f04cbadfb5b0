"""Opening the database: the embedded default needs nothing prepared."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from storage.db import close_database, open_database, pending_migrations, transaction
from storage.models import Contract, Event, User


async def test_an_sqlite_file_in_a_missing_folder_is_created_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "blockbell.sqlite3"
    await open_database(f"sqlite://{path}")
    try:
        assert await pending_migrations() == []
    finally:
        await close_database()
    assert path.exists()


async def test_a_cosmwasm_contract_address_fits_where_contracts_are_stored(db: str) -> None:
    # 32 bytes in bech32 with a long prefix: longer than any EVM address.
    contract = "terra1" + "q" * 58 + "x" * 10
    stored = await Contract.create(chain="hub", address=contract, abi=[])
    event = await Event.create(
        id=uuid.uuid4(),
        chain="hub",
        block_number=1,
        block_hash="AB" * 32,
        transaction_hash="CD" * 32,
        log_index=-1,
        contract=contract,
        created_at=datetime.now(UTC),
    )
    assert (await Contract.get(id=stored.id)).address == contract
    assert (await Event.get(id=event.id)).contract == contract


async def test_a_task_cancelled_at_any_point_of_a_transaction_leaves_the_database_usable(
    db: str,
) -> None:
    """Shutdown and timeouts cancel tasks wherever they are, BEGIN included: the connection
    (PostgreSQL's pool) or the transaction lock (SQLite) must come back every time."""

    async def add_user() -> None:
        async with transaction() as conn:
            await User.create(language="en", using_db=conn)

    for steps_before_cancel in range(12):
        task = asyncio.create_task(add_user())
        for _ in range(steps_before_cancel):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with asyncio.timeout(5):
            await add_user()

    started = time.monotonic()
    await close_database()
    assert time.monotonic() - started < 2, "a connection was never given back to the pool"
    await open_database(db)
