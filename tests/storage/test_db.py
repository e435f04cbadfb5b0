"""Opening the database: the embedded default needs nothing prepared."""

from __future__ import annotations

from pathlib import Path

from storage.db import close_database, open_database, pending_migrations


async def test_an_sqlite_file_in_a_missing_folder_is_created_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "blockbell.sqlite3"
    await open_database(f"sqlite://{path}")
    try:
        assert await pending_migrations() == []
    finally:
        await close_database()
    assert path.exists()
