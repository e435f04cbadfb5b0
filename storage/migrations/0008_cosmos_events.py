from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_destination_notices')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Event',
            name='msg_index',
            field=fields.IntField(null=True),
        ),
    ]
