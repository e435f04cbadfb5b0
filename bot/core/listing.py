"""`/list` and what can be done to one subscription: pause, resume, mute, delete, test."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from bot.core.caller import Caller
from bot.core.context import account_of, admins_only, not_found, parse_id
from bot.core.cosmos_kinds import describe_subscription, listed_target
from bot.core.cosmos_sample import cosmos_sample
from bot.core.ports import CosmosChainFacts
from bot.core.replies import ChoiceRow, Reply, SampleNotification, Text, choice, text
from notifier.webhook_targets import webhook_host
from storage.deliveries import AbiParam, JsonValue, abi_params_of
from storage.subscriptions import (
    SubscriptionRow,
    fetch_mutes,
    fetch_owned_subscription,
    fetch_subscribed_contract,
    list_owned_subscriptions,
    mute_subscription,
    set_owned_subscription_instant,
    set_owned_subscription_status,
)
from storage.users import DISCORD_WEBHOOK, WEBHOOK, Account
from watcher.abi import event_selector

MUTE_HOURS = (1, 8, 24)
MAX_LISTED = 50
# The argument of ERC-20 Transfer and Approval that the notifier shows in whole tokens.
TOKEN_AMOUNT = "value"
NO_COSMOS: Mapping[str, CosmosChainFacts] = MappingProxyType({})


async def list_subscriptions(caller: Caller, now: datetime) -> Reply:
    """The chat's subscriptions, a line each, and a button to open each one."""
    account = await account_of(caller)
    rows = (await list_owned_subscriptions(account.owner_id))[:MAX_LISTED]
    if not rows:
        start = ((choice("bot.choice.subscribe", "menu:subscribe"),),)
        return Reply(text("bot.list.empty"), start, language=account.language)
    mutes = await fetch_mutes([row.id for row in rows])
    lines = tuple(_line(row, mutes.get(row.id), now) for row in rows)
    opens = tuple(
        (choice("bot.choice.open", f"sub:show:{row.id}", id=row.id, event=_event(row)),)
        for row in rows
    )
    title = text("bot.list.title", count=len(rows))
    return Reply(title, opens, lines, account.language)


def _event(row: SubscriptionRow) -> str:
    return row.event_name or "*"


def _is_cosmos(row: SubscriptionRow) -> bool:
    """EVM contracts are always 0x addresses; a Cosmos subscription's is "" or bech32."""
    return not row.address.startswith("0x")


def _target(row: SubscriptionRow) -> str:
    """What a listing line names besides the event: the contract, and on a Cosmos chain,
    where the address is often in the filter (`recipient == cosmos1…`), the filter too."""
    if not _is_cosmos(row):
        return row.address
    return listed_target(row.event_name, row.address, row.filter_expr)


def _line(row: SubscriptionRow, muted_until: datetime | None, now: datetime) -> Text:
    common: dict[str, str | int] = {
        "id": row.id,
        "chain": row.chain,
        "event": _event(row),
        "address": _target(row),
    }
    if row.status == "paused":
        return text("bot.list.line_paused", **common)
    if muted_until is not None and muted_until > now:
        return text("bot.list.line_muted", until=_when(muted_until), **common)
    return text("bot.list.line_active", **common)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


async def on_subscription_action(
    caller: Caller, action: str, now: datetime, cosmos: Mapping[str, CosmosChainFacts] = NO_COSMOS
) -> Reply:
    """`sub:<verb>:<id>[:<hours>]`; somebody else's id answers like a missing one. `cosmos`
    are the configured Cosmos chains (CoreSettings.cosmos), whose samples read as theirs."""
    account = await account_of(caller)
    parts = action.split(":")
    subscription_id = parse_id(parts[2]) if len(parts) >= 3 else None
    if subscription_id is None:
        return Reply(text("bot.expired"), language=account.language)
    row = await fetch_owned_subscription(account.owner_id, subscription_id)
    if row is None:
        return not_found(account)
    verb = parts[1]
    if verb == "show":
        return await _detail(caller, account, row, now)
    if not caller.may_change:
        return admins_only(account)
    if verb == "test":
        facts = cosmos.get(row.chain)
        sample = cosmos_sample(row, facts) if facts is not None else await _sample(row)
        return Reply(text("bot.sub.test", id=row.id), language=account.language, sample=sample)
    return await _change(account, row, verb, parts[3:], now)


