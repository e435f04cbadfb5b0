from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_chain_gaps')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Contract',
            name='address',
            field=fields.CharField(max_length=128, db_index=True),
        ),
        ops.AlterField(
            model_name='Event',
            name='contract',
            field=fields.CharField(max_length=128),
        ),
    ]
