"""Opening the database: the embedded default needs nothing prepared."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from storage.db import close_database, open_database, pending_migrations
from storage.models import Contract, Event


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
