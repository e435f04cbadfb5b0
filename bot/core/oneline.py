"""The one-line form: `subscribe <chain> <address> <event> [filter]`, delivered to this chat
(on a Cosmos SDK chain the address is optional: bot/core/oneline_cosmos.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.core.caller import Caller
from bot.core.context import CoreSettings, account_of, admins_only
from bot.core.creation import fulfil
from bot.core.input_errors import attempt
from bot.core.oneline_cosmos import cosmos_order, cosmos_usage
from bot.core.ports import ContractInfo
from bot.core.replies import Reply, Text, text
from bot.core.wizard import Order
from bot.core.wizard_checks import checked_address, checked_filter
from storage.subscriptions import NewEventSubscription
from watcher.abi import event_selector, find_event, normalize_event
from watcher.signatures import parse_event_signature
from watcher.standards import STANDARDS

_SIGNATURE_START_RE = re.compile(r"[A-Za-z_$][\w$]*\s*\(")


@dataclass(frozen=True, slots=True)
class OneLine:
    chain: str
    address: str
    event: str
    filter_text: str


def split_one_line(line: str) -> OneLine | None:
    """The parts of the form; an event given as a signature may contain spaces."""
    parts = line.strip().split(None, 3)
    if len(parts) < 4 or parts[0].lower().lstrip("/") != "subscribe":
        return None
    rest = parts[3].strip()
    if _SIGNATURE_START_RE.match(rest) and ")" in rest:
        end = rest.index(")") + 1
        return OneLine(parts[1].lower(), parts[2], rest[:end], rest[end:].strip())
    event, _, filter_text = rest.partition(" ")
    return OneLine(parts[1].lower(), parts[2], event, filter_text.strip())


async def subscribe_in_one_line(settings: CoreSettings, caller: Caller, line: str) -> Reply:
    """Check every part as the wizard does and subscribe this chat, or say what is wrong."""
    account = await account_of(caller)
    if not caller.may_change:
        return admins_only(account)
    command, chain, rest = [*line.split(None, 2), "", "", ""][:3]
    chain = chain.lower()
    if command.lower().lstrip("/") == "subscribe" and chain in settings.cosmos:
        usage = cosmos_usage(chain, settings.cosmos[chain])
        if not rest.strip():
            return Reply(usage, language=account.language)
        order, problem = cosmos_order(chain, settings.cosmos[chain], rest)
    else:
        usage = text("bot.oneline.usage")
        request = split_one_line(line)
        if request is None:
            return Reply(usage, language=account.language)
        order, problem = await _order(settings, request)
    if order is None:
        return Reply(problem or text("bot.error.input"), extra=(usage,), language=account.language)
    return await fulfil(settings, caller, account, order)


async def _order(settings: CoreSettings, request: OneLine) -> tuple[Order | None, Text | None]:
    if request.chain not in settings.chains:
        known = ", ".join(settings.chains)
        return None, text("bot.wizard.unknown_chain", chain=request.chain[:64], available=known)
    address, problem = checked_address(request.address)
    if address is None:
        return None, problem
    info = await settings.lookup.fetch_contract_info(request.chain, address)
    if info is not None and not info.has_code:
        return None, text("bot.wizard.no_contract", address=address, chain=request.chain)
    abi, standard, problem = _abi_for(request.event, info)
    if abi is None:
        return None, problem
    event, problem = attempt(lambda: find_event(abi, request.event))
    if event is None:
        return None, problem
    decimals, symbol = (info.decimals, info.symbol) if info is not None else (None, None)
    sources, problem = checked_filter(request.filter_text, [event], standard, decimals, symbol)
    if sources is None:
        return None, problem
    wanted = NewEventSubscription(
        event_name=str(event["name"]),
        selector=None if event.get("anonymous") else event_selector(event),
        filter_expr=sources[0],
    )
    return Order(request.chain, address, abi, standard, (wanted,), None, symbol, decimals), None


def _abi_for(
    event: str, info: ContractInfo | None
) -> tuple[list[dict[str, Any]] | None, str | None, Text | None]:
    """A signature brings its own ABI; a bare name needs the token standard the chain told."""
    if "(" in event:
        parsed, problem = attempt(lambda: normalize_event(parse_event_signature(event)))
        return (None, None, problem) if parsed is None else ([parsed], None, None)
    standard = info.standard if info is not None else None
    if standard not in STANDARDS:
        return None, None, text("bot.oneline.needs_signature", event=event[:64])
    return [normalize_event(entry) for entry in STANDARDS[standard]], standard, None
