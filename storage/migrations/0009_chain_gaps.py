from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_cosmos_events')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChainGap',
            fields=[
                ('id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('chain', fields.CharField(max_length=64)),
                ('first_block', fields.BigIntField()),
                ('last_block', fields.BigIntField()),
                ('reason', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'chain_gaps', 'app': 'models', 'pk_attr': 'id', 'table_description': "Blocks a chain's watcher could not read because no node had them any more."},
            bases=['Model'],
        ),
    ]
