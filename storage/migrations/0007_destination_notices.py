from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_chain_health')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Destination',
            name='added_by',
            field=fields.CharField(null=True, max_length=96),
        ),
        ops.AddField(
            model_name='Destination',
            name='notice_owed',
            field=fields.BooleanField(default=False),
        ),
    ]
