"""The subscribe wizard's answers on a Cosmos SDK chain: what to watch, its address or event
type, the filter and the confirmation; the chain and destination steps are shared.

Every handler takes (state, input, facts, now) and returns the next state with its reply; a
bad input keeps the state and repeats the step's question after the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.core.cosmos_checks import (
    checked_bech32,
    checked_cosmos_filter,
    combined_filter,
    parsed_event_name,
)
from bot.core.cosmos_kinds import KIND_BY_CODE, OTHER, CosmosKind, kind_filter
from bot.core.replies import Reply, text
from bot.core.wizard_cosmos_views import event_names
from bot.core.wizard_state import Step, WizardState, idle
from bot.core.wizard_steps import (
    after_filter,
    at_step,
    chain_chosen,
    chain_typed,
    destination_chosen,
    rejected,
)
from bot.core.wizard_types import Order, Outcome, WizardFacts
from storage.subscriptions import NewEventSubscription
from watcher.cosmos_subscriptions import FAILED_TX, WILDCARD


def kind_chosen(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    kind = KIND_BY_CODE.get(argument)
    if kind is None:
        return rejected(text("bot.expired"), state, facts)
    given = state.pending_address
    chosen = state.moved(
        Step.KIND, now, kind=kind.code, address="", event_type="", pending_address=""
    )
    if kind is OTHER:
        return _noted(at_step(chosen.moved(Step.ABI, now), facts), given)
    if kind.role is None:
        return _noted(_to_filters(chosen, facts, now), given)
    at_address = chosen.moved(Step.ADDRESS, now)
    if given:
        # Given with the command that started the pass: checked as if typed now.
        return address_typed(at_address, given, facts, now)
    return at_step(at_address, facts)


def _noted(outcome: Outcome, given_address: str) -> Outcome:
    """An address given with the command but not asked for is said to be left out."""
    if not given_address:
        return outcome
    note = text("bot.cosmos.address_unused", address=given_address[:90])
    return replace(outcome, reply=replace(outcome.reply, extra=(*outcome.reply.extra, note)))


def kind_again(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    """Back to the choice of what to watch."""
    return at_step(state.moved(Step.KIND, now, kind="", address="", event_type=""), facts)


def address_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    kind = KIND_BY_CODE.get(state.kind)
    if kind is None or kind.role is None:
        return rejected(text("bot.wizard.use_buttons"), state, facts)
    chain = facts.cosmos[state.chain]
    address, problem = checked_bech32(typed, state.chain, chain, kind.role)
    if address is None:
        return rejected(problem or text("bot.error.input"), state, facts)
    return _to_filters(state.moved(Step.ADDRESS, now, address=address), facts, now)


def event_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    """An event type or message type URL, perhaps followed by a filter (as in the one-line
    form: `transfer amount >= 1.5ATOM`)."""
    head, rest = [*typed.split(None, 1), "", ""][:2]
    name, problem = parsed_event_name(head)
    if name is None:
        return rejected(problem or text("bot.error.input"), state, facts)
    if name == FAILED_TX:
        return rejected(text("bot.cosmos.error.failed_tx_choice"), state, facts)
    if name == WILDCARD:
        return rejected(text("bot.cosmos.error.every_event"), state, facts)
    filter_text = rest.strip() or state.filter_text
    typed_state = state.moved(Step.ABI, now, event_type=name, filter_text=filter_text)
    return _to_filters(typed_state, facts, now)


def _to_filters(state: WizardState, facts: WizardFacts, now: datetime) -> Outcome:
    at_filters = state.moved(Step.FILTERS, now)
    if state.filter_text:
        # Given earlier (with the command, or after the event type): checked as if typed now.
        return filter_typed(at_filters, state.filter_text, facts, now)
    return at_step(at_filters, facts)


def filter_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    chain = facts.cosmos[state.chain]
    added, problem = checked_cosmos_filter(typed, chain)
    if added is None:
        return rejected(problem or text("bot.error.input"), state, facts)
    typed_state = state.moved(Step.FILTERS, now, filter_text=typed.strip())
    return _with_filter(typed_state, added, facts, now)


def no_filter(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    return _with_filter(state.moved(Step.FILTERS, now, filter_text=""), "", facts, now)


def _with_filter(state: WizardState, added: str, facts: WizardFacts, now: datetime) -> Outcome:
    """The kind's own filter and the one added, as each event's stored filter."""
    kind = KIND_BY_CODE.get(state.kind)
    if kind is None:
        return rejected(text("bot.expired"), state, facts)
    chain = facts.cosmos[state.chain]
    own = kind_filter(kind, state.address, chain.bech32_prefix)
    whole, problem = combined_filter(own, added, chain)
    if whole is None:
        return rejected(problem or text("bot.error.input"), state, facts)
    sources = tuple(whole for _ in event_names(state, kind))
    return after_filter(state, sources, facts, now)


def confirmed(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    kind = KIND_BY_CODE.get(state.kind)
    names = event_names(state, kind) if kind is not None else ()
    if kind is None or not names or len(state.filters) != len(names):
        return rejected(text("bot.expired"), state, facts)
    events = tuple(
        NewEventSubscription(event_name=name, selector=None, filter_expr=source)
        for name, source in zip(names, state.filters, strict=True)
    )
    order = Order(state.chain, _contract(state, kind), [], None, events, state.destination_id)
    reply = Reply(text("bot.wizard.created", count=len(events)))
    return Outcome(idle(now, state.run), reply, order)


def _contract(state: WizardState, kind: CosmosKind) -> str:
    """The contract row's address: the kind's address unless a filter compares it."""
    return state.address if kind.role is not None and kind.field is None else ""


Handler = Callable[[WizardState, str, WizardFacts, datetime], Outcome]
TEXT_HANDLERS: dict[Step, Handler] = {
    Step.CHAIN: chain_typed,
    Step.ADDRESS: address_typed,
    Step.ABI: event_typed,
    Step.FILTERS: filter_typed,
}
ACTION_HANDLERS: dict[tuple[Step, str], Handler] = {
    (Step.CHAIN, "c"): chain_chosen,
    (Step.KIND, "k"): kind_chosen,
    (Step.ADDRESS, "kind"): kind_again,
    (Step.ABI, "kind"): kind_again,
    (Step.FILTERS, "nf"): no_filter,
    (Step.DESTINATION, "d"): destination_chosen,
    (Step.CONFIRM, "ok"): confirmed,
}
