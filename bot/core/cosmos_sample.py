"""A made-up match of a Cosmos subscription, for /list → Test: what the watcher would store
for its event, message or failed transaction (watcher/cosmos_matching.py), with the chain's
facts the notifier renders it with.

Pure. Addresses carry the chain's prefix and amounts its first denomination in base units,
so the sample reads as a real match does: `1.5 ATOM`, `cosmos1qyp…`. What the subscription's
filter asks for it holds too: `recipient == cosmos1abc…` is that recipient, `amount >=
100ATOM` at least that amount; of alternatives (`or`), the first.
"""

from __future__ import annotations

from cosmpy.crypto.address import Address

from bot.core.cosmos_filter_terms import Comparison, matching_comparisons
from bot.core.ports import CosmosChainFacts
from bot.core.replies import SampleNotification
from storage.deliveries import ChainFacts, JsonValue
from storage.subscriptions import SubscriptionRow
from watcher.cosmos_denoms import Amount, display_index, parse_coins, parse_number
from watcher.cosmos_filters import parse_cosmos_filter
from watcher.cosmos_subscriptions import FAILED_TX, MESSAGE_MARK
from watcher.errors import InvalidInput

COSMOS_FAMILY = "cosmos"
# The stake denomination of a chain whose settings name none (the SDK's default).
DEFAULT_DENOM = "stake"
# What the main messages carry (watcher/cosmos_message_fields.py); others get a signer.
_VOTE = {"proposal_id": "7", "option": "VOTE_OPTION_YES"}
# How far past its bound an ordering puts a value that does not meet it: one unit.
_STEP = {">=": 0, ">": 1, "<=": 0, "<": -1}


def cosmos_sample(row: SubscriptionRow, facts: CosmosChainFacts) -> SampleNotification:
    """The subscription's match as the notifier gets it: made-up arguments for its kind of
    event, and the chain's family, prefix and denominations."""
    chain_facts = ChainFacts(COSMOS_FAMILY, facts.bech32_prefix, facts.denoms)
    made_up = sample_args(row.event_name or "", row.address, facts)
    args = honouring_filter(made_up, row.filter_expr, facts)
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


def honouring_filter(
    args: dict[str, JsonValue], filter_expr: str, facts: CosmosChainFacts
) -> dict[str, JsonValue]:
    """`args` passing the filter's comparisons (of its first alternative): `name == value`
    sets the attribute to the value, an ordering (`amount >= 100ATOM`) moves it to its bound
    when it is not within it. The filter is read as the watcher reads it, with the chain's
    facts."""
    try:
        compiled = parse_cosmos_filter(
            filter_expr, denoms=facts.denoms_by_base, bech32_prefix=facts.bech32_prefix
        )
    except InvalidInput:
        # Stored filters were read so when saved; one that the chain's settings no longer
        # read (a denomination taken out) leaves the sample as made up.
        return args
    honoured = dict(args)
    for comparison in matching_comparisons(compiled.source):
        value = _required_value(honoured.get(comparison.name), comparison, facts)
        if value is not None:
            honoured[comparison.name] = value
    return honoured


def _required_value(
    current: JsonValue | None, comparison: Comparison, facts: CosmosChainFacts
) -> str | None:
    """The attribute's value that passes the comparison; None for `!=`, which any other
    value passes."""
    if comparison.op == "==":
        coin = _chain_coin(comparison.value, facts)
        return comparison.value if coin is None else f"{coin[1]}{coin[0]}"
    if comparison.op not in _STEP:
        return None
    number = parse_number(comparison.value)
    if number is not None:
        held = parse_number(current) if isinstance(current, str) else None
        return str(_bounded(held, comparison.op, number))
    coin = _chain_coin(comparison.value, facts) or _base_coin(comparison.value)
    if coin is None:
        return None
    base, units = coin
    return f"{max(_bounded(_held(current, base), comparison.op, units), 0)}{base}"


def _bounded(held: Amount | None, op: str, bound: Amount) -> Amount:
    target = bound + _STEP[op]
    if held is None:
        return target
    return max(held, target) if op in (">", ">=") else min(held, target)


def _chain_coin(literal: str, facts: CosmosChainFacts) -> tuple[str, int] | None:
    """(base denom, base units) of an amount in one of the chain's denominations (`1.5ATOM`,
    `1500000uatom`); the filter parser has checked it is a whole number of base units."""
    coins = parse_coins(literal)
    if not coins or len(coins) != 1:
        return None
    written, amount = coins[0]
    by_base = facts.denoms_by_base
    denom = by_base.get(written) or display_index(by_base).get(written.lower())
    if denom is None:
        return None
    exponent = 0 if written == denom.base else denom.exponent
    return denom.base, int(amount * 10**exponent)


def _base_coin(literal: str) -> tuple[str, int] | None:
    """An amount in a denomination the chain does not name (`5ibc/27394…`), which orderings
    take in base units."""
    coins = parse_coins(literal)
    if not coins or len(coins) != 1:
        return None
    denom, amount = coins[0]
    return (denom, amount) if isinstance(amount, int) else None


def _held(current: JsonValue | None, base: str) -> int | None:
    """How much of the denomination a coin-list value holds, if any."""
    coins = parse_coins(current) if isinstance(current, str) else None
    amounts = [amount for denom, amount in coins or () if denom == base]
    return int(amounts[0]) if amounts else None
