"""The subscribe wizard's answer at each step to what a person typed, tapped or uploaded.

Every handler takes (state, input, facts, now) and returns the next state with its reply;
a bad input keeps the state and repeats the step's question after the problem.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from bot.core.input_errors import attempt
from bot.core.replies import Reply, Text, text
from bot.core.wizard_checks import checked_address, checked_filter, parsed_abi_text
from bot.core.wizard_state import Step, WizardState, idle
from bot.core.wizard_types import MAX_ABI_BYTES, FileInput, Order, Outcome, WizardFacts
from bot.core.wizard_views import prompt, with_problem
from storage.subscriptions import NewEventSubscription
from watcher.abi import event_selector, find_event, normalize_event
from watcher.standards import STANDARDS


def rejected(problem: Text, state: WizardState, facts: WizardFacts) -> Outcome:
    """The input changes nothing: the problem, then the step's question again."""
    return Outcome(state, with_problem(problem, state, facts))


def at_step(state: WizardState, facts: WizardFacts) -> Outcome:
    return Outcome(state, prompt(state, facts))


# --- chain and address ------------------------------------------------------------------


def at_chain(state: WizardState, chain: str, facts: WizardFacts, now: datetime) -> WizardState:
    """The pass once its chain is known: a Cosmos chain asks what to watch (an address given
    with the command waits for that), any other chain for its contract's address."""
    if chain in facts.cosmos:
        return state.moved(Step.KIND, now, chain=chain)
    return state.moved(Step.ADDRESS, now, chain=chain, pending_address="")


