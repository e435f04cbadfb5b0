"""Chains' health as their watchers last reported it, the stall- and quiet-notice claims, and
who to tell.

The watcher (perhaps in another process than the bot and the notifier) writes a snapshot of
each chain it crawls every few seconds. Notifiers claim a stall or a recovery (of the watcher),
and a quiet spell or the end of one (of the chain), each with one UPDATE whose WHERE clause
only the first of them satisfies, so each notice goes out once however many notifier
processes run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError

from storage.models import ChainHealth, Subscription

TELEGRAM = "telegram"
DISCORD = "discord"
CHAT_PLATFORMS = (TELEGRAM, DISCORD)


@dataclass(frozen=True, slots=True)
class ChainSnapshot:
    """What a chain's watcher reports: where it is, whether its steps succeed, since when it
    has been failing (`unhealthy_since`) or standing still behind the head (`stuck_since`), and
    when the chain made its newest block (`head_time`, from the block's header)."""

    chain: str
    head_number: int | None
    cursor_number: int | None
    healthy: bool
    halted_reason: str | None
    error: str | None
    updated_at: datetime
    unhealthy_since: datetime | None = None
    stuck_since: datetime | None = None
    head_time: datetime | None = None

    @property
    def lag(self) -> int | None:
        """Blocks between the head and the cursor, confirmations included (as /health says)."""
        if self.head_number is None or self.cursor_number is None:
            return None
        return max(0, self.head_number - self.cursor_number)


@dataclass(frozen=True, slots=True)
class ChainHealthRow:
    """A stored snapshot with the notifiers' verdicts: `stalled_since` is set while the chain's
    subscribers have been told it stalled and not yet that it recovered, `quiet_since` while
    they have been told the chain makes no blocks and not yet that it makes them again."""

    snapshot: ChainSnapshot
    stalled_since: datetime | None
    quiet_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class SubscribedChat:
    """A chat (a Telegram chat, a Discord channel or DM channel) with an active subscription
    on a chain, in its owner's language; `platform` is the destination kind."""

    chat_id: str
    language: str
    platform: str = TELEGRAM


_SNAPSHOT_FIELDS = (
    "head_number",
    "cursor_number",
    "healthy",
    "halted_reason",
    "error",
    "updated_at",
    "unhealthy_since",
    "stuck_since",
    "head_time",
)


async def save_snapshot(snapshot: ChainSnapshot) -> None:
    """Write the snapshot columns of the chain's row (made on first report), leaving the
    notifiers' stall and quiet columns as they are."""
    values = {name: getattr(snapshot, name) for name in _SNAPSHOT_FIELDS}
    if await ChainHealth.filter(chain=snapshot.chain).update(**values):
        return
    try:
        await ChainHealth.create(chain=snapshot.chain, **values)
    except IntegrityError:
        # Another watcher made the row between our update and our insert: write over it.
        await ChainHealth.filter(chain=snapshot.chain).update(**values)


async def fetch_chain_health(chains: Iterable[str] | None = None) -> dict[str, ChainHealthRow]:
    """The stored rows of these chains (of every chain when None); a chain without a report
    has no entry."""
    query = ChainHealth.all() if chains is None else ChainHealth.filter(chain__in=list(chains))
    rows = await query.order_by("chain")
    return {row.chain: _row(row) for row in rows}


def _row(row: ChainHealth) -> ChainHealthRow:
    snapshot = ChainSnapshot(
        chain=row.chain,
        head_number=row.head_number,
        cursor_number=row.cursor_number,
        healthy=row.healthy,
        halted_reason=row.halted_reason,
        error=row.error,
        updated_at=row.updated_at,
        unhealthy_since=row.unhealthy_since,
        stuck_since=row.stuck_since,
        head_time=row.head_time,
    )
    return ChainHealthRow(snapshot, row.stalled_since, row.quiet_since)


async def claim_stall(chain: str, now: datetime) -> bool:
    """Mark the chain stalled since `now`; True only for the one caller whose UPDATE changed
    the row, which is the one to tell the subscribers."""
    changed = await ChainHealth.filter(chain=chain, stall_notified=False).update(
        stalled_since=now, stall_notified=True
    )
    return bool(changed)


async def claim_recovery(chain: str) -> bool:
    """Clear the chain's stall; True only for the one caller whose UPDATE changed the row."""
    changed = await ChainHealth.filter(chain=chain, stall_notified=True).update(
        stalled_since=None, stall_notified=False
    )
    return bool(changed)


async def claim_quiet(chain: str, now: datetime) -> bool:
    """Mark the chain told quiet (making no blocks) since `now`; True only for the one caller
    whose UPDATE changed the row, which is the one to tell the subscribers."""
    changed = await ChainHealth.filter(chain=chain, quiet_notified=False).update(
        quiet_since=now, quiet_notified=True
    )
    return bool(changed)


async def claim_moving(chain: str) -> bool:
    """Clear the chain's quiet spell; True only for the one caller whose UPDATE changed the
    row."""
    changed = await ChainHealth.filter(chain=chain, quiet_notified=True).update(
        quiet_since=None, quiet_notified=False
    )
    return bool(changed)


async def fetch_subscribed_chats(
    chain: str, platforms: tuple[str, ...] = CHAT_PLATFORMS
) -> list[SubscribedChat]:
    """Each chat of `platforms` that receives notifications of an active subscription on the
    chain, once, in the language of the account that owns its destination (the chat's owner)."""
    rows = (
        await Subscription.filter(
            chain=chain,
            status="active",
            destination__status="active",
            destination__kind__in=list(platforms),
        )
        .order_by("destination_id")
        .values(
            chat_id="destination__target",
            platform="destination__kind",
            language="destination__user__language",
        )
    )
    chats: dict[tuple[str, str], str] = {}
    for row in rows:
        chats.setdefault((str(row["platform"]), str(row["chat_id"])), str(row["language"]))
    return [
        SubscribedChat(chat_id, language, platform)
        for (platform, chat_id), language in chats.items()
    ]
