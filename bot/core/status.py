"""`/status`: for each chain the chat's subscriptions are on, the block being watched, the lag
behind the head and how its watcher is doing, as the watcher last reported it, or that the
chain itself makes no blocks."""

from __future__ import annotations

from typing import Literal

from bot.core.caller import Caller
from bot.core.context import account_of
from bot.core.replies import Reply, Text, choice, text
from storage.chain_health import ChainHealthRow, fetch_chain_health
from storage.subscriptions import list_owned_subscriptions

ChainState = Literal["healthy", "unhealthy", "stalled", "quiet", "halted", "unknown"]


async def show_status(caller: Caller) -> Reply:
    """A line per chain with an active subscription of the chat, and a button to look again."""
    account = await account_of(caller)
    rows = await list_owned_subscriptions(account.owner_id)
    chains = list(dict.fromkeys(row.chain for row in rows if row.status == "active"))
    if not chains:
        start = ((choice("bot.choice.subscribe", "menu:subscribe"),),)
        return Reply(text("bot.status.empty"), start, language=account.language)
    health = await fetch_chain_health(chains)
    lines = tuple(render_chain_line(chain, health.get(chain)) for chain in chains)
    again = ((choice("bot.status.refresh", "menu:status"),),)
    return Reply(text("bot.status.title", count=len(chains)), again, lines, account.language)


def chain_state(row: ChainHealthRow | None) -> ChainState:
    """How a chain's watcher is doing; "stalled" and "quiet" (the chain makes no blocks)
    exactly while its subscribers have been told so, so that /status and the notices never
    disagree. A stalled watcher's news comes first: while it lasts, a quiet chain may be news
    from before it."""
    if row is None:
        return "unknown"
    if row.snapshot.halted_reason is not None:
        return "halted"
    if row.stalled_since is not None:
        return "stalled"
    if row.quiet_since is not None and row.snapshot.head_time is not None:
        return "quiet"
    return "healthy" if row.snapshot.healthy else "unhealthy"


def render_chain_line(chain: str, row: ChainHealthRow | None) -> Text:
    """One chain's line: its state, with the block and the lag when the watcher knows them."""
    state = chain_state(row)
    if row is None or state == "halted":
        return text(f"bot.status.{state}", chain=chain)
    block, lag = row.snapshot.cursor_number, row.snapshot.lag
    if block is None or lag is None:
        key = "bot.status.stalled_no_block" if state == "stalled" else "bot.status.starting"
        return text(key, chain=chain)
    head_time = row.snapshot.head_time
    if state == "quiet" and head_time is not None:
        # As of the watcher's last report, seconds old: /status needs no clock of its own.
        quiet_s = (row.snapshot.updated_at - head_time).total_seconds()
        minutes = max(1, int(quiet_s // 60))
        return text("bot.status.chain_quiet", chain=chain, block=block, minutes=minutes)
    return text(f"bot.status.{state}", chain=chain, block=block, count=lag)
