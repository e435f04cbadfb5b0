from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_provisional_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChainHealth',
            fields=[
                ('chain', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('head_number', fields.BigIntField(null=True)),
                ('cursor_number', fields.BigIntField(null=True)),
                ('healthy', fields.BooleanField(default=False)),
                ('halted_reason', fields.TextField(null=True, unique=False)),
                ('error', fields.TextField(null=True, unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('unhealthy_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('stuck_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('stalled_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('stall_notified', fields.BooleanField(default=False)),
            ],
            options={'table': 'chain_health', 'app': 'models', 'pk_attr': 'chain', 'table_description': "The last state a chain's watcher reported, and whether its subscribers were told of a stall."},
            bases=['Model'],
        ),
    ]
