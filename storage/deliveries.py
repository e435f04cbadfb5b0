"""The notifier's queries over the outbox: claiming due deliveries, settling those with nothing
to send, and the listings of the CLI (storage.attempts records what each send did)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol, TypeAlias

import orjson
from tortoise.functions import Count

from storage.db import connection, dialect
from storage.models import Delivery, Destination
from storage.secret_box import SecretUnreadable, secret_box

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None

DELIVERY_STATUSES = ("waiting", "pending", "delivered", "dead", "cancelled", "muted")


@dataclass(frozen=True, slots=True)
class AbiParam:
    """One input of an event (or one component of a tuple) as the contract's ABI declares it."""

    name: str
    type: str
    indexed: bool = False
    components: tuple[AbiParam, ...] = ()


@dataclass(frozen=True, slots=True)
class DueDestination:
    id: int
    kind: str
    target: str
    secret: str | None = field(repr=False)
    previous_secret: str | None = field(default=None, repr=False)
    """The secret before a rotation, while it still signs beside `secret`."""
    secret_unreadable: bool = False
    """The stored secret cannot be opened with the configured keys."""


@dataclass(frozen=True, slots=True)
class DueEvent:
    chain: str
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int
    contract: str
    event_name: str | None
    args: dict[str, JsonValue]
    topics: tuple[str, ...]
    data: str
    msg_index: int | None = None
    """On a Cosmos chain, the message of the transaction that emitted the event, when known."""


