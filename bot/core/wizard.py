"""The subscribe wizard as a pure transition: (state, input, facts, now) -> new state and reply.

Chain, contract address, the source of the ABI, the events (several may be chosen), an
optional filter, the destination, and a confirmation. Any input at any step gets an answer
that says what to do and keeps the wizard usable; nothing here raises for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from bot.core.input_errors import attempt
from bot.core.replies import Reply, Text, text
from bot.core.wizard_checks import checked_address, checked_filter, parsed_abi_text
from bot.core.wizard_state import Step, WizardState, idle, new_run
from bot.core.wizard_views import WizardFacts, prompt, with_problem
from storage.subscriptions import NewEventSubscription
from watcher.abi import event_selector, find_event, normalize_event
from watcher.standards import STANDARDS

MAX_ABI_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class TextInput:
    text: str


@dataclass(frozen=True, slots=True)
class ActionInput:
    action: str


@dataclass(frozen=True, slots=True)
class FileInput:
    """An uploaded file: its size as the platform reports it, and its bytes when the
    front-end fetched them (it need not fetch a file that is too large anyway)."""

    name: str
    size_bytes: int
    content: bytes = b""


@dataclass(frozen=True, slots=True)
class CancelInput:
    pass


WizardInput = TextInput | ActionInput | FileInput | CancelInput


@dataclass(frozen=True, slots=True)
class Order:
    """The subscriptions a confirmed wizard asks for; destination None is the chat itself.

    `symbol` and `decimals` are what the chain said of the token at the address, if anything.
    """

    chain: str
    address: str
    abi: list[dict[str, Any]]
    standard: str | None
    events: tuple[NewEventSubscription, ...]
    destination_id: int | None
    symbol: str | None = None
    decimals: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    state: WizardState
    reply: Reply
    order: Order | None = None


def start(previous: WizardState, facts: WizardFacts, now: datetime) -> Outcome:
    """A new pass; the chain step is skipped when only one chain is configured."""
    if not facts.chains:
        return Outcome(idle(now, previous.run), Reply(text("bot.wizard.no_chains")))
    state = WizardState(Step.CHAIN, new_run(now, previous.run), now)
    if len(facts.chains) == 1:
        state = state.moved(Step.ADDRESS, now, chain=facts.chains[0])
    return Outcome(state, prompt(state, facts))


def advance(state: WizardState, given: WizardInput, facts: WizardFacts, now: datetime) -> Outcome:
    """The wizard's answer to one input."""
    if isinstance(given, CancelInput):
        return _cancelled(state, now)
    if not state.is_active(now):
        unexpected = "bot.file_without_wizard" if isinstance(given, FileInput) else "bot.expired"
        return Outcome(idle(now, state.run), Reply(text(unexpected)))
    if isinstance(given, ActionInput):
        return _on_action(state, given.action, facts, now)
    if isinstance(given, FileInput):
        return _on_file(state, given, facts, now)
    handler = _TEXT_HANDLERS.get(state.step)
    if handler is None:
        return _problem(text("bot.wizard.use_buttons"), state, facts)
    return handler(state, given.text, facts, now)


def _problem(problem: Text, state: WizardState, facts: WizardFacts) -> Outcome:
    return Outcome(state, with_problem(problem, state, facts))


def _cancelled(state: WizardState, now: datetime) -> Outcome:
    return Outcome(idle(now, state.run), Reply(text("bot.wizard.cancelled")))


def _on_action(state: WizardState, token: str, facts: WizardFacts, now: datetime) -> Outcome:
    parts = token.split(":", 3)
    if len(parts) < 3 or parts[0] != "w" or parts[1] != state.run:
        return _problem(text("bot.expired"), state, facts)
    verb, argument = parts[2], (parts[3] if len(parts) > 3 else "")
    if verb == "x":
        return _cancelled(state, now)
    handler = _ACTION_HANDLERS.get((state.step, verb))
    if handler is None:
        return _problem(text("bot.expired"), state, facts)
    return handler(state, argument, facts, now)


# --- chain and address ------------------------------------------------------------------


