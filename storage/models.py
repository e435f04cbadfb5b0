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
    """A contract on a chain with the ABI its events are decoded with.

    An ERC-20 token's symbol and decimals, as the chain told them when it was added, make its
    amounts readable in notifications (both None when not known or not a token).
    """

    id = fields.IntField(primary_key=True)
    chain = fields.CharField(max_length=64)
    # A CosmWasm contract's bech32 address is 60 characters and more, with the chain's prefix.
    address = fields.CharField(max_length=128, db_index=True)
    abi: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    standard = fields.CharField(max_length=16, null=True)
    symbol = fields.CharField(max_length=32, null=True)
    decimals = fields.IntField(null=True)
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
    """A webhook's signing secret as stored before secrets were sealed; moved to
    `sealed_secret` at start (storage.users.seal_plain_secrets)."""
    sealed_secret = fields.TextField(null=True)
    """The webhook's signing secret sealed with the operator's key (storage.secret_box)."""
    previous_sealed_secret = fields.TextField(null=True)
    """The secret before the last rotation, sealed: it signs beside the new one until
    `previous_secret_until`, so a receiver can switch without refusing a delivery."""
    previous_secret_until = fields.DatetimeField(null=True)
    status = fields.CharField(max_length=16, default="active")
    disabled_reason = fields.TextField(null=True)
    added_by = fields.CharField(max_length=96, null=True)
    """The person who added it, as `platform:user id`: told in their DMs when it stops and
    its owner's chat cannot be told."""
    notice_owed = fields.BooleanField(default=False)
    """Disabled, and its owner not told yet."""
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
    instant = fields.BooleanField(default=False)
    """Notify as soon as the block is seen, before the chain's confirmations: the notification
    is marked provisional, then confirmed or reverted."""
    created_at = fields.DatetimeField(auto_now_add=True)
    index_version = fields.BigIntField(default=0)
    added_by = fields.CharField(max_length=96, null=True)
    """The person who made it (`platform:user id`), for the limit one person has across
    chats; none when made from the command line."""
    """The subscriptions counter (IndexVersion) when this row, its destination's status or
    anything else a watcher matches on last changed: watchers read only what moved past the
    version they hold."""

    class Meta:
        table = "subscriptions"
        indexes = (("chain", "index_version"), ("added_by", "status"))


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
    resume_requested = fields.BooleanField(default=False)
    """An operator released the halted chain (`blockbell resume`): its watcher starts by
    re-anchoring on the node's chain, at `resume_from` or where it finds the fork."""
    resume_from = fields.BigIntField(null=True)
    lease_token = fields.BigIntField(default=0)
    """The fencing token of the chain's lease under which the cursor last moved; a writer with
    a smaller one is refused."""
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "chain_cursors"


class Lease(Model):
    """Who may do what only one process may do at a time (crawl a chain), and until when.

    `token` grows by one at every change of holder: the fencing token its writes carry.
    """

    name = fields.CharField(max_length=96, primary_key=True)
    holder = fields.CharField(max_length=128)
    token = fields.BigIntField()
    expires_at = fields.FloatField()
    """Seconds since the epoch, by the database's clock (every process reads the same one)."""

    class Meta:
        table = "leases"


class ChainGap(Model):
    """Blocks a chain's watcher could not read because no node had them any more."""

    id = fields.IntField(primary_key=True)
    chain = fields.CharField(max_length=64)
    first_block = fields.BigIntField()
    last_block = fields.BigIntField()
    reason = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chain_gaps"


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
    contract = fields.CharField(max_length=128)
    selector = fields.CharField(max_length=66, null=True)
    event_name = fields.CharField(max_length=256, null=True)
    args: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    topics: fields.Field[list[str]] = fields.JSONField(default=list)
    data = fields.TextField(default="0x")
    msg_index = fields.IntField(null=True)
    """On a Cosmos chain, the message of the transaction that emitted the event, when known;
    `log_index` is then the event's position in its transaction (or among the block's own
    events, whose `transaction_hash` is empty)."""
    status = fields.CharField(max_length=16, default="active")
    confirmed = fields.BooleanField(default=True)
    """False while its block has fewer than the chain's confirmations on top of it."""
    created_at = fields.DatetimeField()

    class Meta:
        table = "events"
        # The block number leads the unique key (which it does not widen: a block hash fixes
        # its number), so a catch-up's inserts append at the end of the index instead of at
        # random places, and the same index serves every query by block range.
        unique_together = (
            ("chain", "block_number", "block_hash", "transaction_hash", "log_index"),
        )