def chain_chosen(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    index = int(argument) if argument.isdecimal() else -1
    if not 0 <= index < len(facts.chains):
        return rejected(text("bot.expired"), state, facts)
    return at_step(at_chain(state, facts.chains[index], facts, now), facts)


def chain_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    name = typed.strip().lower()
    if name not in facts.chains:
        known = ", ".join(facts.chains)
        problem = text("bot.wizard.unknown_chain", chain=name[:64], available=known)
        return rejected(problem, state, facts)
    return at_step(at_chain(state, name, facts, now), facts)


def address_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    address, problem = checked_address(typed)
    if address is None:
        return rejected(problem or text("bot.error.input"), state, facts)
    if facts.contract_known and not facts.has_code:
        return rejected(
            text("bot.wizard.no_contract", address=address, chain=state.chain), state, facts
        )
    found = state.moved(
        Step.ABI, now, address=address, symbol=facts.symbol, decimals=facts.decimals
    )
    if facts.standard in STANDARDS:
        return _to_events(found, _standard_abi(facts.standard), facts.standard, facts, now, True)
    return at_step(found, facts)


# --- the ABI ----------------------------------------------------------------------------


def _standard_abi(standard: str) -> list[dict[str, Any]]:
    return [normalize_event(event) for event in STANDARDS[standard]]


def _to_events(
    state: WizardState,
    abi: list[dict[str, Any]],
    standard: str | None,
    facts: WizardFacts,
    now: datetime,
    detected: bool = False,
    selected: tuple[int, ...] = (),
) -> Outcome:
    moved = state.moved(
        Step.EVENTS,
        now,
        abi_json=orjson.dumps(abi).decode(),
        standard=standard,
        detected=detected,
        selected=selected,
    )
    return at_step(moved, facts)


def standard_chosen(
    state: WizardState, argument: str, facts: WizardFacts, now: datetime
) -> Outcome:
    if argument not in STANDARDS:
        return rejected(text("bot.expired"), state, facts)
    return _to_events(state, _standard_abi(argument), argument, facts, now)


def abi_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    if len(typed.encode("utf-8", "surrogatepass")) > MAX_ABI_BYTES:
        return rejected(
            text("bot.wizard.file_too_large", limit_kb=MAX_ABI_BYTES // 1024), state, facts
        )
    abi, problem = parsed_abi_text(typed)
    if abi is None:
        return rejected(problem or text("bot.error.input"), state, facts)
    selected = (0,) if len(abi) == 1 else ()
    return _to_events(state, abi, None, facts, now, selected=selected)


def file_given(state: WizardState, given: FileInput, facts: WizardFacts, now: datetime) -> Outcome:
    if state.step != Step.ABI:
        return rejected(text("bot.wizard.file_unexpected"), state, facts)
    if given.size_bytes > MAX_ABI_BYTES or len(given.content) > MAX_ABI_BYTES:
        return rejected(
            text("bot.wizard.file_too_large", limit_kb=MAX_ABI_BYTES // 1024), state, facts
        )
    try:
        content = given.content.decode("utf-8")
    except UnicodeDecodeError:
        return rejected(text("bot.wizard.file_not_text", name=given.name[:64]), state, facts)
    return abi_typed(state, content, facts, now)


def other_abi(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    return at_step(state.moved(Step.ABI, now, selected=(), detected=False), facts)


# --- events -----------------------------------------------------------------------------


def event_toggled(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    index = int(argument) if argument.isdecimal() else -1
    if not 0 <= index < len(state.abi):
        return rejected(text("bot.expired"), state, facts)
    return at_step(state.moved(Step.EVENTS, now, selected=_toggle(state.selected, index)), facts)


def _toggle(selected: tuple[int, ...], index: int) -> tuple[int, ...]:
    chosen = set(selected) ^ {index}
    return tuple(sorted(chosen))


def event_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    abi = state.abi
    event, problem = attempt(lambda: find_event(abi, typed))
    if event is None:
        return rejected(problem or text("bot.error.input"), state, facts)
    index = abi.index(event) if event in abi else -1
    if index < 0:
        return rejected(text("bot.error.input"), state, facts)
    return at_step(state.moved(Step.EVENTS, now, selected=_toggle(state.selected, index)), facts)


def events_done(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    if not state.selected:
        return rejected(text("bot.wizard.no_events_selected"), state, facts)
    at_filters = state.moved(Step.FILTERS, now)
    if state.filter_text:
        # Given with the chain and address (start_at_chain): checked as if typed now.
        return filter_typed(at_filters, state.filter_text, facts, now)
    return at_step(at_filters, facts)


# --- filter, destination, confirmation --------------------------------------------------


def filter_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    events = [state.abi[i] for i in state.selected]
    sources, problem = checked_filter(typed, events, state.standard, state.decimals, state.symbol)
    if sources is None:
        return rejected(problem or text("bot.error.input"), state, facts)
    typed_state = state.moved(Step.FILTERS, now, filter_text=typed.strip())
    return after_filter(typed_state, sources, facts, now)


def no_filter(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    sources = tuple("" for _ in state.selected)
    return after_filter(state.moved(Step.FILTERS, now, filter_text=""), sources, facts, now)


def after_filter(
    state: WizardState, sources: tuple[str, ...], facts: WizardFacts, now: datetime
) -> Outcome:
    """On to the destination with each event's filter source (the same step on any chain)."""
    # Without webhooks there is nothing to choose: the chat itself is the destination.
    step = Step.DESTINATION if facts.webhooks or facts.discord_webhooks else Step.CONFIRM
    return at_step(state.moved(step, now, filters=sources, destination_id=None), facts)


def destination_chosen(
    state: WizardState, argument: str, facts: WizardFacts, now: datetime
) -> Outcome:
    if argument == "chat":
        return at_step(state.moved(Step.CONFIRM, now, destination_id=None), facts)
    # A Discord webhook's label stays empty: its URL (its token) is not for showing.
    hooks = {str(hook_id): (hook_id, host) for hook_id, host in facts.webhooks}
    hooks.update({str(hook_id): (hook_id, "") for hook_id in facts.discord_webhooks})
    if argument not in hooks:
        return rejected(text("bot.expired"), state, facts)
    hook_id, host = hooks[argument]
    return at_step(
        state.moved(Step.CONFIRM, now, destination_id=hook_id, destination_label=host), facts
    )


def confirmed(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    abi = state.abi
    events = tuple(
        NewEventSubscription(
            event_name=str(abi[i]["name"]),
            selector=None if abi[i].get("anonymous") else event_selector(abi[i]),
            filter_expr=source,
        )
        for i, source in zip(state.selected, state.filters, strict=False)
    )
    order = Order(
        state.chain,
        state.address,
        abi,
        state.standard,
        events,
        state.destination_id,
        state.symbol,
        state.decimals,
    )
    return Outcome(
        idle(now, state.run), Reply(text("bot.wizard.created", count=len(events))), order
    )
