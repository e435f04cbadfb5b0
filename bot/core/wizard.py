"""The subscribe wizard as a pure transition: (state, input, facts, now) -> new state and reply.

Chain, contract address, the source of the ABI, the events (several may be chosen), an
optional filter, the destination, and a confirmation. On a Cosmos SDK chain: what to watch
(tokens received or sent by an address, delegations to a validator, governance votes, a
CosmWasm contract's events, an address's failed transactions, or an event type typed), its
address, an optional filter, the destination and a confirmation. Any input at any step gets
an answer that says what to do and keeps the wizard usable; nothing here raises for bad input.

This module starts a pass and routes each input to its step's handler (wizard_steps, and
wizard_cosmos on Cosmos chains); the inputs and results are in wizard_types, the questions in
wizard_views and wizard_cosmos_views.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.core import wizard_cosmos
from bot.core.replies import Reply, text
from bot.core.wizard_state import Step, WizardState, idle, new_run
from bot.core.wizard_steps import (
    abi_typed,
    address_typed,
    at_chain,
    at_step,
    chain_chosen,
    chain_typed,
    confirmed,
    destination_chosen,
    event_toggled,
    event_typed,
    events_done,
    file_given,
    filter_typed,
    no_filter,
    other_abi,
    rejected,
    standard_chosen,
)
from bot.core.wizard_types import (
    MAX_ABI_BYTES,
    ActionInput,
    CancelInput,
    FileInput,
    Order,
    Outcome,
    TextInput,
    WizardFacts,
    WizardInput,
)

__all__ = [
    "MAX_ABI_BYTES",
    "ActionInput",
    "CancelInput",
    "FileInput",
    "Order",
    "Outcome",
    "TextInput",
    "WizardFacts",
    "WizardInput",
    "advance",
    "start",
    "start_at_chain",
]


def start(previous: WizardState, facts: WizardFacts, now: datetime) -> Outcome:
    """A new pass; the chain step is skipped when only one chain is configured."""
    if not facts.chains:
        return Outcome(idle(now, previous.run), Reply(text("bot.wizard.no_chains")))
    state = WizardState(Step.CHAIN, new_run(now, previous.run), now)
    if len(facts.chains) == 1:
        state = at_chain(state, facts.chains[0], facts, now)
    return at_step(state, facts)


def start_at_chain(
    previous: WizardState,
    chain: str,
    facts: WizardFacts,
    now: datetime,
    filter_text: str = "",
    address: str = "",
) -> Outcome:
    """A new pass whose chain came with the command that started it (a slash command's
    options), checked as if typed. A filter given too waits in the state until the events
    are chosen, when it is checked against them. On a Cosmos chain a given address waits
    too, until the choice of what to watch asks for one (on other chains the caller gives
    it as the answer to the address question)."""
    if not facts.chains:
        return start(previous, facts, now)
    run = new_run(now, previous.run)
    state = WizardState(
        Step.CHAIN, run, now, filter_text=filter_text.strip(), pending_address=address.strip()
    )
    return chain_typed(state, chain, facts, now)


def advance(state: WizardState, given: WizardInput, facts: WizardFacts, now: datetime) -> Outcome:
    """The wizard's answer to one input."""
    if isinstance(given, CancelInput):
        return _cancelled(state, now)
    if not state.is_active(now):
        unexpected = "bot.file_without_wizard" if isinstance(given, FileInput) else "bot.expired"
        return Outcome(idle(now, state.run), Reply(text(unexpected)))
    if isinstance(given, ActionInput):
        return _on_action(state, given.action, facts, now)
    cosmos = state.chain in facts.cosmos
    if isinstance(given, FileInput):
        if cosmos:  # no ABI on Cosmos chains
            return rejected(text("bot.wizard.file_unexpected"), state, facts)
        return file_given(state, given, facts, now)
    handlers = wizard_cosmos.TEXT_HANDLERS if cosmos else _TEXT_HANDLERS
    handler = handlers.get(state.step)
    if handler is None:
        return rejected(text("bot.wizard.use_buttons"), state, facts)
    return handler(state, given.text, facts, now)


def _cancelled(state: WizardState, now: datetime) -> Outcome:
    return Outcome(idle(now, state.run), Reply(text("bot.wizard.cancelled")))


def _on_action(state: WizardState, token: str, facts: WizardFacts, now: datetime) -> Outcome:
    parts = token.split(":", 3)
    if len(parts) < 3 or parts[0] != "w" or parts[1] != state.run:
        return rejected(text("bot.expired"), state, facts)
    verb, argument = parts[2], (parts[3] if len(parts) > 3 else "")
    if verb == "x":
        return _cancelled(state, now)
    cosmos = state.chain in facts.cosmos
    handlers = wizard_cosmos.ACTION_HANDLERS if cosmos else _ACTION_HANDLERS
    handler = handlers.get((state.step, verb))
    if handler is None:
        return rejected(text("bot.expired"), state, facts)
    return handler(state, argument, facts, now)


_Handler = Callable[[WizardState, str, WizardFacts, datetime], Outcome]
_TEXT_HANDLERS: dict[Step, _Handler] = {
    Step.CHAIN: chain_typed,
    Step.ADDRESS: address_typed,
    Step.ABI: abi_typed,
    Step.EVENTS: event_typed,
    Step.FILTERS: filter_typed,
}
_ACTION_HANDLERS: dict[tuple[Step, str], _Handler] = {
    (Step.CHAIN, "c"): chain_chosen,
    (Step.ABI, "s"): standard_chosen,
    (Step.EVENTS, "e"): event_toggled,
    (Step.EVENTS, "done"): events_done,
    (Step.EVENTS, "abi"): other_abi,
    (Step.FILTERS, "nf"): no_filter,
    (Step.DESTINATION, "d"): destination_chosen,
    (Step.CONFIRM, "ok"): confirmed,
}
