from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0014_sealed_webhook_secrets")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Subscription",
            name="added_by",
            field=fields.CharField(max_length=96, null=True),
        ),
        ops.AddIndex(
            model_name="Subscription",
            index=Index(fields=["added_by", "status"]),
        ),
    ]
