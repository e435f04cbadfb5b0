"""Every index and unique key the models declare exists in a migrated database, on SQLite and
PostgreSQL alike: a migration that rebuilds an SQLite table (SQLite cannot alter a column)
must not leave it without its indexes."""

from __future__ import annotations

import re

from tortoise import Tortoise
from tortoise.fields.relational import ForeignKeyFieldInstance

from storage.db import connection

Index = tuple[str, tuple[str, ...], bool]  # table, columns, unique


def declared_indexes() -> set[Index]:
    declared: set[Index] = set()
    for model in Tortoise.apps["models"].values():
        meta, table = model._meta, model._meta.db_table
        declared |= {(table, tuple(columns), True) for columns in meta.unique_together}
        for index in meta.indexes:
            columns = index if isinstance(index, tuple) else index.fields
            declared.add((table, tuple(columns), False))
        for field in meta.fields_map.values():
            if field.pk or isinstance(field, ForeignKeyFieldInstance):
                continue
            column = field.source_field or field.model_field_name
            if field.unique:
                declared.add((table, (column,), True))
            elif field.index:
                declared.add((table, (column,), False))
        for relation in meta.fk_fields:
            field = meta.fields_map[relation]
            if field.index:
                declared.add((table, (f"{relation}_id",), False))
    return declared


async def sqlite_indexes() -> set[Index]:
    conn, found = connection(), set()
    tables = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
    for table in (row["name"] for row in tables):
        for index in await conn.execute_query_dict(f'PRAGMA index_list("{table}")'):
            info = await conn.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            columns = tuple(row["name"] for row in sorted(info, key=lambda row: row["seqno"]))
            found.add((table, columns, bool(index["unique"])))
    return found


async def postgres_indexes() -> set[Index]:
    rows = await connection().execute_query_dict(
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    )
    found = set()
    for row in rows:
        columns = re.search(r"\((.*)\)", row["indexdef"])
        assert columns is not None, row
        names = tuple(name.strip().strip('"') for name in columns.group(1).split(","))
        found.add((row["tablename"], names, "UNIQUE INDEX" in row["indexdef"]))
    return found


async def test_every_declared_index_and_unique_key_exists(db: str, backend: str) -> None:
    present = await (sqlite_indexes() if backend == "sqlite" else postgres_indexes())
    missing = declared_indexes() - present
    assert not missing, f"missing on {backend}: {sorted(missing)}"
