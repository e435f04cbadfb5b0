from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Tortoise's AlterField records db_constraint=False but leaves the constraints in the database.
# On PostgreSQL they are dropped here. SQLite cannot drop a constraint without rebuilding the
# table (which its cascades would make destructive), and its checks are cheap: it keeps them.
DROP_DELIVERY_FOREIGN_KEYS = (
    "ALTER TABLE deliveries"
    " DROP CONSTRAINT IF EXISTS deliveries_event_id_fkey,"
    " DROP CONSTRAINT IF EXISTS deliveries_subscription_id_fkey,"
    " DROP CONSTRAINT IF EXISTS deliveries_destination_id_fkey"
)
ADD_DELIVERY_FOREIGN_KEYS = (
    "ALTER TABLE deliveries"
    " ADD CONSTRAINT deliveries_event_id_fkey FOREIGN KEY (event_id)"
    " REFERENCES events (id) ON DELETE CASCADE,"
    " ADD CONSTRAINT deliveries_subscription_id_fkey FOREIGN KEY (subscription_id)"
    " REFERENCES subscriptions (id) ON DELETE CASCADE,"
    " ADD CONSTRAINT deliveries_destination_id_fkey FOREIGN KEY (destination_id)"
    " REFERENCES destinations (id) ON DELETE CASCADE"
)


def _on_postgres(statement):
    async def run(apps, schema_editor):
        if schema_editor.client.capabilities.dialect == "postgres":
            await schema_editor.client.execute_script(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [('models', '0002_bot_core')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Delivery',
            name='destination',
            field=fields.ForeignKeyField('models.Destination', source_field='destination_id', db_constraint=False, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Delivery',
            name='event',
            field=fields.ForeignKeyField('models.Event', source_field='event_id', db_index=True, db_constraint=False, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Delivery',
            name='subscription',
            field=fields.ForeignKeyField('models.Subscription', source_field='subscription_id', db_constraint=False, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE),
        ),
        ops.RunPython(
            _on_postgres(DROP_DELIVERY_FOREIGN_KEYS),
            _on_postgres(ADD_DELIVERY_FOREIGN_KEYS),
        ),
    ]