async def _change(
    account: Account, row: SubscriptionRow, verb: str, rest: list[str], now: datetime
) -> Reply:
    owner, sid = account.owner_id, row.id
    if verb in ("pause", "resume"):
        await set_owned_subscription_status(owner, sid, "paused" if verb == "pause" else "active")
        if verb == "resume":
            await mute_subscription(owner, sid, None)
        return _done(account, f"bot.sub.{verb}d", sid)
    if verb == "mute" and rest and rest[0].isdecimal() and int(rest[0]) in MUTE_HOURS:
        hours = int(rest[0])
        await mute_subscription(owner, sid, now + timedelta(hours=hours))
        return _done(account, "bot.sub.muted", sid, count=hours)
    if verb == "del":
        sure = ((choice("bot.choice.delete_sure", f"sub:delok:{sid}"),),)
        return Reply(text("bot.sub.delete_confirm", id=sid), sure, language=account.language)
    if verb == "delok":
        await set_owned_subscription_status(owner, sid, "deleted")
        return _done(account, "bot.sub.deleted", sid)
    if verb == "instant" and rest and rest[0] in ("0", "1"):
        instant = rest[0] == "1"
        await set_owned_subscription_instant(owner, sid, instant)
        return _done(account, "bot.sub.instant_on" if instant else "bot.sub.instant_off", sid)
    return Reply(text("bot.expired"), language=account.language)


def _done(account: Account, key: str, subscription_id: int, **params: str | int) -> Reply:
    back = ((choice("bot.choice.list", "menu:list"),),)
    return Reply(text(key, id=subscription_id, **params), back, language=account.language)


async def _detail(caller: Caller, account: Account, row: SubscriptionRow, now: datetime) -> Reply:
    muted_until = (await fetch_mutes([row.id])).get(row.id)
    muted = muted_until is not None and muted_until > now
    destination = _destination(row)
    cosmos = _is_cosmos(row)
    summary = text(
        "bot.cosmos.sub.detail" if cosmos else "bot.sub.detail",
        id=row.id,
        chain=row.chain,
        address=row.address or "—",
        event=_event(row),
        filter=row.filter_expr or "—",
    )
    watched = (describe_subscription(row.event_name, row.address, row.filter_expr),)
    status = _line(row, muted_until, now)
    speed = text("bot.sub.speed_instant" if row.instant else "bot.sub.speed_confirmed")
    choices = _detail_choices(row, muted) if caller.may_change else ()
    back = (choice("bot.choice.list", "menu:list"),)
    extra = (*(watched if cosmos else ()), status, speed, destination)
    return Reply(summary, (*choices, back), extra, account.language)


def _destination(row: SubscriptionRow) -> Text:
    """Where the subscription's notifications go; a Discord webhook's URL holds its token,
    so it is named by its number alone."""
    if row.destination_kind == WEBHOOK:
        host = webhook_host(row.destination_target) or "?"
        return text("bot.destination.webhook", id=row.destination_id, host=host)
    if row.destination_kind == DISCORD_WEBHOOK:
        return text("bot.destination.discord_webhook", id=row.destination_id)
    return text("bot.destination.this_chat")


