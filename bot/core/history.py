"""`/history`: the chat's notifications with how each delivery went, newest first."""

from __future__ import annotations

from bot.core.caller import Caller
from bot.core.context import account_of
from bot.core.replies import Choice, Reply, Text, choice, text
from storage.history import HistoryRow, fetch_history

PAGE_SIZE = 10
_STATUSES = ("waiting", "pending", "delivered", "dead", "cancelled", "muted")


async def show_history(caller: Caller, page: int = 0) -> Reply:
    """Page `page` (0 is the newest) of the notifications, with buttons to older and newer."""
    account = await account_of(caller)
    page = max(page, 0)
    found = await fetch_history(account.owner_id, page * PAGE_SIZE, PAGE_SIZE)
    if found.total == 0:
        return Reply(text("bot.history.empty"), language=account.language)
    pages = (found.total + PAGE_SIZE - 1) // PAGE_SIZE
    if not found.rows:
        return Reply(text("bot.expired"), language=account.language)
    title = text("bot.history.title", count=found.total, page=page + 1, pages=pages)
    lines = tuple(_line(row) for row in found.rows)
    moves: list[Choice] = []
    if page > 0:
        moves.append(choice("bot.choice.newer", f"hist:{page - 1}"))
    if page + 1 < pages:
        moves.append(choice("bot.choice.older", f"hist:{page + 1}"))
    return Reply(title, (tuple(moves),) if moves else (), lines, account.language)


def _line(row: HistoryRow) -> Text:
    status = row.status if row.status in _STATUSES else "pending"
    return text(
        f"bot.history.line_{status}",
        when=row.created_at.strftime("%Y-%m-%d %H:%M"),
        id=row.subscription_id,
        chain=row.chain,
        event=row.event_name or "?",
        block=row.block_number,
    )
