from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_contract_tokens')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Subscription',
            name='instant',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Event',
            name='confirmed',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='Delivery',
            name='provisional',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Delivery',
            name='message_ref',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