def _chain_chosen(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    index = int(argument) if argument.isdigit() else -1
    if not 0 <= index < len(facts.chains):
        return _problem(text("bot.expired"), state, facts)
    return _at(state.moved(Step.ADDRESS, now, chain=facts.chains[index]), facts)


def _chain_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    name = typed.strip().lower()
    if name not in facts.chains:
        known = ", ".join(facts.chains)
        problem = text("bot.wizard.unknown_chain", chain=name[:64], available=known)
        return _problem(problem, state, facts)
    return _at(state.moved(Step.ADDRESS, now, chain=name), facts)


def _address_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    address, problem = checked_address(typed)
    if address is None:
        return _problem(problem or text("bot.error.input"), state, facts)
    if facts.contract_known and not facts.has_code:
        return _problem(
            text("bot.wizard.no_contract", address=address, chain=state.chain), state, facts
        )
    found = state.moved(
        Step.ABI, now, address=address, symbol=facts.symbol, decimals=facts.decimals
    )
    if facts.standard in STANDARDS:
        return _to_events(found, _standard_abi(facts.standard), facts.standard, facts, now, True)
    return _at(found, facts)


def _at(state: WizardState, facts: WizardFacts) -> Outcome:
    return Outcome(state, prompt(state, facts))


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
    return _at(moved, facts)


def _standard_chosen(
    state: WizardState, argument: str, facts: WizardFacts, now: datetime
) -> Outcome:
    if argument not in STANDARDS:
        return _problem(text("bot.expired"), state, facts)
    return _to_events(state, _standard_abi(argument), argument, facts, now)


def _abi_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    if len(typed.encode("utf-8", "surrogatepass")) > MAX_ABI_BYTES:
        return _problem(
            text("bot.wizard.file_too_large", limit_kb=MAX_ABI_BYTES // 1024), state, facts
        )
    abi, problem = parsed_abi_text(typed)
    if abi is None:
        return _problem(problem or text("bot.error.input"), state, facts)
    selected = (0,) if len(abi) == 1 else ()
    return _to_events(state, abi, None, facts, now, selected=selected)


def _on_file(state: WizardState, given: FileInput, facts: WizardFacts, now: datetime) -> Outcome:
    if state.step != Step.ABI:
        return _problem(text("bot.wizard.file_unexpected"), state, facts)
    if given.size_bytes > MAX_ABI_BYTES or len(given.content) > MAX_ABI_BYTES:
        return _problem(
            text("bot.wizard.file_too_large", limit_kb=MAX_ABI_BYTES // 1024), state, facts
        )
    try:
        content = given.content.decode("utf-8")
    except UnicodeDecodeError:
        return _problem(text("bot.wizard.file_not_text", name=given.name[:64]), state, facts)
    return _abi_typed(state, content, facts, now)


def _other_abi(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    return _at(state.moved(Step.ABI, now, selected=(), detected=False), facts)


# --- events -----------------------------------------------------------------------------


def _event_toggled(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    index = int(argument) if argument.isdigit() else -1
    if not 0 <= index < len(state.abi):
        return _problem(text("bot.expired"), state, facts)
    return _at(state.moved(Step.EVENTS, now, selected=_toggle(state.selected, index)), facts)


def _toggle(selected: tuple[int, ...], index: int) -> tuple[int, ...]:
    chosen = set(selected) ^ {index}
    return tuple(sorted(chosen))


def _event_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    abi = state.abi
    event, problem = attempt(lambda: find_event(abi, typed))
    if event is None:
        return _problem(problem or text("bot.error.input"), state, facts)
    index = abi.index(event) if event in abi else -1
    if index < 0:
        return _problem(text("bot.error.input"), state, facts)
    return _at(state.moved(Step.EVENTS, now, selected=_toggle(state.selected, index)), facts)


def _events_done(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    if not state.selected:
        return _problem(text("bot.wizard.no_events_selected"), state, facts)
    return _at(state.moved(Step.FILTERS, now), facts)


# --- filter, destination, confirmation --------------------------------------------------


def _filter_typed(state: WizardState, typed: str, facts: WizardFacts, now: datetime) -> Outcome:
    events = [state.abi[i] for i in state.selected]
    sources, problem = checked_filter(typed, events, state.standard, state.decimals, state.symbol)
    if sources is None:
        return _problem(problem or text("bot.error.input"), state, facts)
    typed_state = state.moved(Step.FILTERS, now, filter_text=typed.strip())
    return _after_filter(typed_state, sources, facts, now)


def _no_filter(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
    sources = tuple("" for _ in state.selected)
    return _after_filter(state.moved(Step.FILTERS, now, filter_text=""), sources, facts, now)


def _after_filter(
    state: WizardState, sources: tuple[str, ...], facts: WizardFacts, now: datetime
) -> Outcome:
    # Without webhooks there is nothing to choose: the chat itself is the destination.
    step = Step.DESTINATION if facts.webhooks else Step.CONFIRM
    return _at(state.moved(step, now, filters=sources, destination_id=None), facts)


def _destination_chosen(
    state: WizardState, argument: str, facts: WizardFacts, now: datetime
) -> Outcome:
    if argument == "chat":
        return _at(state.moved(Step.CONFIRM, now, destination_id=None), facts)
    hooks = {str(hook_id): (hook_id, host) for hook_id, host in facts.webhooks}
    if argument not in hooks:
        return _problem(text("bot.expired"), state, facts)
    hook_id, host = hooks[argument]
    return _at(
        state.moved(Step.CONFIRM, now, destination_id=hook_id, destination_label=host), facts
    )


def _confirmed(state: WizardState, argument: str, facts: WizardFacts, now: datetime) -> Outcome:
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


_Handler = Callable[[WizardState, str, WizardFacts, datetime], Outcome]
_TEXT_HANDLERS: dict[Step, _Handler] = {
    Step.CHAIN: _chain_typed,
    Step.ADDRESS: _address_typed,
    Step.ABI: _abi_typed,
    Step.EVENTS: _event_typed,
    Step.FILTERS: _filter_typed,
}
_ACTION_HANDLERS: dict[tuple[Step, str], _Handler] = {
    (Step.CHAIN, "c"): _chain_chosen,
    (Step.ABI, "s"): _standard_chosen,
    (Step.EVENTS, "e"): _event_toggled,
    (Step.EVENTS, "done"): _events_done,
    (Step.EVENTS, "abi"): _other_abi,
    (Step.FILTERS, "nf"): _no_filter,
    (Step.DESTINATION, "d"): _destination_chosen,
    (Step.CONFIRM, "ok"): _confirmed,
}
