"""What a stored Cosmos subscription watches, read back from it, and the Cosmos wizard's state
in storage (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.cosmos_kinds import (
    CONTRACT,
    DELEGATIONS,
    FAILED,
    GOVERNANCE,
    RECEIVED,
    SENT,
    CosmosKind,
    read_subscription,
)
from bot.core.wizard_state import Step, WizardState, from_stored, stored_form
from storage.wizards import StoredWizard
from tests.support.cosmos_chain import CosmosChain, contract, validator

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HUB = CosmosChain()
BOB, CAROL = HUB.account("bob"), HUB.account("carol")
FEES = "recipient != cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta"


@pytest.mark.parametrize(
    ("event_name", "address", "filter_expr", "kind", "kind_address", "added"),
    [
        ("transfer", "", f"recipient == {BOB}", RECEIVED, BOB, ""),
        (
            "transfer",
            "",
            f"recipient == {BOB} and amount >= 1ATOM",
            RECEIVED,
            BOB,
            "amount >= 1ATOM",
        ),
        (
            "transfer",
            "",
            f"recipient == {BOB} and (a == 1 or b == 2)",
            RECEIVED,
            BOB,
            "(a == 1 or b == 2)",
        ),
        ("transfer", "", f"(sender == {BOB} and {FEES})", None, "", ""),
        ("transfer", "", f"sender == {BOB} and {FEES}", SENT, BOB, ""),
        ("transfer", "", f'(sender == {BOB} and {FEES}) and memo == "x"', SENT, BOB, 'memo == "x"'),
        ("transfer", "", f"sender == {BOB}", None, "", ""),
        ("transfer", "", f"recipient == {BOB} and a == 1 or sender == {CAROL}", None, "", ""),
        ("transfer", "", f"recipient == {BOB} or a == 1", None, "", ""),
        ("transfer", "", "recipient == nobody", None, "", ""),
        ("coin_received", "", f"recipient == {BOB}", None, "", ""),
        (
            "/cosmos.staking.v1beta1.MsgDelegate",
            "",
            f"validator_address == {validator('v')}",
            DELEGATIONS,
            validator("v"),
            "",
        ),
        ("/cosmos.gov.v1beta1.MsgVote", "", "proposal_id == 7", GOVERNANCE, "", "proposal_id == 7"),
        ("wasm", contract("pool"), "", CONTRACT, contract("pool"), ""),
        ("wasm", "", "", None, "", ""),
        ("tx.failed", BOB, "code == 5", FAILED, BOB, "code == 5"),
    ],
)
def test_the_kind_is_read_back_only_where_the_filter_is_the_kinds_own(
    event_name: str,
    address: str,
    filter_expr: str,
    kind: CosmosKind | None,
    kind_address: str,
    added: str,
) -> None:
    found = read_subscription(event_name, address, filter_expr)
    assert found.kind == kind
    if kind is not None:
        assert (found.address, found.added) == (kind_address, added)


def test_the_cosmos_answers_survive_storage_and_older_states_still_load() -> None:
    state = WizardState(
        Step.ABI,
        "run1",
        NOW,
        chain="cosmoshub",
        kind="event",
        event_type="wasm-swap",
        filter_text="amount > 1ATOM",
        pending_address=BOB,
    )
    assert from_stored(stored_form(state), NOW) == state

    older = {"run": "run2", "chain": "mainnet", "address": "0x" + "ab" * 20, "selected": [0]}
    loaded = from_stored(StoredWizard("events", older, NOW), NOW)
    assert (loaded.step, loaded.run, loaded.selected) == (Step.EVENTS, "run2", (0,))
    assert (loaded.kind, loaded.event_type, loaded.pending_address) == ("", "", "")

    newer = {**stored_form(state).data, "colour": "blue"}
    assert from_stored(StoredWizard("abi", newer, NOW), NOW).step == Step.IDLE
    garbled = {**stored_form(state).data, "kind": ["event"]}
    assert from_stored(StoredWizard("abi", garbled, NOW), NOW).step == Step.IDLE
