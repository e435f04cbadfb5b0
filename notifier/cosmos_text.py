"""What chat channels say about a Cosmos event before any markup: its title, its attributes
(amounts in the chain's display denominations, bech32 addresses recognized and shortened) and
which explorer page shows it.

A Cosmos match is stored like an EVM event (storage/models.py Event): `event_name` is the
event's type (`transfer`, `wasm`), a message's type URL (`/cosmos.gov.v1.MsgVote`) or
`tx.failed`; `log_index` is the event's position in its transaction, or among the block's own
events (whose transaction hash is ""), and negative for a message match (-(msg_index+1)) or a
failed transaction's (-1); `args` are the attributes (a message's fields, a failed
transaction's code and log: see watcher/cosmos_matching.py), strings or None, a repeated key
holding all its values as a list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from locales import translate
from storage.deliveries import ChainFacts, DisplayDenom, DueDelivery, DueEvent, JsonValue
from watcher.cosmos_denoms import Amount, format_display, parse_coins

COSMOS_FAMILY = "cosmos"
FAILED_TX_EVENT = "tx.failed"
MESSAGE_TYPE_MARK = "/"
# Like EVM arguments (event_text.MAX_VALUE_CHARS); keys and type names are chosen by chains
# and contracts, so they are bounded too.
MAX_ATTRIBUTE_CHARS = 300
MAX_KEY_CHARS = 100
MAX_NAME_CHARS = 200
# Coin lists read `1.5 ATOM, 7 ibc/2739…5EB2`; the values of a repeated key are set apart.
COIN_SEPARATOR = ", "
VALUE_SEPARATOR = "; "
# Keys whose coin lists are amounts whatever their denoms. Under other keys a value is read as
# coins only when it names one of the chain's denoms: a hash such as `5F3A…` parses as the
# coin `5 F3A…`.
AMOUNT_KEYS = frozenset(
    {
        "amount",
        "amounts",
        "coins",
        "commission",
        "deposit",
        "fee",
        "fees",
        "funds",
        "initial_deposit",
        "rewards",
        "token",
        "tokens",
    }
)
SHORT_DENOM_SEGMENT_CHARS = 16

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
# BIP-173: a human-readable part, the separator `1` (the data part has none), then data ending
# in a 6-character checksum: 38 characters for 20-byte accounts, 58 for 32-byte contracts.
_BECH32 = re.compile(r"([a-z0-9]{1,83})1([" + _BECH32_CHARSET + r"]{38,200})")
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


@dataclass(frozen=True, slots=True)
class Part:
    """A stretch of an attribute's value as shown: `text`; for a bech32 address, `text` is its
    short form, `address` the whole of it, and `linked` whether the chain's explorer has a page
    for it (an address of another chain, or a validator's, has none there)."""

    text: str
    address: str | None = None
    linked: bool = False


Attribute = tuple[str, tuple[Part, ...]]


def is_cosmos(d: DueDelivery) -> bool:
    return d.chain_facts.family == COSMOS_FAMILY


def is_message_match(event: DueEvent) -> bool:
    return (event.event_name or "").startswith(MESSAGE_TYPE_MARK)


def cosmos_title(d: DueDelivery) -> str:
    """The event's type (`transfer`), a message's short name (`MsgVote`) or `Failed
    transaction`."""
    name = d.event.event_name or ""
    if name == FAILED_TX_EVENT:
        return translate(d.language, "notify.failed_transaction")
    if is_message_match(d.event):
        name = name.rpartition(".")[2] or name
    return _one_line(name, MAX_NAME_CHARS) or translate(d.language, "notify.unknown_event")


def message_type(event: DueEvent) -> str | None:
    """The type URL of a message match (`/cosmos.gov.v1.MsgVote`), None for an event."""
    return _one_line(event.event_name or "", MAX_NAME_CHARS) if is_message_match(event) else None


def explorer_path(event: DueEvent) -> str:
    """The explorer's page of the event: its transaction's, or its block's for an event of the
    block itself (only Cosmos chains have those)."""
    if event.transaction_hash:
        return f"/tx/{event.transaction_hash}"
    return f"/block/{event.block_number}"


def event_index(event: DueEvent) -> int | None:
    """The event's position in its transaction (or among its block's own events); message and
    failed-transaction matches are no event and have none."""
    return event.log_index if event.log_index >= 0 else None


def message_index(event: DueEvent) -> int | None:
    """The message of the transaction that the match is or came from, when known."""
    if event.msg_index is None and is_message_match(event) and event.log_index < 0:
        return -event.log_index - 1
    return event.msg_index


def contract_part(d: DueDelivery) -> Part | None:
    """The CosmWasm contract that emitted the event, None for the chain's own modules."""
    contract = d.event.contract
    if not contract:
        return None
    return address_part(contract, d.chain_facts) or Part(_one_line(contract, MAX_KEY_CHARS))


def attributes(d: DueDelivery) -> list[Attribute]:
    """The event's attributes in stored order, each value as the parts it is shown in."""
    facts = d.chain_facts
    by_base = {denom.base: denom for denom in facts.denoms}
    return [
        (_one_line(key, MAX_KEY_CHARS), _value_parts(key, value, facts, by_base, d.language))
        for key, value in d.event.args.items()
    ]


def plain_text(parts: Sequence[Part]) -> str:
    return "".join(part.text for part in parts)


def attribute_summary(d: DueDelivery) -> list[tuple[str, str]]:
    """(key, value as plain text) of every attribute, for a digest's line."""
    return [(key, plain_text(parts)) for key, parts in attributes(d)]


def address_part(text: str, facts: ChainFacts) -> Part | None:
    """A bech32 address as `cosmos1abc…wxyz`, linked when it is one of the chain's accounts or
    contracts (its prefix is the chain's); None when `text` is no bech32 address."""
    found = _BECH32.fullmatch(text)
    if found is None or not _bech32_checksum_holds(*found.groups()):
        return None
    prefix, data = found.groups()
    linked = facts.bech32_prefix is None or prefix == facts.bech32_prefix.lower()
    return Part(f"{prefix}1{data[:3]}…{data[-4:]}", text, linked)


def coins_text(key: str, text: str, by_base: Mapping[str, DisplayDenom]) -> str | None:
    """`1500000uatom` as `1.5 ATOM`, `5uatom,7ibc/27…` as `0.000005 ATOM, 7 ibc/27…5EB2`
    (an unknown denom keeps its base amount); None when `text` is not read as coins."""
    coins = _shown_coins(key, text, by_base)
    if coins is None:
        return None
    return COIN_SEPARATOR.join(
        _coin_text(amount, denom, by_base.get(denom)) for denom, amount in coins
    )


def unnamed_denoms(d: DueDelivery) -> set[str]:
    """The denoms of the amounts `attributes` shows that the chain's facts give no display
    unit: as they stand, those amounts show in base units."""
    by_base = {denom.base: denom for denom in d.chain_facts.denoms}
    return {
        denom
        for key, value in d.event.args.items()
        for item in (value if isinstance(value, list) else [value])
        if isinstance(item, str)
        for denom, _ in _shown_coins(key, item, by_base) or ()
        if denom not in by_base
    }


def _shown_coins(
    key: str, text: str, by_base: Mapping[str, DisplayDenom]
) -> tuple[tuple[str, Amount], ...] | None:
    """The coins of a value shown as an amount: under an amount key, or naming a known denom."""
    coins = parse_coins(text)
    if not coins:
        return None
    if key.lower() not in AMOUNT_KEYS and not any(denom in by_base for denom, _ in coins):
        return None
    return coins


def _value_parts(
    key: str,
    value: JsonValue,
    facts: ChainFacts,
    by_base: Mapping[str, DisplayDenom],
    language: str,
) -> tuple[Part, ...]:
    """A value (every value of a repeated key, in order) as parts, within MAX_ATTRIBUTE_CHARS."""
    parts: list[Part] = []
    for index, item in enumerate(value if isinstance(value, list) else [value]):
        parts += [Part(VALUE_SEPARATOR)] if index else []
        parts.append(_item_part(key, item, facts, by_base, language))
    return _capped(parts)


def _item_part(
    key: str,
    value: JsonValue,
    facts: ChainFacts,
    by_base: Mapping[str, DisplayDenom],
    language: str,
) -> Part:
    """One value: an address, coins, text; a null says there is no value."""
    if value is None:
        return Part(translate(language, "notify.no_value"))
    if not isinstance(value, str):
        return Part(_one_line(orjson.dumps(value).decode(), MAX_ATTRIBUTE_CHARS))
    address = address_part(value, facts)
    if address is not None:
        return address
    coins = coins_text(key, value, by_base)
    return Part(coins if coins is not None else _one_line(value, MAX_ATTRIBUTE_CHARS))


def _coin_text(amount: Amount, denom: str, known: DisplayDenom | None) -> str:
    """One coin, exactly: digits are moved, never divided."""
    whole, _, fraction = (str(amount) if isinstance(amount, int) else f"{amount:f}").partition(".")
    if known is None:
        return f"{_grouped(whole, fraction)} {_short_denom(denom)}"
    return f"{_grouped(*_scaled(whole, fraction, known.exponent))} {known.display}"


def _scaled(whole: str, fraction: str, exponent: int) -> tuple[str, str]:
    """The digits of whole.fraction / 10**exponent, before and after the point."""
    digits = whole + fraction
    point = len(whole) - exponent
    if point <= 0:
        return "0", "0" * -point + digits
    return digits[:point], digits[point:]


def _grouped(whole: str, fraction: str) -> str:
    """`1234.50` as `1,234.5`: thousands grouped as EVM amounts are, no trailing zeros."""
    integer, point, rest = format_display(whole, fraction).partition(".")
    return f"{int(integer):,}{point}{rest}"


def _short_denom(denom: str) -> str:
    """`ibc/27394FB0…5EB2` as `ibc/2739…5EB2`: each long segment of a path denom shortened,
    so that `factory/osmo1…/name` keeps its name."""
    return "/".join(_short_segment(segment) for segment in denom.split("/"))


def _short_segment(segment: str) -> str:
    if len(segment) <= SHORT_DENOM_SEGMENT_CHARS:
        return segment
    address = address_part(segment, ChainFacts())
    return address.text if address is not None else f"{segment[:4]}…{segment[-4:]}"


def _capped(parts: list[Part]) -> tuple[Part, ...]:
    """The parts whose text fits in MAX_ATTRIBUTE_CHARS, the last one cut and ending in …
    when they do not all fit (an address is never cut: it is left out)."""
    kept: list[Part] = []
    size = 0
    for part in parts:
        if size + len(part.text) <= MAX_ATTRIBUTE_CHARS:
            kept.append(part)
            size += len(part.text)
            continue
        room = MAX_ATTRIBUTE_CHARS - size - 1
        if part.address is None and room > 0:
            kept.append(Part(part.text[:room]))
        kept.append(Part("…"))
        break
    return tuple(kept)


def _one_line(text: str, limit: int) -> str:
    """`text` on one line, in at most `limit` characters (ending with … when cut)."""
    flat = " ".join(text.splitlines())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _bech32_checksum_holds(prefix: str, data: str) -> bool:
    """BIP-173's checksum (Cosmos addresses are bech32, not bech32m): a typo, or a word that
    merely looks like an address, is not shown as one."""
    values = [ord(c) >> 5 for c in prefix] + [0] + [ord(c) & 31 for c in prefix]
    values += [_BECH32_CHARSET.index(c) for c in data]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_BECH32_GENERATOR):
            if top >> bit & 1:
                check ^= generator
    return check == 1
