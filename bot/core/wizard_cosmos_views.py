"""What the subscribe wizard says on a Cosmos SDK chain: what to watch, the address, the
event type, the filter and the confirmation, as reply data.

Questions answered by typing keep the steps that EVM chains type at (the address at ADDRESS,
the event type at ABI, the filter at FILTERS), so every front-end asks for them the same way.
Their words suit a chat where people send messages and one where they press a button to type.
"""

from __future__ import annotations

from bot.core.cosmos_kinds import KIND_BY_CODE, KINDS, OTHER, CosmosKind
from bot.core.ports import CosmosChainFacts
from bot.core.replies import ChoiceRow, Reply, Text, choice, text
from bot.core.wizard_choices import (
    action,
    cancel_row,
    chosen_destination,
    destination_prompt,
    rows,
)
from bot.core.wizard_state import Step, WizardState
from bot.core.wizard_types import WizardFacts
from watcher.cosmos_subscriptions import subscription_kind

# Filters that fit each kind's events (watcher/cosmos_matching.py: attributes, message fields).
_FILTER_EXAMPLES = {
    "delegations": "amount >= 100{display}",
    "votes": "proposal_id == 7",
    "wasm": "action == swap",
    "failed": "code == 11",
}
_AMOUNT_EXAMPLE = "amount >= 1.5{display}"
# Steps that need the kind chosen first; a pass without one asks for it again.
_KIND_STEPS = (Step.ADDRESS, Step.ABI, Step.FILTERS, Step.CONFIRM)


def cosmos_prompt(state: WizardState, facts: WizardFacts) -> Reply:
    """The question of the state's step on a Cosmos chain, with its choices."""
    chain = facts.cosmos[state.chain]
    kind = KIND_BY_CODE.get(state.kind)
    if state.step == Step.KIND or (kind is None and state.step in _KIND_STEPS):
        return _kind_prompt(state)
    if state.step == Step.ADDRESS and kind is not None and kind.role is not None:
        expected = chain.validator_prefix if kind.role == "validator" else chain.bech32_prefix
        question = text(kind.address_question, chain=state.chain, expected=f"{expected}1…")
        return Reply(question, (_back_row(state), cancel_row(state)))
    if state.step == Step.ABI:
        example = f"transfer {filter_example(OTHER, display_unit(chain))}"
        question = text("bot.cosmos.ask_event_type", example=example)
        return Reply(question, (_back_row(state), cancel_row(state)))
    if state.step == Step.FILTERS and kind is not None:
        # The kind and the unit let a front-end that shows the example apart build it again.
        unit = display_unit(chain)
        example = filter_example(kind, unit)
        question = text("bot.cosmos.ask_filter", example=example, kind=kind.code, unit=unit)
        skip = (choice("bot.choice.no_filter", action(state, "nf")),)
        return Reply(question, (skip, cancel_row(state)))
    if state.step == Step.DESTINATION:
        return destination_prompt(state, facts)
    if state.step == Step.CONFIRM and kind is not None:
        return _confirm_prompt(state, kind)
    return Reply(text("bot.wizard.ended"))


def _kind_prompt(state: WizardState) -> Reply:
    kinds = [choice(kind.label, action(state, "k", kind.code)) for kind in KINDS]
    return Reply(
        text("bot.cosmos.ask_kind", chain=state.chain), (*rows(kinds, 1), cancel_row(state))
    )


def _back_row(state: WizardState) -> ChoiceRow:
    return (choice("bot.cosmos.choice.back", action(state, "kind")),)


def display_unit(chain: CosmosChainFacts) -> str:
    """The unit examples write amounts in: the chain's first display denomination."""
    return chain.denoms[0].display if chain.denoms else "uatom"


def filter_example(kind: CosmosKind, unit: str) -> str:
    """A filter that fits the kind's events, amounts in `unit`."""
    return _FILTER_EXAMPLES.get(kind.code, _AMOUNT_EXAMPLE).format(display=unit)


def _confirm_prompt(state: WizardState, kind: CosmosKind) -> Reply:
    summary = text(
        "bot.cosmos.confirm",
        chain=state.chain,
        events=", ".join(event_names(state, kind)),
        filter=state.filter_text.strip() or "—",
    )
    ok = (choice("bot.choice.confirm", action(state, "ok")),)
    extra = (watched(state, kind), chosen_destination(state))
    return Reply(summary, (ok, cancel_row(state)), extra)


def event_names(state: WizardState, kind: CosmosKind) -> tuple[str, ...]:
    """The event names the pass subscribes to: the kind's, or the one typed."""
    return kind.events or ((state.event_type,) if state.event_type else ())


def watched(state: WizardState, kind: CosmosKind) -> Text:
    """What the pass watches, in words."""
    if kind is OTHER:
        family = "message" if subscription_kind(state.event_type) == "message" else "event"
        return text(f"bot.cosmos.what.{family}", event=state.event_type)
    return text(f"bot.cosmos.what.{kind.code}", address=state.address)
