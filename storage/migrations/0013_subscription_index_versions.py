from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_chain_leases')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Subscription',
            name='index_version',
            field=fields.BigIntField(default=0),
        ),
        ops.AddIndex(
            model_name='Subscription',
            index=Index(fields=['chain', 'index_version']),
        ),
    ]
