"""Replies as data: message keys with parameters and the choices to offer, never markup.

Front-ends render a Text with `locales.translate(reply.language, text.key, **text.params)`;
a Choice's `action` goes back to the core unchanged when it is chosen. Actions are at most 64
bytes, the size of Telegram's callback data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from locales import DEFAULT_LANGUAGE
from storage.deliveries import AbiParam, ChainFacts, JsonValue

MAX_ACTION_BYTES = 64


@dataclass(frozen=True, slots=True)
class Text:
    key: str
    params: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Choice:
    label: Text
    action: str

    def __post_init__(self) -> None:
        if len(self.action.encode("utf-8")) > MAX_ACTION_BYTES:
            raise ValueError(f"action longer than {MAX_ACTION_BYTES} bytes: {self.action!r}")


@dataclass(frozen=True, slots=True)
class LinkChoice:
    label: Text
    url: str


ChoiceRow = tuple[Choice | LinkChoice, ...]


@dataclass(frozen=True, slots=True)
class SampleNotification:
    """A made-up event of a subscription, for the front-end to render as the notifier would
    render a real match (the core does not import the channels).

    It carries what a claimed delivery of the subscription carries: the arguments stored as
    the watcher stores decoded ones, the event's ABI inputs, the token's symbol and decimals,
    whether the notification goes out before confirmations (`provisional`), and what the
    settings say of the chain (`chain_facts`: a Cosmos chain's sample reads as Cosmos events
    do only with its family, address prefix and denominations).
    """

    subscription_id: int
    chain: str
    contract: str
    event_name: str | None
    args: Mapping[str, JsonValue]
    abi_inputs: tuple[AbiParam, ...] = ()
    token_symbol: str | None = None
    token_decimals: int | None = None
    provisional: bool = False
    chain_facts: ChainFacts = field(default_factory=ChainFacts)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to say (`text`, then each of `extra` as further paragraphs), in which language,
    and the rows of choices to offer under it."""

    text: Text
    choices: tuple[ChoiceRow, ...] = ()
    extra: tuple[Text, ...] = ()
    language: str = DEFAULT_LANGUAGE
    sample: SampleNotification | None = None


def text(key: str, /, **params: str | int) -> Text:
    return Text(key, MappingProxyType(dict(params)))


def plain(label: str) -> Text:
    """Text shown as it is (a chain name, an event name, a language's own name)."""
    return text("bot.plain", text=label)


def choice(key: str, action: str, /, **params: str | int) -> Choice:
    return Choice(text(key, **params), action)
