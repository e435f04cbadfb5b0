"""What every chain family's wizard questions share: the actions of their choices, the
Cancel row, and the destination question with its answer shown back."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.replies import Choice, ChoiceRow, Reply, Text, choice, text
from bot.core.wizard_state import WizardState
from bot.core.wizard_types import WizardFacts


def action(state: WizardState, verb: str, argument: str | int | None = None) -> str:
    tail = "" if argument is None else f":{argument}"
    return f"w:{state.run}:{verb}{tail}"


def rows(choices: Sequence[Choice], per_row: int) -> tuple[ChoiceRow, ...]:
    return tuple(tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row))


def cancel_row(state: WizardState) -> ChoiceRow:
    return (choice("bot.choice.cancel", action(state, "x")),)


def destination_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    here = choice("bot.choice.this_chat", action(state, "d", "chat"))
    hooks = [
        choice("bot.choice.webhook", action(state, "d", hook_id), id=hook_id, host=host)
        for hook_id, host in facts.webhooks
    ]
    hooks += [
        choice("bot.choice.discord_webhook", action(state, "d", hook_id), id=hook_id)
        for hook_id in facts.discord_webhooks
    ]
    return Reply(text("bot.wizard.ask_destination"), ((here,), *rows(hooks, 1), cancel_row(state)))


def chosen_destination(state: WizardState) -> Text:
    """The chosen destination: a generic webhook is labelled with its host, a Discord
    webhook with nothing (destination_chosen leaves its label empty)."""
    if state.destination_id is None:
        return text("bot.destination.this_chat")
    if not state.destination_label:
        return text("bot.destination.discord_webhook", id=state.destination_id)
    return text("bot.destination.webhook", id=state.destination_id, host=state.destination_label)
