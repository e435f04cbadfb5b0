from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_subscription_index_versions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Destination',
            name='sealed_secret',
            field=fields.TextField(null=True),
        ),
        ops.AddField(
            model_name='Destination',
            name='previous_sealed_secret',
            field=fields.TextField(null=True),
        ),
        ops.AddField(
            model_name='Destination',
            name='previous_secret_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
