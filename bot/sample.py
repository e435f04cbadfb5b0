"""A test notification as the notifier sees a real one: the delivery both front-ends render
with the notifier's own renderer, so the sample reads exactly like a real match."""

from __future__ import annotations

from bot.core.replies import SampleNotification
from storage.deliveries import DueDelivery, DueDestination, DueEvent, JsonValue

# Block 0 and the all-zero transaction hash mark the event as made up.
SAMPLE_HASH = "0x" + "0" * 64
# A Cosmos message or failed transaction is no event: the watcher stores the first message's
# match, and a failed transaction's, at log index -1 (watcher/cosmos_matching.py).
NOT_AN_EVENT = -1


def sample_delivery(
    sample: SampleNotification, language: str, destination_kind: str, target: str
) -> DueDelivery:
    """The delivery a match of `sample`'s subscription would be, to `target` in `language`."""
    event = DueEvent(
        chain=sample.chain,
        block_number=0,
        block_hash=SAMPLE_HASH,
        transaction_hash=SAMPLE_HASH,
        log_index=_log_index(sample),
        contract=sample.contract,
        event_name=sample.event_name,
        args=dict[str, JsonValue](sample.args),
        topics=(),
        data="0x",
    )
    return DueDelivery(
        id="sample",
        kind="event",
        attempts=0,
        subscription_id=sample.subscription_id,
        destination=DueDestination(0, destination_kind, target, None),
        event=event,
        abi_inputs=sample.abi_inputs,
        language=language,
        token_symbol=sample.token_symbol,
        token_decimals=sample.token_decimals,
        provisional=sample.provisional,
        chain_facts=sample.chain_facts,
    )


def _log_index(sample: SampleNotification) -> int:
    name = sample.event_name or ""
    cosmos = sample.chain_facts.family == "cosmos"
    return NOT_AN_EVENT if cosmos and (name.startswith("/") or name == "tx.failed") else 0
