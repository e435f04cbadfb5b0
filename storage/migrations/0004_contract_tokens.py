from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_deliveries_without_foreign_keys')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Contract',
            name='decimals',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Contract',
            name='symbol',
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
