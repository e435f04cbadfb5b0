"""The subscribe wizard's use case: load the stored state, gather facts, step, store."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from bot.core.caller import Caller
from bot.core.context import CoreSettings, account_of, admins_only
from bot.core.creation import fulfil, over_quota
from bot.core.replies import Reply
from bot.core.wizard import (
    Outcome,
    TextInput,
    WizardFacts,
    WizardInput,
    advance,
    start,
    start_at_chain,
)
from bot.core.wizard_checks import checked_address
from bot.core.wizard_state import Step, WizardState, from_stored, stored_form
from storage.users import DISCORD_WEBHOOK, WEBHOOK, Account, list_webhook_destinations
from storage.wizards import fetch_wizard, save_wizard


async def start_wizard(settings: CoreSettings, caller: Caller, now: datetime) -> Reply:
    """Begin a new pass through the wizard (a pass in progress is dropped)."""
    account = await account_of(caller)
    if not caller.may_change:
        return admins_only(account)
    if (refusal := await over_quota(settings, caller, account, 0)) is not None:
        return refusal
    previous = await _load(caller, now)
    outcome = start(previous, await _facts(settings, account), now)
    return await _finish(settings, caller, account, outcome)


async def start_wizard_with(
    settings: CoreSettings,
    caller: Caller,
    now: datetime,
    chain: str,
    address: str,
    filter_text: str = "",
) -> Reply:
    """Begin a new pass with the chain and address (and perhaps the filter) already given,
    as a slash command's options give them; each is checked as if typed, and the first
    one refused is asked for again with what was wrong. On a Cosmos chain the address
    waits until the person chooses what to watch."""
    account = await account_of(caller)
    if not caller.may_change:
        return admins_only(account)
    if (refusal := await over_quota(settings, caller, account, 0)) is not None:
        return refusal
    facts = await _facts(settings, account)
    previous = await _load(caller, now)
    outcome = start_at_chain(previous, chain, facts, now, filter_text, address)
    if outcome.state.step == Step.ADDRESS and outcome.state.chain not in settings.cosmos:
        facts = await _with_contract(settings, facts, outcome.state.chain, address)
        outcome = advance(outcome.state, TextInput(address), facts, now)
    return await _finish(settings, caller, account, outcome)


async def has_active_wizard(caller: Caller, now: datetime) -> bool:
    return (await _load(caller, now)).is_active(now)


async def awaits_answer(caller: Caller, run: str, step: Step, now: datetime) -> bool:
    """Whether the caller's wizard is still the pass `run`, waiting at `step` for a typed
    answer (a front-end that asked for it in a form checks before passing the text on)."""
    state = await _load(caller, now)
    return state.is_active(now) and state.run == run and state.step == step


async def wizard_input(
    settings: CoreSettings, caller: Caller, given: WizardInput, now: datetime
) -> Reply:
    """The wizard's answer to one message, tap or file of the caller."""
    account = await account_of(caller)
    if not caller.may_change:
        return admins_only(account)
    state = await _load(caller, now)
    facts = await _facts(settings, account)
    if (
        isinstance(given, TextInput)
        and state.is_active(now)
        and state.step == Step.ADDRESS
        and state.chain not in settings.cosmos
    ):
        facts = await _with_contract(settings, facts, state.chain, given.text)
    return await _finish(settings, caller, account, advance(state, given, facts, now))


async def _load(caller: Caller, now: datetime) -> WizardState:
    stored = await fetch_wizard(caller.platform, caller.chat_external_id, caller.user_external_id)
    return from_stored(stored, now)


async def _facts(settings: CoreSettings, account: Account) -> WizardFacts:
    hooks = [
        hook
        for hook in await list_webhook_destinations(account.owner_id)
        if hook.status == "active"
    ]
    webhooks = tuple(
        (hook.id, urlsplit(hook.target).hostname or "?") for hook in hooks if hook.kind == WEBHOOK
    )
    discord_webhooks = tuple(hook.id for hook in hooks if hook.kind == DISCORD_WEBHOOK)
    return WizardFacts(
        settings.chains,
        webhooks=webhooks,
        discord_webhooks=discord_webhooks,
        cosmos=settings.cosmos,
    )


async def _with_contract(
    settings: CoreSettings, facts: WizardFacts, chain: str, typed: str
) -> WizardFacts:
    """Ask an EVM chain about a well-formed address, so the wizard can skip the ABI question."""
    address, _ = checked_address(typed)
    if address is None:
        return facts
    info = await settings.lookup.fetch_contract_info(chain, address)
    if info is None:
        return facts
    return replace(
        facts,
        contract_known=True,
        has_code=info.has_code,
        standard=info.standard,
        token_name=info.name,
        symbol=info.symbol,
        decimals=info.decimals,
    )


async def _finish(
    settings: CoreSettings, caller: Caller, account: Account, outcome: Outcome
) -> Reply:
    # The wizard is stored as finished before its subscriptions are made: a failure in
    # between loses a confirmation, where the other order could create them twice.
    await save_wizard(
        caller.platform,
        caller.chat_external_id,
        caller.user_external_id,
        stored_form(outcome.state),
    )
    if outcome.order is not None:
        return await fulfil(settings, caller, account, outcome.order)
    return replace(outcome.reply, language=account.language)