class Delivery(Model):
    """The outbox: one notification of one event to one destination, with its progress.

    Its references carry no database constraint on PostgreSQL: checking three foreign keys
    for each of the tens of thousands of rows a catch-up step inserts cost more than storing
    the rows. Only the outbox transaction inserts deliveries, always for the events it
    inserts in the same transaction and for subscriptions and destinations it read, and
    nothing deletes those rows (they change status), so the references cannot dangle.
    """

    id = fields.UUIDField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="deliveries", db_constraint=False, db_index=True
    )
    subscription: fields.ForeignKeyRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="deliveries", db_constraint=False
    )
    destination: fields.ForeignKeyRelation[Destination] = fields.ForeignKeyField(
        "models.Destination", related_name="deliveries", db_constraint=False
    )
    kind = fields.CharField(max_length=32, default="event")
    status = fields.CharField(max_length=16, default="pending")
    provisional = fields.BooleanField(default=False)
    """Sent before its event was confirmed: a confirmation or a reversal follows."""
    message_ref = fields.CharField(max_length=64, null=True)
    """The chat's id of the message this delivery produced, for editing it later."""
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


class Chat(Model):
    """A conversation on a chat platform, and the account that owns what is made in it.

    Subscriptions and destinations belong to a User, their owner account. A private chat is
    owned by the person's own user (the one their ChatIdentity points to). A group or channel
    gets a user of its own when first seen, so whatever is made there belongs to the chat:
    every member may list it, only the chat's admins may change it, and it is never visible
    from any other chat.
    """

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    external_id = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chats", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chats"
        unique_together = (("platform", "external_id"),)


class WizardState(Model):
    """One person's conversation with the subscribe wizard in one chat: the step and the
    answers so far, kept so that a restart in the middle of it loses nothing."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    chat_external_id = fields.CharField(max_length=64)
    user_external_id = fields.CharField(max_length=64)
    step = fields.CharField(max_length=32)
    data: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "wizard_states"
        unique_together = (("platform", "chat_external_id", "user_external_id"),)


class SubscriptionMute(Model):
    """Until when a subscription's notifications are held back (no row: not muted)."""

    id = fields.IntField(primary_key=True)
    subscription: fields.OneToOneRelation[Subscription] = fields.OneToOneField(
        "models.Subscription", related_name="mute", on_delete=fields.CASCADE
    )
    until = fields.DatetimeField()

    class Meta:
        table = "subscription_mutes"


class ChainHealth(Model):
    """The last state a chain's watcher reported, and whether its subscribers were told of a stall
    (of the watcher) or of a quiet chain (one that makes no blocks).

    Roles may run in separate processes, so the watcher's live status is written here for the
    bot's /status and the notifier's stall notices. The watcher writes the snapshot columns
    only, the notifier the stall and quiet columns only, each with single-statement updates.
    """

    chain = fields.CharField(max_length=64, primary_key=True)
    head_number = fields.BigIntField(null=True)
    cursor_number = fields.BigIntField(null=True)
    healthy = fields.BooleanField(default=False)
    halted_reason = fields.TextField(null=True)
    error = fields.TextField(null=True)
    updated_at = fields.DatetimeField()
    unhealthy_since = fields.DatetimeField(null=True)
    """Since when the watcher's steps have been failing (None while they succeed)."""
    stuck_since = fields.DatetimeField(null=True)
    """Since when the cursor has stood still below the head less the confirmations."""
    stalled_since = fields.DatetimeField(null=True)
    """Set by the notifier that claimed the stall notice, cleared by the one that claimed the
    recovery notice."""
    stall_notified = fields.BooleanField(default=False)
    """True while a stall notice has been claimed and no recovery notice yet."""
    head_time = fields.DatetimeField(null=True)
    """When the chain made its newest block the watcher knows, by that block's header."""
    quiet_since = fields.DatetimeField(null=True)
    """Set by the notifier that claimed the notice that the chain makes no blocks, cleared by
    the one that claimed the notice that it makes blocks again."""
    quiet_notified = fields.BooleanField(default=False)
    """True while a chain-quiet notice has been claimed and no moving-again notice yet."""

    class Meta:
        table = "chain_health"
