"""Which wizard replies ask for typed text on Discord, the button and modal for it, and the
text a submitted modal carries back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from bot.core.ports import CosmosChainFacts
from bot.core.replies import Reply, text
from bot.core.wizard import TextInput, advance
from bot.core.wizard_state import Step, WizardState
from bot.core.wizard_views import WizardFacts, prompt
from bot.discord.typed import (
    ABI,
    ADDRESS,
    COSMOS_ACCOUNT,
    COSMOS_CONTRACT,
    COSMOS_VALIDATOR,
    EVENT_TYPE,
    FILTER,
    MAX_LABEL,
    MAX_PLACEHOLDER,
    MAX_TITLE,
    TypedQuestion,
    TypedRequest,
    parse_typed,
    render_modal,
    stale_action,
    submitted_text,
    typed_question,
    typing_choice,
)
from locales import SUPPORTED_LANGUAGES, translate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FACTS = WizardFacts(chains=("mainnet", "base"))
TRANSFER = {
    "type": "event",
    "name": "Transfer",
    "anonymous": False,
    "inputs": [{"name": "value", "type": "uint256", "indexed": False}],
}


def at(step: Step, **changes: Any) -> WizardState:
    return WizardState(step, "run1", NOW, chain="mainnet", **changes)


AT_EVENTS = {"abi_json": orjson.dumps([TRANSFER]).decode(), "selected": (0,)}


@pytest.mark.parametrize(
    ("state", "question"),
    [
        (at(Step.ADDRESS), ADDRESS),
        (at(Step.ABI, address="0x" + "ab" * 20), ABI),
        (at(Step.FILTERS, **AT_EVENTS), FILTER),
        (at(Step.FILTERS, standard="erc20", decimals=6, symbol="USDC", **AT_EVENTS), FILTER),
        (at(Step.CHAIN), None),
        (at(Step.EVENTS, **AT_EVENTS), None),
        (at(Step.CONFIRM, **AT_EVENTS, filters=("",)), None),
    ],
)
def test_the_questions_answered_by_typing_are_the_address_abi_and_filter(
    state: WizardState, question: TypedQuestion | None
) -> None:
    assert typed_question(prompt(state, FACTS)) == question


@pytest.mark.parametrize(
    ("state", "typed", "problem", "question"),
    [
        (at(Step.ADDRESS), "0x12", "bot.error.address.invalid", ADDRESS),
        (at(Step.ABI, address="0x" + "ab" * 20), "nonsense", "bot.wizard.abi_expected", ABI),
        (at(Step.ABI, address="0x" + "ab" * 20), "[1, 2", "bot.error.abi.invalid_json", ABI),
        (at(Step.FILTERS, **AT_EVENTS), "nobody == 1", "bot.error.filter.unknown_argument", FILTER),
    ],
)
def test_a_refused_answer_is_asked_again_with_the_same_button(
    state: WizardState, typed: str, problem: str, question: TypedQuestion
) -> None:
    reply = advance(state, TextInput(typed), FACTS, NOW).reply
    assert reply.text.key == problem
    assert typed_question(reply) == question
    typing = typing_choice(reply)
    assert typing is not None and typing.action == f"type:{question.code}:run1"


def test_a_reply_without_the_wizards_pass_gets_no_button() -> None:
    assert typing_choice(Reply(text("bot.wizard.ask_address", chain="mainnet"))) is None


@pytest.mark.parametrize("question", [ADDRESS, ABI, FILTER])
def test_a_typing_buttons_custom_id_reads_back(question: TypedQuestion) -> None:
    reply = prompt(at(question.step, address="0x" + "ab" * 20, **AT_EVENTS), FACTS)
    typing = typing_choice(reply)
    assert typing is not None and typing.label.key == question.button
    request = parse_typed(typing.action)
    assert request == TypedRequest(question, "run1")
    assert stale_action(request) == "w:run1:type"


@pytest.mark.parametrize(
    "custom_id",
    ["w:run1:x", "type:", "type:a", "type:a:", "type:zz:run1", "type:a:RUN1", "type:a:run1:x"],
)
def test_other_custom_ids_are_no_typing_request(custom_id: str) -> None:
    assert parse_typed(custom_id) is None


ALL_QUESTIONS = [
    ADDRESS,
    ABI,
    FILTER,
    COSMOS_ACCOUNT,
    COSMOS_VALIDATOR,
    COSMOS_CONTRACT,
    EVENT_TYPE,
]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("question", ALL_QUESTIONS)
def test_the_modal_has_one_text_input_within_discords_limits(
    language: str, question: TypedQuestion
) -> None:
    custom_id = f"@{'9' * 20}|type:{question.custom_code}:run1"
    payload = render_modal(language, custom_id, question).to_dict()
    assert payload["custom_id"] == custom_id
    assert payload["title"] == translate(language, question.title)
    [row] = payload["components"]
    [item] = row["components"]
    assert item["label"] == translate(language, question.label)
    assert len(payload["title"]) <= MAX_TITLE and len(item["label"]) <= MAX_LABEL
    assert item["custom_id"] == "answer" and item["required"]
    assert item["style"] == (2 if question.paragraph else 1)
    assert item["max_length"] == question.max_length <= 4000
    assert 0 < len(item["placeholder"]) <= 100


def test_the_typed_text_is_read_from_either_modal_layout() -> None:
    typed = {"type": 4, "custom_id": "answer", "value": "0xabc"}
    rows = {"components": [{"type": 1, "components": [typed]}]}
    labels = {"components": [{"type": 18, "component": typed}]}
    assert submitted_text(rows) == submitted_text(labels) == "0xabc"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"components": "x"},
        {"components": [None, 4, {"type": 1}]},
        {"components": [{"type": 1, "components": [{"type": 4, "custom_id": "other"}]}]},
        {"components": [{"type": 1, "components": [{"type": 4, "custom_id": "answer"}]}]},
        {"components": [{"type": 18, "component": {"custom_id": "answer", "value": 5}}]},
    ],
)
def test_a_submission_without_the_answer_reads_as_nothing_typed(data: dict[str, Any]) -> None:
    assert submitted_text(data) == ""


COSMOS_FACTS = WizardFacts(
    chains=("cosmoshub", "osmosis"),
    cosmos={"cosmoshub": CosmosChainFacts("cosmos"), "osmosis": CosmosChainFacts("osmo")},
)


@pytest.mark.parametrize(
    ("chain", "step", "kind", "question", "placeholder"),
    [
        ("cosmoshub", Step.KIND, "", None, None),
        ("cosmoshub", Step.ADDRESS, "received", COSMOS_ACCOUNT, "cosmos1…"),
        ("osmosis", Step.ADDRESS, "sent", COSMOS_ACCOUNT, "osmo1…"),
        ("osmosis", Step.ADDRESS, "failed", COSMOS_ACCOUNT, "osmo1…"),
        ("osmosis", Step.ADDRESS, "delegations", COSMOS_VALIDATOR, "osmovaloper1…"),
        ("cosmoshub", Step.ADDRESS, "wasm", COSMOS_CONTRACT, "cosmos1…"),
        ("osmosis", Step.ABI, "event", EVENT_TYPE, "transfer, wasm, /cosmos.gov.v1.MsgVote"),
    ],
)
def test_a_cosmos_question_opens_a_form_in_its_own_words(
    chain: str, step: Step, kind: str, question: TypedQuestion | None, placeholder: str | None
) -> None:
    reply = prompt(WizardState(step, "run1", NOW, chain=chain, kind=kind), COSMOS_FACTS)
    asked = typed_question(reply)
    assert (asked.code if asked else None) == (question.code if question else None)
    typing = typing_choice(reply)
    if question is None or asked is None:
        assert typing is None
        return
    assert typing is not None and typing.label.key == question.button
    request = parse_typed(f"{typing.action}")
    assert request is not None and request.question == asked and request.run == "run1"
    payload = render_modal("en", f"@dm|{typing.action}", request.question).to_dict()
    [row] = payload["components"]
    [item] = row["components"]
    assert (payload["title"], item["label"], item["placeholder"]) == (
        translate("en", question.title),
        translate("en", question.label),
        placeholder,
    )
    assert "0x" not in payload["title"] + item["label"] + item["placeholder"]
    assert len(item["placeholder"]) <= MAX_PLACEHOLDER
    assert item["style"] == (2 if question.paragraph else 1)


def test_cosmos_forms_say_what_to_type_there() -> None:
    forms = {
        question: (translate("en", question.title), translate("en", question.label))
        for question in (COSMOS_ACCOUNT, COSMOS_VALIDATOR, COSMOS_CONTRACT, EVENT_TYPE)
    }
    assert forms == {
        COSMOS_ACCOUNT: ("Address", "Account address, as wallets show it"),
        COSMOS_VALIDATOR: ("Validator", "Validator operator address (…valoper1…)"),
        COSMOS_CONTRACT: ("CosmWasm contract", "Contract address"),
        EVENT_TYPE: ("Event type", "Event or message type, a filter may follow"),
    }
    assert translate("en", EVENT_TYPE.button) == "✏️ Type the event type"


def test_a_refused_cosmos_address_is_asked_again_with_the_chains_prefix() -> None:
    state = WizardState(Step.ADDRESS, "run1", NOW, chain="osmosis", kind="delegations")
    reply = advance(state, TextInput("osmo1nope"), COSMOS_FACTS, NOW).reply
    typing = typing_choice(reply)
    assert typing is not None and typing.action == "type:cv.osmovaloper:run1"


@pytest.mark.parametrize(
    "custom_id", ["type:a.osmo:run1", "type:ce.osmo:run1", "type:ca.:run1", "type:ca.OSMO:run1"]
)
def test_only_a_cosmos_address_question_carries_a_prefix(custom_id: str) -> None:
    assert parse_typed(custom_id) is None
