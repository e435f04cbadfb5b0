"""Typed answers on Discord: which replies ask for typed text, the button that opens a modal
for it, the modal, and the text a person submitted in it.

Pure. The core's wizard asks for some answers as text (a contract's address, its ABI or an
event signature, a filter); on Telegram people send a message. A Discord bot reads no
messages, so such a reply gets a button whose press answers with a modal: a form with one
text input. Its submission is handed to the core as the message it stands for.

The button's custom id, which the modal's repeats, is `type:<question>:<wizard run>`: the
submission goes to the wizard only while that run still waits at that question; an
earlier pass's modal gets the core's answer to an out-of-date button instead. A Cosmos
address question is `<question>.<prefix>`: the modal is built from the custom id alone, and
its example address starts as the chain's do (`osmo1…`, `cosmosvaloper1…`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from discord import TextStyle
from discord.ui import Modal, TextInput

from bot.core.replies import Choice, ChoiceRow, Reply, text
from bot.core.wizard_state import Step
from bot.discord.wording import cut_label
from locales import translate

# Custom ids of the typing buttons and their modals; no core action has this prefix.
TYPE = "type:"
# The custom id of a modal's one text input.
ANSWER = "answer"
# Discord's limits (https://discord.com/developers/docs/components/reference#text-input).
MAX_TITLE = 45
MAX_LABEL = 45
MAX_PLACEHOLDER = 100
MAX_VALUE = 4000
# Component types in a modal and in its submission.
ACTION_ROW, TEXT_INPUT, LABEL = 1, 4, 18
_RUN = re.compile(r"^[0-9a-z]{1,16}$")
# A bech32 prefix that fits a button's action (64 bytes) with the rest of its custom id.
_PREFIX = re.compile(r"^[0-9a-z]{1,30}$")
# How a Cosmos question's Text ends the address it expects: `cosmos1…`.
_EXPECTED_END = "1…"


@dataclass(frozen=True, slots=True)
class TypedQuestion:
    """A question answered by typing: `code` names it in custom ids, `step` is the wizard's
    step that takes the answer; the others are catalog keys, an example shown in the empty
    input (the same in every language), and the input's size. A Cosmos address question has
    the bech32 `prefix` its example starts with (None: the question takes no prefix)."""

    code: str
    step: Step
    button: str
    title: str
    label: str
    placeholder: str
    paragraph: bool
    max_length: int
    prefix: str | None = None

    def with_prefix(self, prefix: str) -> TypedQuestion:
        """The Cosmos address question for a chain whose addresses start with `prefix`."""
        return replace(self, prefix=prefix, placeholder=f"{prefix}{_EXPECTED_END}")

    @property
    def custom_code(self) -> str:
        """The question as its custom ids name it: its code, and its prefix if any."""
        return self.code if self.prefix is None else f"{self.code}.{self.prefix}"


ADDRESS = TypedQuestion(
    "a",
    Step.ADDRESS,
    "dc.type.address",
    "dc.modal.address.title",
    "dc.modal.address.label",
    "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    paragraph=False,
    max_length=128,  # as /subscribe's address option: room for spaces around it
)
ABI = TypedQuestion(
    "abi",
    Step.ABI,
    "dc.type.abi",
    "dc.modal.abi.title",
    "dc.modal.abi.label",
    "Transfer(address indexed from, address indexed to, uint256 value)",
    paragraph=True,
    max_length=MAX_VALUE,  # a longer ABI is given as the standard or one signature
)
FILTER = TypedQuestion(
    "f",
    Step.FILTERS,
    "dc.type.filter",
    "dc.modal.filter.title",
    "dc.modal.filter.label",
    "value >= 1000 and to == 0x…",
    paragraph=True,
    max_length=1000,  # the filter parser's own limit (watcher/filters.py)
)
# On a Cosmos chain (bot/core/wizard_cosmos_views): an account's, a validator's or a CosmWasm
# contract's address, typed at ADDRESS; the Cosmos Hub's prefixes until the chain's are known.
COSMOS_ACCOUNT = TypedQuestion(
    "ca",
    Step.ADDRESS,
    "dc.type.address",
    "dc.modal.cosmos.account.title",
    "dc.modal.cosmos.account.label",
    "cosmos1…",
    paragraph=False,
    max_length=128,  # as ADDRESS; bech32 strings are at most 90 characters
    prefix="cosmos",
)
COSMOS_VALIDATOR = replace(
    COSMOS_ACCOUNT,
    code="cv",
    title="dc.modal.cosmos.validator.title",
    label="dc.modal.cosmos.validator.label",
    placeholder="cosmosvaloper1…",
    prefix="cosmosvaloper",
)
COSMOS_CONTRACT = replace(
    COSMOS_ACCOUNT,
    code="cc",
    title="dc.modal.cosmos.contract.title",
    label="dc.modal.cosmos.contract.label",
)
# The event type (or message type URL) typed at ABI, a filter possibly after it.
EVENT_TYPE = TypedQuestion(
    "ce",
    Step.ABI,
    "dc.type.event_type",
    "dc.modal.cosmos.event.title",
    "dc.modal.cosmos.event.label",
    "transfer, wasm, /cosmos.gov.v1.MsgVote",
    paragraph=True,
    max_length=1200,  # a type of at most 128 characters (cosmos_checks) and FILTER's 1000
)
# The wizard's questions that want typed text, by their message key (bot/core/wizard_views,
# and bot/core/wizard_cosmos_views on Cosmos chains).
QUESTIONS: Mapping[str, TypedQuestion] = {
    "bot.wizard.ask_address": ADDRESS,
    "bot.wizard.ask_abi": ABI,
    "bot.wizard.ask_filter": FILTER,
    "bot.wizard.ask_filter_tokens": FILTER,
    "bot.cosmos.ask_address.received": COSMOS_ACCOUNT,
    "bot.cosmos.ask_address.sent": COSMOS_ACCOUNT,
    "bot.cosmos.ask_address.delegations": COSMOS_VALIDATOR,
    "bot.cosmos.ask_address.wasm": COSMOS_CONTRACT,
    "bot.cosmos.ask_address.failed": COSMOS_ACCOUNT,
    "bot.cosmos.ask_event_type": EVENT_TYPE,
    "bot.cosmos.ask_filter": FILTER,
}
_ALL = (ADDRESS, ABI, FILTER, COSMOS_ACCOUNT, COSMOS_VALIDATOR, COSMOS_CONTRACT, EVENT_TYPE)
_BY_CODE = {question.code: question for question in _ALL}


@dataclass(frozen=True, slots=True)
class TypedRequest:
    """A typing button or modal: its question, for the wizard's pass `run`."""

    question: TypedQuestion
    run: str