class DisplayDenom(Protocol):
    """How amounts of one denomination read: `base` units, shown as amount / 10**exponent
    `display` (watcher.cosmos_denoms.Denom is one; storage names the shape, not the class)."""

    @property
    def base(self) -> str: ...
    @property
    def display(self) -> str: ...
    @property
    def exponent(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ChainFacts:
    """What the settings say of an event's chain that rendering needs and the database does
    not hold: its family and, on a Cosmos chain, its account address prefix and
    denominations. The notifier fills them in after claiming (notifier/loop.py ChainInfo)."""

    family: str = "evm"
    bech32_prefix: str | None = None
    denoms: tuple[DisplayDenom, ...] = ()


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery with everything needed to render and send it without more queries.

    `token_symbol` and `token_decimals` are those of the subscribed contract when it is an
    ERC-20 token whose chain told them. `provisional` marks a notification sent before its
    event was confirmed. `original_ref` is, for a confirmation or a correction, the chat's id
    of the notification it settles, when that was a message of its own. `chain_facts` are
    those of the configured chain, set by the notifier (a claim leaves EVM's defaults).
    """

    id: str
    kind: str
    attempts: int
    subscription_id: int
    destination: DueDestination
    event: DueEvent
    abi_inputs: tuple[AbiParam, ...]
    language: str = "en"
    token_symbol: str | None = None
    token_decimals: int | None = None
    provisional: bool = False
    original_ref: str | None = None
    chain_facts: ChainFacts = field(default_factory=ChainFacts)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One delivery as the CLI lists it."""

    id: str
    status: str
    kind: str
    chain: str
    event_name: str | None
    block_number: int
    transaction_hash: str
    destination_id: int
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    response_code: int | None
    sent_at: datetime | None
    latency_ms: float | None
    created_at: datetime


# The inner SELECT picks the due rows; on PostgreSQL it locks them with SKIP LOCKED so that
# concurrent notifiers each take different rows, and the lease (claimed_until) lets any of them
# take over rows whose claimer died before recording an attempt.
# A due event notification of a subscription muted at `now` is settled as `muted` by the same
# statement instead of being leased. Corrections (kind event.reverted) are never muted: they
# exist only for notifications that were sent (or were being sent), and whoever read one must
# learn that its event is void.
_MUTED = """kind = 'event' AND EXISTS (
        SELECT 1 FROM subscription_mutes m
        WHERE m.subscription_id = deliveries.subscription_id AND m.until > {now}
    )"""
# On PostgreSQL both sub-selects are arrays, each computed once before the update: written as
# IN they become joins, and after a burst of deliveries the planner hash-joined a sequential
# scan of the whole table and sorted every due row, for each claim, instead of reading the
# oldest due rows from the (status, next_attempt_at) index and the claimed ones by primary key.
_CLAIM_SQL = """
UPDATE deliveries SET
    status = CASE WHEN {muted} THEN 'muted' ELSE status END,
    claimed_until = CASE WHEN {muted} THEN NULL ELSE {lease_end} END
WHERE id {in_select}
    SELECT id FROM deliveries
    WHERE status = 'pending' AND next_attempt_at <= {now}
      AND (claimed_until IS NULL OR claimed_until < {now})
      AND destination_id {in_select}
          SELECT id FROM destinations WHERE status = 'active' AND kind IN ({kinds})
      {end_select}
    ORDER BY next_attempt_at
    LIMIT {limit}{lock}
{end_select}
RETURNING id, status
"""

_DETAILS_SQL = """
SELECT dl.id AS id, dl.kind AS kind, dl.attempts AS attempts,
       dl.subscription_id AS subscription_id, dl.provisional AS provisional,
       CASE WHEN dl.kind = 'event' THEN NULL ELSE
       (SELECT o.message_ref FROM deliveries o
        WHERE o.event_id = dl.event_id AND o.subscription_id = dl.subscription_id
          AND o.destination_id = dl.destination_id AND o.kind = 'event'
          AND o.message_ref IS NOT NULL
        ORDER BY o.created_at DESC LIMIT 1) END AS original_ref,
       ds.id AS destination_id, ds.kind AS destination_kind, ds.target AS target,
       ds.secret AS secret, ds.sealed_secret AS sealed_secret,
       ds.previous_sealed_secret AS previous_sealed_secret,
       ds.previous_secret_until AS previous_secret_until,
       e.chain AS chain, e.block_number AS block_number, e.block_hash AS block_hash,
       e.transaction_hash AS transaction_hash, e.log_index AS log_index, e.contract AS contract,
       e.event_name AS event_name, e.args AS args, e.topics AS topics, e.data AS data,
       e.msg_index AS msg_index,
       c.abi AS abi, c.symbol AS token_symbol, c.decimals AS token_decimals,
       u.language AS language
FROM deliveries dl
JOIN destinations ds ON ds.id = dl.destination_id
JOIN users u ON u.id = ds.user_id
JOIN events e ON e.id = dl.event_id
JOIN subscriptions s ON s.id = dl.subscription_id
JOIN contracts c ON c.id = s.contract_id
WHERE dl.id {ids}
ORDER BY dl.next_attempt_at
"""


@dataclass(frozen=True, slots=True)
class Claim:
    """What one claim took: the deliveries to send, and how many it settled as muted."""

    due: tuple[DueDelivery, ...]
    muted: int


async def claim_due(
    now: datetime,
    limit: int,
    lease_s: float,
    *,
    destination_kinds: Sequence[str] = ("webhook",),
) -> list[DueDelivery]:
    """Lease up to `limit` pending deliveries that are due at `now` for `lease_s` seconds."""
    claim = await claim_round(now, limit, lease_s, destination_kinds=destination_kinds)
    return list(claim.due)


async def claim_round(
    now: datetime,
    limit: int,
    lease_s: float,
    *,
    destination_kinds: Sequence[str] = ("webhook",),
) -> Claim:
    """Take up to `limit` due deliveries: lease for `lease_s` seconds those to send, and settle
    as `muted` the event notifications of subscriptions muted at `now`."""
    now_utc = now.astimezone(UTC)
    values: list[Any] = [now_utc + timedelta(seconds=lease_s), now_utc, limit, *destination_kinds]
    sql = _CLAIM_SQL.format(
        muted=_MUTED.format(now=_param(2)),
        # Inside CASE nothing tells PostgreSQL the parameter's type, and text will not do.
        lease_end=_param(1) + ("::timestamptz" if dialect().is_postgres else ""),
        now=_param(2),
        limit=_param(3),
        kinds=", ".join(_param(4 + i) for i in range(len(destination_kinds))),
        lock="\n    FOR UPDATE SKIP LOCKED" if dialect().is_postgres else "",
        in_select="= ANY(ARRAY(" if dialect().is_postgres else "IN (",
        end_select="))" if dialect().is_postgres else ")",
    )
    claimed = await connection().execute_query_dict(sql, values)
    ids = [row["id"] for row in claimed if row["status"] != "muted"]
    muted = len(claimed) - len(ids)
    if not ids:
        return Claim((), muted)
    if dialect().is_postgres:
        # One statement for any number of ids, prepared once and looked up by primary key.
        details = _DETAILS_SQL.format(ids="= ANY($1::uuid[])")
        rows = await connection().execute_query_dict(details, [ids])
    else:
        details = _DETAILS_SQL.format(ids=f"IN ({dialect().placeholders(len(ids))})")
        rows = await connection().execute_query_dict(details, ids)
    return Claim(tuple(_due_delivery(row, now_utc) for row in rows), muted)


def _param(index: int) -> str:
    """A numbered placeholder, so a value can appear twice in one statement on both backends."""
    return f"${index}" if dialect().is_postgres else f"?{index}"


def _due_delivery(row: dict[str, Any], now: datetime) -> DueDelivery:
    topics = tuple(_json(row["topics"]))
    event = DueEvent(
        chain=row["chain"],
        block_number=int(row["block_number"]),
        block_hash=row["block_hash"],
        transaction_hash=row["transaction_hash"],
        log_index=int(row["log_index"]),
        contract=row["contract"],
        event_name=row["event_name"],
        args=dict(_json(row["args"])),
        topics=topics,
        data=row["data"],
        msg_index=None if row["msg_index"] is None else int(row["msg_index"]),
    )
    destination = _due_destination(row, now)
    return DueDelivery(
        id=str(row["id"]),
        kind=row["kind"],
        attempts=int(row["attempts"]),
        subscription_id=int(row["subscription_id"]),
        destination=destination,
        event=event,
        abi_inputs=_event_inputs(_json_text(row["abi"]), event.event_name, len(topics)),
        language=row["language"],
        token_symbol=row["token_symbol"],
        token_decimals=None if row["token_decimals"] is None else int(row["token_decimals"]),
        provisional=bool(row["provisional"]),
        original_ref=row["original_ref"],
    )


def _due_destination(row: dict[str, Any], now: datetime) -> DueDestination:
    """The destination with its signing secrets opened: the current one, and the one it
    replaced while that still signs."""
    made = DueDestination(int(row["destination_id"]), row["destination_kind"], row["target"], None)
    box = secret_box() if row["sealed_secret"] or row["previous_sealed_secret"] else None
    try:
        secret = box.open(row["sealed_secret"]) if box and row["sealed_secret"] else row["secret"]
        until = _db_datetime(row["previous_secret_until"])
        previous = None
        if box and row["previous_sealed_secret"] and until is not None and until > now:
            previous = box.open(row["previous_sealed_secret"])
    except SecretUnreadable:
        return replace(made, secret_unreadable=True)
    return replace(made, secret=secret, previous_secret=previous)


def _db_datetime(value: Any) -> datetime | None:
    """A timestamp as a raw query returns it: a datetime (PostgreSQL) or ISO text (SQLite)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json(value: Any) -> Any:
    """JSON columns arrive as text from both drivers (TEXT on SQLite, jsonb as text on asyncpg)."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


@lru_cache(maxsize=512)
def _event_inputs(abi_json: str, event_name: str | None, topic_count: int) -> tuple[AbiParam, ...]:
    """The inputs of the ABI event with this name whose indexed inputs account for the topics.

    The count tells apart events that share a name, such as ERC-20 and ERC-721 `Transfer`.
    """
    if event_name is None or not abi_json:
        return ()
    entries = orjson.loads(abi_json)
    if not isinstance(entries, list):
        return ()
    named = [e for e in entries if isinstance(e, dict) and e.get("name") == event_name]
    for entry in named:
        if entry.get("type") != "event":
            continue
        inputs = _abi_params(entry.get("inputs", []))
        topics_used = sum(param.indexed for param in inputs) + (0 if entry.get("anonymous") else 1)
        if topics_used == topic_count:
            return inputs
    return ()


def abi_params_of(inputs: list[dict[str, Any]]) -> tuple[AbiParam, ...]:
    """An ABI entry's inputs as a claimed delivery carries them (for the bot's sample)."""
    return _abi_params(inputs)


def _abi_params(items: list[dict[str, Any]]) -> tuple[AbiParam, ...]:
    """Unnamed inputs are called arg0, arg1... as the watcher names them when decoding."""
    return tuple(
        AbiParam(
            name=str(item.get("name") or f"arg{index}"),
            type=str(item.get("type", "")),
            indexed=bool(item.get("indexed", False)),
            components=_abi_params(item.get("components", [])),
        )
        for index, item in enumerate(items)
    )


async def settle_unsent(delivery_ids: Sequence[str], reason: str) -> None:
    """Close claimed deliveries that have nothing to send, saying why."""
    await Delivery.filter(id__in=list(delivery_ids), status="pending").update(
        status="cancelled", claimed_until=None, last_error=reason
    )


async def save_destination_target(destination_id: int, old_target: str, new_target: str) -> None:
    """Point a destination at its new address (a Telegram group that became a supergroup).

    Only a destination still at `old_target` changes, so a concurrent rewrite is not undone.
    """
    await Destination.filter(id=destination_id, target=old_target).update(target=new_target)


async def count_by_status() -> dict[str, int]:
    """How many deliveries are in each status (every known status is present, zero or not)."""
    rows = await Delivery.annotate(count=Count("id")).group_by("status").values("status", "count")
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update({str(row["status"]): int(row["count"]) for row in rows})
    return counts


async def list_deliveries(status: str | None, limit: int) -> list[DeliveryRow]:
    """The most recent deliveries, optionally only those in one status."""
    query = Delivery.all() if status is None else Delivery.filter(status=status)
    rows = (
        await query.order_by("-created_at")
        .limit(limit)
        .values(
            "id",
            "status",
            "kind",
            "destination_id",
            "attempts",
            "next_attempt_at",
            "last_error",
            "response_code",
            "sent_at",
            "latency_ms",
            "created_at",
            chain="event__chain",
            event_name="event__event_name",
            block_number="event__block_number",
            transaction_hash="event__transaction_hash",
        )
    )
    return [DeliveryRow(**{**row, "id": str(row["id"])}) for row in rows]
