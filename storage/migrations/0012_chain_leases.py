from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_chain_head_time')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ChainCursor',
            name='lease_token',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='ChainCursor',
            name='resume_requested',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='ChainCursor',
            name='resume_from',
            field=fields.BigIntField(null=True),
        ),
        ops.CreateModel(
            name='Lease',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=96)),
                ('holder', fields.CharField(max_length=128)),
                ('token', fields.BigIntField()),
                ('expires_at', fields.FloatField()),
            ],
            options={'table': 'leases', 'app': 'models', 'pk_attr': 'name', 'table_description': 'Who may do what only one process may do at a time (crawl a chain), and until when.'},
            bases=['Model'],
        ),
    ]
