"""Events are unique by (chain, block number, block hash, transaction, log index): the block
number leads, so a catch-up appends at the end of the index, and the same index serves the
queries by block range that the (chain, block number) index served.

On SQLite, the indexes that earlier migrations lost are made again: SQLite cannot alter a
column, so those migrations rebuilt the `events`, `deliveries` and `contracts` tables, and
the rebuilt tables came without their indexes.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

OLD_UNIQUE = ["chain", "block_hash", "transaction_hash", "log_index"]
NEW_UNIQUE = ["chain", "block_number", "block_hash", "transaction_hash", "log_index"]
BLOCK_RANGE = ["chain", "block_number"]
LOST_ON_SQLITE = {
    "deliveries": [["status", "next_attempt_at"], ["event_id"]],
    "contracts": [["address"]],
}


class StateOnly(ops.TortoiseOperation):
    """An operation's change to the recorded models, its SQL being run by `rebuild_indexes`."""

    def __init__(self, operation: ops.TortoiseOperation) -> None:
        self.operation = operation

    def describe(self) -> str:
        return self.operation.describe()

    def state_forward(self, app_label, state) -> None:
        self.operation.state_forward(app_label, state)


def _name(editor, prefix: str, table: str, columns: list[str]) -> str:
    return editor._generate_index_name_for_table(prefix, table, columns)


def _columns(columns: list[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


async def rebuild_indexes(apps, editor) -> None:
    new_unique = _name(editor, "uid", "events", NEW_UNIQUE)
    old_unique = _name(editor, "uid", "events", OLD_UNIQUE)
    block_range = _name(editor, "idx", "events", BLOCK_RANGE)
    if editor.DIALECT == "postgres":
        await editor._run_sql(
            f'ALTER TABLE "events" ADD CONSTRAINT "{new_unique}" UNIQUE ({_columns(NEW_UNIQUE)})'
        )
        await editor._run_sql(f'ALTER TABLE "events" DROP CONSTRAINT IF EXISTS "{old_unique}"')
        await editor._run_sql(f'DROP INDEX IF EXISTS "{block_range}"')
        return
    await editor._run_sql(
        f'CREATE UNIQUE INDEX IF NOT EXISTS "{new_unique}" ON "events" ({_columns(NEW_UNIQUE)})'
    )
    await editor._run_sql(f'DROP INDEX IF EXISTS "{old_unique}"')
    await editor._run_sql(f'DROP INDEX IF EXISTS "{block_range}"')
    for table, indexes in LOST_ON_SQLITE.items():
        for columns in indexes:
            name = _name(editor, "idx", table, columns)
            await editor._run_sql(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({_columns(columns)})'
            )


class Migration(migrations.Migration):
    dependencies = [("models", "0015_subscription_added_by")]

    initial = False

    operations = [
        StateOnly(ops.RemoveIndex(model_name="Event", name=None, fields=BLOCK_RANGE)),
        StateOnly(ops.RemoveConstraint(model_name="Event", name=None, fields=OLD_UNIQUE)),
        StateOnly(
            ops.AddConstraint(
                model_name="Event",
                constraint=UniqueConstraint(fields=tuple(NEW_UNIQUE), name=None),
            )
        ),
        ops.RunPython(rebuild_indexes),
    ]
