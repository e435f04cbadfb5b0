"""Creating the subscriptions a form asked for, and the reply that shows recent matches."""

from __future__ import annotations

from bot.core.caller import Caller
from bot.core.context import CoreSettings
from bot.core.replies import Reply, Text, choice, text
from bot.core.wizard import Order
from storage.subscriptions import (
    ActiveSubscription,
    count_kept_subscriptions,
    count_subscriptions_added_by,
    create_subscriptions,
)
from storage.users import Account, ensure_chat_destination
from watcher.types import ChainEvent

RECENT_MATCHES = 3
# The width of the contracts' symbol column; ERC-20 decimals are a uint8.
MAX_SYMBOL_CHARS = 32
MAX_DECIMALS = 255


async def over_quota(
    settings: CoreSettings, caller: Caller, account: Account, adding: int
) -> Reply | None:
    """The refusal when `adding` more subscriptions would take the chat, or the person across
    their chats, past a limit; with `adding` 0 (a wizard about to start), when not even one
    more fits."""
    limits, wanted = settings.quotas, max(adding, 1)
    kept = await count_kept_subscriptions(account.owner_id)
    if kept + wanted > limits.subscriptions_per_chat:
        limit = limits.subscriptions_per_chat
        over = (
            text("bot.quota.subscriptions", limit=limit, kept=kept, asked=adding)
            if adding
            else text("bot.quota.full", limit=limit, kept=kept)
        )
    else:
        made = await count_subscriptions_added_by(caller.person)
        if made + wanted <= limits.subscriptions_per_person:
            return None
        over = text("bot.quota.person", limit=limits.subscriptions_per_person, kept=made)
    return Reply(over, ((choice("bot.choice.list", "menu:list"),),), language=account.language)


async def fulfil(settings: CoreSettings, caller: Caller, account: Account, order: Order) -> Reply:
    """Store the order's subscriptions (watchers reload) and say which recent events of the
    chain they would have matched. The chain port looks EVM logs up only: on a Cosmos chain
    the reply says that past events are not looked up."""
    if (refusal := await over_quota(settings, caller, account, len(order.events))) is not None:
        return refusal
    destination_id = order.destination_id
    if destination_id is None:
        destination_id = await ensure_chat_destination(
            account.owner_id, caller.platform, caller.chat_external_id, caller.person
        )
    symbol, decimals = token_facts(order)
    ids = await create_subscriptions(
        owner_id=account.owner_id,
        chain=order.chain,
        address=order.address,
        abi=order.abi,
        standard=order.standard,
        events=order.events,
        destination_id=destination_id,
        symbol=symbol,
        decimals=decimals,
        # People in a chat want to know at once; the message says when it is provisional
        # and is edited once the block is confirmed or reverted.
        instant=True,
        added_by=caller.person,
    )
    created = text("bot.wizard.created", count=len(ids), ids=", ".join(f"#{i}" for i in ids))
    more = (
        choice("bot.choice.list", "menu:list"),
        choice("bot.choice.subscribe", "menu:subscribe"),
    )
    if order.chain in settings.cosmos:
        skipped = (text("bot.cosmos.recent_skipped"),)
        return Reply(created, (more,), skipped, account.language)
    sources = [
        ActiveSubscription(
            subscription_id=subscription_id,
            destination_id=destination_id,
            address=order.address.lower(),
            selector=event.selector,
            event_name=event.event_name,
            filter_expr=event.filter_expr,
            abi=order.abi,
        )
        for subscription_id, event in zip(ids, order.events, strict=True)
    ]
    matches = await settings.lookup.fetch_recent_matches(order.chain, sources, RECENT_MATCHES)
    return Reply(created, (more,), _recent(matches), account.language)


def token_facts(order: Order) -> tuple[str | None, int | None]:
    """The symbol and decimals worth keeping with the contract: only an ERC-20 token's amounts
    are shown in whole tokens, and a symbol is whatever the contract returns, so it is cut."""
    if order.standard != "erc20":
        return None, None
    symbol = (order.symbol or "").strip()[:MAX_SYMBOL_CHARS] or None
    decimals = order.decimals
    if decimals is not None and not 0 <= decimals <= MAX_DECIMALS:
        decimals = None
    return symbol, decimals


def _recent(matches: list[ChainEvent] | None) -> tuple[Text, ...]:
    if matches is None:
        return (text("bot.wizard.recent_unavailable"),)
    if not matches:
        return (text("bot.wizard.recent_none"),)
    lines = tuple(
        text(
            "bot.wizard.recent_line",
            event=match.name or "?",
            block=match.block_number,
            tx=match.transaction_hash,
        )
        for match in matches[:RECENT_MATCHES]
    )
    return (text("bot.wizard.recent_title"), *lines)
