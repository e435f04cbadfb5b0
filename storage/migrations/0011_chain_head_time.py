from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_longer_addresses')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ChainHealth',
            name='head_time',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ChainHealth',
            name='quiet_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ChainHealth',
            name='quiet_notified',
            field=fields.BooleanField(default=False),
        ),
    ]
