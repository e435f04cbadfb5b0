"""Typed answers on Discord: which replies ask for typed text, the button that opens a modal
for it, the modal, and the text a person submitted in it.

Pure. The core's wizard asks for some answers as text (a contract's address, its ABI or an
event signature, a filter); on Telegram people send a message. A Discord bot reads no
messages, so such a reply gets a button whose press answers with a modal: a form with one
text input. Its submission is handed to the core as the message it stands for.

The button's custom id, which the modal's repeats, is `type:<question>:<wizard run>`: the
submission goes to the wizard only while that run still waits at that question; an
earlier pass's modal gets the core's answer to an out-of-date button instead. The modal is
built from the custom id alone, so a Cosmos question carries what its example is made of: an
address question is `<question>.<prefix>`, its example starting as the chain's addresses do
(`osmo1…`, `cosmosvaloper1…`); the filter question is `<question>.<kind>.<unit>`, its example
the one the core gives for what is watched, in the chain's unit (`amount >= 100OSMO`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from discord import TextStyle
from discord.ui import Modal, TextInput

from bot.core.cosmos_kinds import KIND_BY_CODE
from bot.core.replies import Choice, ChoiceRow, Reply, text
from bot.core.wizard_cosmos_views import filter_example
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
# A display unit as the settings allow it (app/chain_settings.py): no ":" ends a custom id's
# part early, a "." in it stays in the unit, and with the longest kind (`delegations`) and a
# wizard run the custom id fits a core action's 64 bytes.
_UNIT = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,19}$")


@dataclass(frozen=True, slots=True)
class TypedQuestion:
    """A question answered by typing: `code` names it in custom ids, `step` is the wizard's
    step that takes the answer; the others are catalog keys, an example shown in the empty
    input (the same in every language), and the input's size. A Cosmos address question has
    the bech32 `prefix` its example starts with; the Cosmos filter question the `kind`
    watched (bot/core/cosmos_kinds.py) and the `unit` amounts are written in. None: the
    question's example is the same on every chain."""

    code: str
    step: Step
    button: str
    title: str
    label: str
    placeholder: str
    paragraph: bool
    max_length: int
    prefix: str | None = None
    kind: str | None = None
    unit: str | None = None

    def with_prefix(self, prefix: str) -> TypedQuestion:
        """The Cosmos address question for a chain whose addresses start with `prefix`."""
        return replace(self, prefix=prefix, placeholder=f"{prefix}{_EXPECTED_END}")

    def with_example(self, kind: str, unit: str) -> TypedQuestion:
        """The Cosmos filter question for what is watched, amounts in the chain's `unit`."""
        example = filter_example(KIND_BY_CODE[kind], unit)
        return replace(self, kind=kind, unit=unit, placeholder=example)

    @property
    def custom_code(self) -> str:
        """The question as its custom ids name it: its code, then what its example is made of."""
        if self.prefix is not None:
            return f"{self.code}.{self.prefix}"
        if self.kind is not None:
            return f"{self.code}.{self.kind}.{self.unit}"
        return self.code

    def for_chain(self, detail: str) -> TypedQuestion | None:
        """The question for what a custom id carries after its code; None when it carries
        what the question does not take."""
        if self.prefix is not None and _PREFIX.match(detail):
            return self.with_prefix(detail)
        kind, _, unit = detail.partition(".")
        if self.kind is not None and kind in KIND_BY_CODE and _UNIT.match(unit):
            return self.with_example(kind, unit)
        return None


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
# The filter typed at FILTERS; the example fits the Cosmos Hub's tokens received until the
# kind and the chain are known.
COSMOS_FILTER = replace(FILTER, code="cf").with_example("received", "ATOM")
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
    "bot.cosmos.ask_filter": COSMOS_FILTER,
}
_ALL = (
    ADDRESS,
    ABI,
    FILTER,
    COSMOS_ACCOUNT,
    COSMOS_VALIDATOR,
    COSMOS_CONTRACT,
    COSMOS_FILTER,
    EVENT_TYPE,
)
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
    address question takes the prefix of the address its text says it expects, the Cosmos
    filter question the kind and unit of its text's example."""
    for item in (reply.text, *reply.extra):
        question = QUESTIONS.get(item.key)
        if question is not None:
            return _for_chain(question, item.params)
    return None


def _for_chain(question: TypedQuestion, params: Mapping[str, object]) -> TypedQuestion:
    """The question with what the core's text says of the chain (`expected`: `osmo1…`; `kind`
    and `unit`), when it takes that and a custom id can carry it."""
    expected, kind, unit = params.get("expected"), params.get("kind"), params.get("unit")
    if question.prefix is not None and isinstance(expected, str):
        detail = expected.removesuffix(_EXPECTED_END)
    elif question.kind is not None and isinstance(kind, str) and isinstance(unit, str):
        detail = f"{kind}.{unit}"
    else:
        return question
    return question.for_chain(detail) or question


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
    code, dot, detail = named.partition(".")
    question = _BY_CODE.get(code)
    if question is None or not _RUN.match(run):
        return None
    if not dot:
        return TypedRequest(question, run)
    chained = question.for_chain(detail)
    return None if chained is None else TypedRequest(chained, run)


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
