"""Tortoise models: the whole persisted state of Blockbell."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.IntField(primary_key=True)
    language = fields.CharField(max_length=16, default="en")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class ChatIdentity(Model):
    """How a user is known on one platform (telegram, discord, cli)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="identities", on_delete=fields.CASCADE
    )
    platform = fields.CharField(max_length=16)
    external_id = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_identities"
        unique_together = (("platform", "external_id"),)


class Contract(Model):
    """A contract on a chain with the ABI its events are decoded with."""

    id = fields.IntField(primary_key=True)
    chain = fields.CharField(max_length=64)
    address = fields.CharField(max_length=64, db_index=True)
    abi: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    standard = fields.CharField(max_length=16, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contracts"


class Destination(Model):
    """Where notifications go: a webhook URL, a Telegram chat or a Discord channel."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="destinations", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    target = fields.CharField(max_length=2048)
    secret = fields.CharField(max_length=128, null=True)
    status = fields.CharField(max_length=16, default="active")
    disabled_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "destinations"


class Subscription(Model):
    """One user's interest in one event (or every event, selector None) of one contract."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="subscriptions", on_delete=fields.CASCADE
    )
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "models.Contract", related_name="subscriptions", on_delete=fields.CASCADE
    )
    destination: fields.ForeignKeyRelation[Destination] = fields.ForeignKeyField(
        "models.Destination", related_name="subscriptions", on_delete=fields.CASCADE
    )
    chain = fields.CharField(max_length=64, db_index=True)
    event_name = fields.CharField(max_length=256, null=True)
    selector = fields.CharField(max_length=66, null=True)
    filter_expr = fields.TextField(default="")
    status = fields.CharField(max_length=16, default="active")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "subscriptions"


class IndexVersion(Model):
    """A counter bumped whenever subscriptions change, so watchers know to reload."""

    name = fields.CharField(max_length=32, primary_key=True)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "index_versions"


class ChainCursor(Model):
    """The last block of a chain that was fully processed, moved in the outbox transaction."""

    chain = fields.CharField(max_length=64, primary_key=True)
    block_number = fields.BigIntField()
    block_hash = fields.CharField(max_length=66)
    halted_reason = fields.TextField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "chain_cursors"


class BlockHash(Model):
    """Recent processed block hashes of a chain, for parent-hash checks and reorg rollback."""

    id = fields.BigIntField(primary_key=True)
    chain = fields.CharField(max_length=64)
    number = fields.BigIntField()
    hash = fields.CharField(max_length=66)

    class Meta:
        table = "block_hashes"
        unique_together = (("chain", "number"),)


class Event(Model):
    """A chain event that matched at least one subscription."""

    id = fields.UUIDField(primary_key=True)
    chain = fields.CharField(max_length=64)
    block_number = fields.BigIntField()
    block_hash = fields.CharField(max_length=66)
    transaction_hash = fields.CharField(max_length=66)
    log_index = fields.IntField()
    contract = fields.CharField(max_length=64)
    selector = fields.CharField(max_length=66, null=True)
    event_name = fields.CharField(max_length=256, null=True)
    args: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    topics: fields.Field[list[str]] = fields.JSONField(default=list)
    data = fields.TextField(default="0x")
    status = fields.CharField(max_length=16, default="active")
    created_at = fields.DatetimeField()

    class Meta:
        table = "events"
        unique_together = (("chain", "block_hash", "transaction_hash", "log_index"),)
        indexes = (("chain", "block_number"),)


class Delivery(Model):
    """The outbox: one notification of one event to one destination, with its progress."""

    id = fields.UUIDField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="deliveries", on_delete=fields.CASCADE
    )
    subscription: fields.ForeignKeyRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="deliveries", on_delete=fields.CASCADE
    )
    destination: fields.ForeignKeyRelation[Destination] = fields.ForeignKeyField(
        "models.Destination", related_name="deliveries", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32, default="event")
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    response_code = fields.IntField(null=True)
    sent_at = fields.DatetimeField(null=True)
    latency_ms = fields.FloatField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "deliveries"
        indexes = (("status", "next_attempt_at"),)


class DeliveryAttempt(Model):
    """One try at sending a delivery: what happened and how long it took."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[Delivery] = fields.ForeignKeyField(
        "models.Delivery", related_name="attempt_records", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    started_at = fields.DatetimeField()
    outcome = fields.CharField(max_length=16)
    response_code = fields.IntField(null=True)
    error = fields.TextField(null=True)
    latency_ms = fields.FloatField()

    class Meta:
        table = "delivery_attempts"
