"""A made-up match of a Cosmos subscription, for /list → Test: what the watcher would store
for its event, message or failed transaction (watcher/cosmos_matching.py), with the chain's
facts the notifier renders it with.

Pure. Addresses carry the chain's prefix and amounts its first denomination in base units,
so the sample reads as a real match does: `1.5 ATOM`, `cosmos1qyp…`.
"""

from __future__ import annotations

from cosmpy.crypto.address import Address

from bot.core.ports import CosmosChainFacts
from bot.core.replies import SampleNotification
from storage.deliveries import ChainFacts, JsonValue
from storage.subscriptions import SubscriptionRow
from watcher.cosmos_matching import FAILED_TX, MESSAGE_MARK

COSMOS_FAMILY = "cosmos"
# The stake denomination of a chain whose settings name none (the SDK's default).
DEFAULT_DENOM = "stake"
# What the main messages carry (watcher/cosmos_message_fields.py); others get a signer.
_VOTE = {"proposal_id": "7", "option": "VOTE_OPTION_YES"}


def cosmos_sample(row: SubscriptionRow, facts: CosmosChainFacts) -> SampleNotification:
    """The subscription's match as the notifier gets it: made-up arguments for its kind of
    event, and the chain's family, prefix and denominations."""
    chain_facts = ChainFacts(COSMOS_FAMILY, facts.bech32_prefix, facts.denoms)
    args = sample_args(row.event_name or "", row.address, facts)
    return SampleNotification(
        row.id,
        row.chain,
        row.address,
        row.event_name,
        args,
        provisional=row.instant,
        chain_facts=chain_facts,
    )


def sample_args(event: str, address: str, facts: CosmosChainFacts) -> dict[str, JsonValue]:
    """Plausible attributes (or message fields, or a failure's code and log) of `event`,
    emitted by or concerning `address` when the subscription names one."""
    sender = address if address and event == FAILED_TX else sample_address(facts, 1)
    recipient = sample_address(facts, 2)
    if event == FAILED_TX:
        log = "out of gas in location: WriteFlat; gasWanted: 200000, gasUsed: 201234"
        return {"code": "11", "codespace": "sdk", "log": log, "signer": sender}
    if event.startswith(MESSAGE_MARK):
        return _message_args(event, address, sender, facts)
    if event == "transfer":
        return {"recipient": recipient, "sender": sender, "amount": sample_amount(facts)}
    if event == "wasm" or event.startswith("wasm-"):
        contract = address or sample_address(facts, 3)
        return {"_contract_address": contract, "action": "swap", "sender": sender}
    return {"sender": sender, "amount": sample_amount(facts)}


def _message_args(
    type_url: str, address: str, sender: str, facts: CosmosChainFacts
) -> dict[str, JsonValue]:
    name = type_url.rpartition(".")[2]
    if name == "MsgDelegate":
        validator = sample_address(facts, 4, facts.validator_prefix)
        amount = sample_amount(facts)
        return {"delegator_address": sender, "validator_address": validator, "amount": amount}
    if name == "MsgVote":
        return {**_VOTE, "voter": sender, "signer": sender}
    if name == "MsgSend":
        recipient = sample_address(facts, 2)
        amount = sample_amount(facts)
        return {"from_address": sender, "to_address": recipient, "amount": amount}
    if type_url.startswith("/cosmwasm.wasm."):
        contract = address or sample_address(facts, 3)
        swap: dict[str, JsonValue] = {"swap": {}}
        return {"sender": sender, "contract": contract, "msg": swap, "signer": sender}
    return {"signer": sender}


def sample_address(facts: CosmosChainFacts, index: int, prefix: str | None = None) -> str:
    """The `index`-th made-up account (20 bytes of `index`) with the chain's prefix."""
    return str(Address(bytes([index]) * 20, prefix=prefix or facts.bech32_prefix))


def sample_amount(facts: CosmosChainFacts) -> str:
    """1.5 of the chain's first display denomination, in its base units (`1500000uatom`)."""
    if not facts.denoms:
        return f"15{DEFAULT_DENOM}"
    denom = facts.denoms[0]
    units = 15 * 10 ** (denom.exponent - 1) if denom.exponent > 0 else 1
    return f"{units}{denom.base}"
