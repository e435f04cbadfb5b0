from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Chat',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharField(max_length=16)),
                ('external_id', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='chats', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'chats', 'app': 'models', 'unique_together': (('platform', 'external_id'),), 'pk_attr': 'id', 'table_description': 'A conversation on a chat platform, and the account that owns what is made in it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubscriptionMute',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.OneToOneField('models.Subscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='mute', on_delete=OnDelete.CASCADE)),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'subscription_mutes', 'app': 'models', 'pk_attr': 'id', 'table_description': "Until when a subscription's notifications are held back (no row: not muted)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WizardState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharField(max_length=16)),
                ('chat_external_id', fields.CharField(max_length=64)),
                ('user_external_id', fields.CharField(max_length=64)),
                ('step', fields.CharField(max_length=32)),
                ('data', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'wizard_states', 'app': 'models', 'unique_together': (('platform', 'chat_external_id', 'user_external_id'),), 'pk_attr': 'id', 'table_description': "One person's conversation with the subscribe wizard in one chat: the step and the"},
            bases=['Model'],
        ),
    ]