def typed_question(reply: Reply) -> TypedQuestion | None:
    """The question a reply asks to be answered by typing, if any. It is the reply's text,
    or, when an answer was refused, the first paragraph after the problem (the wizard
    says what was wrong, then asks again: bot/core/wizard_views.with_problem). A Cosmos
    address question takes the prefix of the address its text says it expects."""
    for item in (reply.text, *reply.extra):
        question = QUESTIONS.get(item.key)
        if question is not None:
            return _with_expected(question, item.params.get("expected"))
    return None


def _with_expected(question: TypedQuestion, expected: object) -> TypedQuestion:
    """The question with the prefix of `expected` (`osmo1…`), when it takes one and that is
    a prefix a custom id can carry."""
    if question.prefix is None or not isinstance(expected, str):
        return question
    prefix = expected.removesuffix(_EXPECTED_END)
    return question.with_prefix(prefix) if _PREFIX.match(prefix) else question


def wizard_run(choices: Sequence[ChoiceRow]) -> str | None:
    """The wizard pass the choices belong to: every wizard action is `w:<run>:…`."""
    for row in choices:
        for offered in row:
            if isinstance(offered, Choice) and offered.action.startswith("w:"):
                run = offered.action.split(":", 2)[1]
                return run if _RUN.match(run) else None
    return None


def typing_choice(reply: Reply) -> Choice | None:
    """The button that opens the modal for the reply's typed answer, if it wants one."""
    question, run = typed_question(reply), wizard_run(reply.choices)
    if question is None or run is None:
        return None
    return Choice(text(question.button), f"{TYPE}{question.custom_code}:{run}")


def parse_typed(custom_id: str) -> TypedRequest | None:
    """The question and wizard pass of a typing button's or modal's custom id (without
    its chat prefix); None for any other custom id."""
    if not custom_id.startswith(TYPE):
        return None
    named, _, run = custom_id[len(TYPE) :].partition(":")
    code, dot, prefix = named.partition(".")
    question = _BY_CODE.get(code)
    if question is None or not _RUN.match(run):
        return None
    if not dot:
        return TypedRequest(question, run)
    if question.prefix is None or not _PREFIX.match(prefix):
        return None
    return TypedRequest(question.with_prefix(prefix), run)


def stale_action(request: TypedRequest) -> str:
    """A wizard action of the request's pass that no step takes: the core answers it as it
    answers any out-of-date button, with its "no longer valid" and, while another pass or
    step is current, that step's question again."""
    return f"w:{request.run}:type"


def render_modal(language: str, custom_id: str, question: TypedQuestion) -> Modal:
    """The modal with the question's one text input; `custom_id` is the button's, so the
    submission says which chat and which pass it answers."""
    modal = Modal(
        title=cut_label(translate(language, question.title), MAX_TITLE),
        custom_id=custom_id,
        timeout=None,
    )
    modal.add_item(
        TextInput(
            label=cut_label(translate(language, question.label), MAX_LABEL),
            custom_id=ANSWER,
            style=TextStyle.paragraph if question.paragraph else TextStyle.short,
            placeholder=cut_label(question.placeholder, MAX_PLACEHOLDER),
            required=True,
            max_length=question.max_length,
        )
    )
    return modal


def submitted_text(data: Mapping[str, object]) -> str:
    """The text typed into a modal's answer input, from a MODAL_SUBMIT interaction's data:
    `components` holds action rows of text inputs (or, in Discord's newer layout, labels
    each holding one); anything else reads as nothing typed."""
    for value in _input_values(data.get("components")):
        return value
    return ""


def _input_values(components: object) -> list[str]:
    found: list[str] = []
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        kind = component.get("type")
        if kind == ACTION_ROW:
            found += _input_values(component.get("components"))
        elif kind == LABEL:
            found += _input_values([component.get("component")])
        elif kind == TEXT_INPUT and component.get("custom_id") == ANSWER:
            value = component.get("value")
            found += [value] if isinstance(value, str) else []
    return found
