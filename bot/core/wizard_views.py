"""What the subscribe wizard says at each step: prompts and their choices, as reply data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.replies import Choice, ChoiceRow, Reply, Text, choice, plain, text
from bot.core.wizard_state import Step, WizardState
from watcher.standards import STANDARDS

MAX_EVENT_CHOICES = 40
STANDARD_LABELS = {"erc20": "ERC-20", "erc721": "ERC-721", "erc1155": "ERC-1155"}


@dataclass(frozen=True, slots=True)
class WizardFacts:
    """What the wizard knows of the world for one input: configured chains, the owner's
    active webhooks (id, host) and Discord webhooks (id: their URL is a secret, and the
    chosen one's label stays empty), and the chain's answer about the address just typed,
    if any."""

    chains: tuple[str, ...]
    webhooks: tuple[tuple[int, str], ...] = ()
    discord_webhooks: tuple[int, ...] = ()
    contract_known: bool = False
    has_code: bool = True
    standard: str | None = None
    token_name: str | None = None
    symbol: str | None = None
    decimals: int | None = None


def action(state: WizardState, verb: str, argument: str | int | None = None) -> str:
    tail = "" if argument is None else f":{argument}"
    return f"w:{state.run}:{verb}{tail}"


def _rows(choices: Sequence[Choice], per_row: int) -> tuple[ChoiceRow, ...]:
    return tuple(tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row))


def _cancel_row(state: WizardState) -> ChoiceRow:
    return (choice("bot.choice.cancel", action(state, "x")),)


def prompt(state: WizardState, facts: WizardFacts) -> Reply:
    """The question of the state's step with its choices."""
    views = {
        Step.CHAIN: _chain_prompt,
        Step.ADDRESS: _address_prompt,
        Step.ABI: _abi_prompt,
        Step.EVENTS: _events_prompt,
        Step.FILTERS: _filters_prompt,
        Step.DESTINATION: _destination_prompt,
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
    return Reply(text("bot.wizard.ask_chain"), (*_rows(chains, 2), _cancel_row(state)))


def _address_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    return Reply(text("bot.wizard.ask_address", chain=state.chain), (_cancel_row(state),))


def _abi_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    standards = tuple(
        Choice(plain(STANDARD_LABELS[name]), action(state, "s", name)) for name in STANDARDS
    )
    return Reply(text("bot.wizard.ask_abi", address=state.address), (standards, _cancel_row(state)))


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
    return Reply(question, (*_rows(toggles, 2), finish, _cancel_row(state)), extra)


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
    return Reply(question, (skip, _cancel_row(state)))


def _destination_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    here = choice("bot.choice.this_chat", action(state, "d", "chat"))
    hooks = [
        choice("bot.choice.webhook", action(state, "d", hook_id), id=hook_id, host=host)
        for hook_id, host in facts.webhooks
    ]
    hooks += [
        choice("bot.choice.discord_webhook", action(state, "d", hook_id), id=hook_id)
        for hook_id in facts.discord_webhooks
    ]
    return Reply(
        text("bot.wizard.ask_destination"), ((here,), *_rows(hooks, 1), _cancel_row(state))
    )


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
    return Reply(summary, (ok, _cancel_row(state)), (_destination(state),))


def _destination(state: WizardState) -> Text:
    """The chosen destination: a generic webhook is labelled with its host, a Discord
    webhook with nothing (destination_chosen leaves its label empty)."""
    if state.destination_id is None:
        return text("bot.destination.this_chat")
    if not state.destination_label:
        return text("bot.destination.discord_webhook", id=state.destination_id)
    return text("bot.destination.webhook", id=state.destination_id, host=state.destination_label)
