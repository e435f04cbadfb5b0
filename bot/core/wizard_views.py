"""What the subscribe wizard says at each step: prompts and their choices, as reply data."""

from __future__ import annotations

from bot.core.replies import Choice, Reply, Text, choice, plain, text
from bot.core.wizard_choices import (
    action,
    cancel_row,
    chosen_destination,
    destination_prompt,
    rows,
)
from bot.core.wizard_cosmos_views import cosmos_prompt
from bot.core.wizard_state import Step, WizardState
from bot.core.wizard_types import WizardFacts
from watcher.standards import STANDARDS

__all__ = [
    "MAX_EVENT_CHOICES",
    "STANDARD_LABELS",
    "WizardFacts",
    "action",
    "prompt",
    "with_problem",
]

MAX_EVENT_CHOICES = 40
STANDARD_LABELS = {"erc20": "ERC-20", "erc721": "ERC-721", "erc1155": "ERC-1155"}


def prompt(state: WizardState, facts: WizardFacts) -> Reply:
    """The question of the state's step with its choices; a Cosmos chain's are its own."""
    if state.chain in facts.cosmos:
        return cosmos_prompt(state, facts)
    views = {
        Step.CHAIN: _chain_prompt,
        Step.ADDRESS: _address_prompt,
        Step.ABI: _abi_prompt,
        Step.EVENTS: _events_prompt,
        Step.FILTERS: _filters_prompt,
        Step.DESTINATION: destination_prompt,
        Step.CONFIRM: _confirm_prompt,
    }
    view = views.get(state.step)
    return Reply(text("bot.wizard.ended")) if view is None else view(state, facts)


def with_problem(problem: Text, state: WizardState, facts: WizardFacts) -> Reply:
    """The problem first, then the step's question again, so the wizard goes on."""
    question = prompt(state, facts)
    return Reply(problem, question.choices, (question.text, *question.extra))


def _chain_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    chains = [Choice(plain(name), action(state, "c", i)) for i, name in enumerate(facts.chains)]
    # With Cosmos chains besides, not every choice leads to a contract.
    question = "bot.cosmos.ask_chain" if facts.cosmos else "bot.wizard.ask_chain"
    return Reply(text(question), (*rows(chains, 2), cancel_row(state)))


def _address_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    return Reply(text("bot.wizard.ask_address", chain=state.chain), (cancel_row(state),))


def _abi_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    standards = tuple(
        Choice(plain(STANDARD_LABELS[name]), action(state, "s", name)) for name in STANDARDS
    )
    return Reply(text("bot.wizard.ask_abi", address=state.address), (standards, cancel_row(state)))


def _events_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    events = state.abi[:MAX_EVENT_CHOICES]
    toggles = [
        choice(
            "bot.choice.event_on" if i in state.selected else "bot.choice.event_off",
            action(state, "e", i),
            name=str(event["name"]),
        )
        for i, event in enumerate(events)
    ]
    finish = (
        choice("bot.choice.done", action(state, "done")),
        choice("bot.choice.other_abi", action(state, "abi")),
    )
    question = text("bot.wizard.ask_events", count=len(state.selected))
    extra = (_detected(state),) if state.detected else ()
    return Reply(question, (*rows(toggles, 2), finish, cancel_row(state)), extra)


def _detected(state: WizardState) -> Text:
    token = state.symbol or state.address
    return text("bot.wizard.detected", standard=STANDARD_LABELS[state.standard or ""], token=token)


def _filters_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    if state.decimals is not None and state.standard == "erc20":
        question = text(
            "bot.wizard.ask_filter_tokens", symbol=state.symbol or "", decimals=state.decimals
        )
    else:
        question = text("bot.wizard.ask_filter")
    skip = (choice("bot.choice.no_filter", action(state, "nf")),)
    return Reply(question, (skip, cancel_row(state)))


def _confirm_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    names = ", ".join(str(state.abi[i]["name"]) for i in state.selected)
    summary = text(
        "bot.wizard.confirm",
        chain=state.chain,
        address=state.address,
        events=names,
        filter=state.filter_text.strip() or "—",
    )
    ok = (choice("bot.choice.confirm", action(state, "ok")),)
    return Reply(summary, (ok, cancel_row(state)), (chosen_destination(state),))
