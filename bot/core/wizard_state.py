"""The subscribe wizard's steps and collected answers, and their JSON form in storage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from storage.wizards import StoredWizard

# A wizard left alone this long is over: its buttons answer as expired ones do.
WIZARD_TTL = timedelta(hours=24)
_RUN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


class Step(StrEnum):
    IDLE = "idle"
    CHAIN = "chain"
    KIND = "kind"  # Cosmos chains: what to watch (tokens received, delegations, votes, …)
    ADDRESS = "address"
    ABI = "abi"
    EVENTS = "events"
    FILTERS = "filters"
    DESTINATION = "destination"
    CONFIRM = "confirm"


@dataclass(frozen=True, slots=True)
class WizardState:
    """Where one person is in the wizard and what they answered so far.

    `run` names this pass through the wizard; every action carries it, so buttons of an
    earlier pass (or of somebody else's) are told apart from current ones.

    On a Cosmos chain `kind` is what the pass watches (a code of bot/core/cosmos_kinds.py),
    `address` the bech32 address it asked for, `event_type` the event type or message type
    URL typed for the kind that asks for one, and `filter_text` the filter typed besides the
    kind's own; `filters` then holds the stored filter of each event. `pending_address` is an
    address given with the command that started the pass, checked once a kind asks for one.
    """

    step: Step
    run: str
    updated_at: datetime
    chain: str = ""
    address: str = ""
    standard: str | None = None
    symbol: str | None = None
    decimals: int | None = None
    abi_json: str = "[]"
    selected: tuple[int, ...] = ()
    filter_text: str = ""
    filters: tuple[str, ...] = ()
    destination_id: int | None = None
    destination_label: str = ""
    detected: bool = False
    kind: str = ""
    event_type: str = ""
    pending_address: str = ""

    @property
    def abi(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = orjson.loads(self.abi_json)
        return events

    def moved(self, step: Step, now: datetime, **changes: Any) -> WizardState:
        return replace(self, step=step, updated_at=now, **changes)

    def is_active(self, now: datetime) -> bool:
        return self.step != Step.IDLE and now - self.updated_at <= WIZARD_TTL


def new_run(now: datetime, previous: str = "") -> str:
    """A short name for a new pass: the time in milliseconds, in base 36, cut to 6 digits."""
    number = int(now.timestamp() * 1000) % 36**6
    digits = ""
    for _ in range(6):
        number, digit = divmod(number, 36)
        digits = _RUN_ALPHABET[digit] + digits
    return digits if digits != previous else digits[::-1] + "x"


def idle(now: datetime, run: str = "") -> WizardState:
    return WizardState(Step.IDLE, run, now)


# Answers read as text (the chain and the kind are looked up by, too): any other value makes
# a stored wizard unreadable.
_LOOKED_UP = ("chain", "kind", "event_type", "pending_address")


def stored_form(state: WizardState) -> StoredWizard:
    data = asdict(state)
    data.pop("step")
    data.pop("updated_at")
    data["selected"] = list(state.selected)
    data["filters"] = list(state.filters)
    return StoredWizard(str(state.step), data, state.updated_at)


def from_stored(stored: StoredWizard | None, now: datetime) -> WizardState:
    """The stored wizard, or an idle one when there is none or it cannot be read (a wizard of
    an older release): starting over beats a crash."""
    if stored is None or stored.updated_at is None:
        return idle(now)
    try:
        data = dict(stored.data)
        if not all(isinstance(data.get(name, ""), str) for name in _LOOKED_UP):
            return idle(now)
        data["selected"] = tuple(int(index) for index in data.get("selected", ()))
        data["filters"] = tuple(str(source) for source in data.get("filters", ()))
        return WizardState(step=Step(stored.step), updated_at=stored.updated_at, **data)
    except (TypeError, ValueError):
        return idle(now)
