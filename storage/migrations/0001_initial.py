from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='BlockHash',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chain', fields.CharField(max_length=64)),
                ('number', fields.BigIntField()),
                ('hash', fields.CharField(max_length=66)),
            ],
            options={'table': 'block_hashes', 'app': 'models', 'unique_together': (('chain', 'number'),), 'pk_attr': 'id', 'table_description': 'Recent processed block hashes of a chain, for parent-hash checks and reorg rollback.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChainCursor',
            fields=[
                ('chain', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('block_number', fields.BigIntField()),
                ('block_hash', fields.CharField(max_length=66)),
                ('halted_reason', fields.TextField(null=True, unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'chain_cursors', 'app': 'models', 'pk_attr': 'chain', 'table_description': 'The last block of a chain that was fully processed, moved in the outbox transaction.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contract',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chain', fields.CharField(max_length=64)),
                ('address', fields.CharField(db_index=True, max_length=64)),
                ('abi', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('standard', fields.CharField(null=True, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contracts', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A contract on a chain with the ABI its events are decoded with.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('chain', fields.CharField(max_length=64)),
                ('block_number', fields.BigIntField()),
                ('block_hash', fields.CharField(max_length=66)),
                ('transaction_hash', fields.CharField(max_length=66)),
                ('log_index', fields.IntField()),
                ('contract', fields.CharField(max_length=64)),
                ('selector', fields.CharField(null=True, max_length=66)),
                ('event_name', fields.CharField(null=True, max_length=256)),
                ('args', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('topics', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('data', fields.TextField(default='0x', unique=False)),
                ('status', fields.CharField(default='active', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'events', 'app': 'models', 'unique_together': (('chain', 'block_hash', 'transaction_hash', 'log_index'),), 'indexes': [Index(fields=['chain', 'block_number'])], 'pk_attr': 'id', 'table_description': 'A chain event that matched at least one subscription.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IndexVersion',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('version', fields.BigIntField(default=0)),
            ],
            options={'table': 'index_versions', 'app': 'models', 'pk_attr': 'name', 'table_description': 'A counter bumped whenever subscriptions change, so watchers know to reload.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('language', fields.CharField(default='en', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChatIdentity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='identities', on_delete=OnDelete.CASCADE)),
                ('platform', fields.CharField(max_length=16)),
                ('external_id', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'chat_identities', 'app': 'models', 'unique_together': (('platform', 'external_id'),), 'pk_attr': 'id', 'table_description': 'How a user is known on one platform (telegram, discord, cli).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Destination',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='destinations', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('target', fields.CharField(max_length=2048)),
                ('secret', fields.CharField(null=True, max_length=128)),
                ('status', fields.CharField(default='active', max_length=16)),
                ('disabled_reason', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'destinations', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Where notifications go: a webhook URL, a Telegram chat or a Discord channel.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Subscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE)),
                ('contract', fields.ForeignKeyField('models.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE)),
                ('destination', fields.ForeignKeyField('models.Destination', source_field='destination_id', db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE)),
                ('chain', fields.CharField(db_index=True, max_length=64)),
                ('event_name', fields.CharField(null=True, max_length=256)),
                ('selector', fields.CharField(null=True, max_length=66)),
                ('filter_expr', fields.TextField(default='', unique=False)),
                ('status', fields.CharField(default='active', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'subscriptions', 'app': 'models', 'pk_attr': 'id', 'table_description': "One user's interest in one event (or every event, selector None) of one contract."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('subscription', fields.ForeignKeyField('models.Subscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('destination', fields.ForeignKeyField('models.Destination', source_field='destination_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(default='event', max_length=32)),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('response_code', fields.IntField(null=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('latency_ms', fields.FloatField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deliveries', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'The outbox: one notification of one event to one destination, with its progress.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('models.Delivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_records', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(max_length=16)),
                ('response_code', fields.IntField(null=True)),
                ('error', fields.TextField(null=True, unique=False)),
                ('latency_ms', fields.FloatField()),
            ],
            options={'table': 'delivery_attempts', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One try at sending a delivery: what happened and how long it took.'},
            bases=['Model'],
        ),
    ]