def _detail_choices(row: SubscriptionRow, muted: bool) -> tuple[ChoiceRow, ...]:
    sid = row.id
    toggles = []
    if row.status != "paused":
        toggles.append(choice("bot.choice.pause", f"sub:pause:{sid}"))
    if row.status == "paused" or muted:
        toggles.append(choice("bot.choice.resume", f"sub:resume:{sid}"))
    mutes = tuple(
        choice("bot.choice.mute", f"sub:mute:{sid}:{hours}", count=hours) for hours in MUTE_HOURS
    )
    speed = (
        choice("bot.choice.instant_off", f"sub:instant:{sid}:0")
        if row.instant
        else choice("bot.choice.instant_on", f"sub:instant:{sid}:1")
    )
    rest = (
        choice("bot.choice.test", f"sub:test:{sid}"),
        choice("bot.choice.delete", f"sub:del:{sid}"),
    )
    return (tuple(toggles), mutes, (speed,), rest)


async def _sample(row: SubscriptionRow) -> SampleNotification:
    """What a real match would look like: made-up arguments with everything a real delivery
    of this subscription carries (ABI inputs, token symbol and decimals, speed)."""
    contract = await fetch_subscribed_contract(row.id)
    entry = _event_entry(contract.abi, row.event_name, row.selector) if contract else None
    inputs = abi_params_of(entry.get("inputs", [])) if entry is not None else ()
    decimals = contract.decimals if contract is not None else None
    args = {param.name: _sample_value(param, index, decimals) for index, param in enumerate(inputs)}
    return SampleNotification(
        row.id,
        row.chain,
        row.address,
        row.event_name,
        args,
        abi_inputs=inputs,
        token_symbol=contract.symbol if contract is not None else None,
        token_decimals=decimals,
        provisional=row.instant,
    )


def _event_entry(
    abi: list[dict[str, Any]], name: str | None, selector: str | None
) -> dict[str, Any] | None:
    """The subscribed event's ABI entry; its selector tells apart events sharing a name
    (ERC-20 and ERC-721 `Transfer`)."""
    named = [
        entry
        for entry in abi
        if isinstance(entry, dict) and entry.get("type") == "event" and entry.get("name") == name
    ]
    if len(named) > 1 and selector is not None:
        named = [entry for entry in named if event_selector(entry) == selector] or named
    return named[0] if named else None


def _sample_value(param: AbiParam, index: int, decimals: int | None) -> JsonValue:
    """A plausible value of the input's type, stored as the watcher stores decoded values:
    addresses in lower case (the `index`-th input gets 0x1111…, 0x2222…), integers as decimal
    strings, bytes as 0x hex."""
    abi_type = param.type
    if param.indexed and _hashed_in_topic(abi_type):
        return "0x" + "ab" * 32  # an indexed string, bytes, array or tuple is only its hash
    if abi_type.endswith("]"):
        size = abi_type[abi_type.rindex("[") + 1 : -1]
        element = replace(param, type=abi_type[: abi_type.rindex("[")])
        return [_sample_value(element, index, decimals)] * (int(size) if size.isdecimal() else 1)
    if abi_type == "tuple":
        return {c.name: _sample_value(c, i, decimals) for i, c in enumerate(param.components)}
    if abi_type == "address":
        return "0x" + str(index % 9 + 1) * 40
    if abi_type.startswith(("uint", "int")):
        return _sample_number(param, decimals)
    if abi_type.startswith(("fixed", "ufixed")):
        return "1.5"
    if abi_type == "bool":
        return True
    if abi_type == "string":
        return "sample"
    size = abi_type[len("bytes") :] if abi_type.startswith("bytes") else ""
    return "0x" + "ab" * (int(size) if size.isdecimal() else 4)


def _hashed_in_topic(abi_type: str) -> bool:
    return abi_type in ("string", "bytes") or abi_type.endswith("]") or abi_type == "tuple"


def _sample_number(param: AbiParam, decimals: int | None) -> str:
    """An ERC-20 amount (the unindexed `value`) of a token with known decimals is 1.5 whole
    tokens; any other integer a small number."""
    amount = param.name == TOKEN_AMOUNT and param.type.startswith("uint") and not param.indexed
    if amount and decimals is not None:
        return str(15 * 10 ** (decimals - 1)) if decimals > 0 else "1"
    return "42"
