"""Denominations of a Cosmos chain: coin lists as events write them, and amounts as people
write them (`1.5 ATOM`) turned into base units (`1500000uatom`) with exact integer arithmetic.

Events write coins the way the SDK's `Coins.String()` does: `1500000uatom` or a comma-joined
list `5uatom,7ibc/27394FB…`; distribution events (`rewards`, `commission`) write decimal coins
(`12.345uatom`). Nothing here uses floats: base amounts are ints, decimal coins Decimals built
straight from their digits (exact), and display amounts are scaled by integer powers of ten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

Amount = int | Decimal

# The SDK's denom rule (x/bank `reDnmString`): a letter, then 2 to 127 of [a-zA-Z0-9/:._-].
DENOM_PATTERN = r"[A-Za-z][A-Za-z0-9/:._-]{2,127}"
# SDK amounts are 256-bit integers (78 digits); longer digit runs are garbage, not coins.
_DIGITS = r"[0-9]{1,100}"
_COIN_RE = re.compile(rf"({_DIGITS}(?:\.{_DIGITS})?)({DENOM_PATTERN})")
_NUMBER_RE = re.compile(rf"-?{_DIGITS}(?:\.{_DIGITS})?")


@dataclass(frozen=True, slots=True)
class Denom:
    """A chain's denomination: what events count in (`uatom`), what people count in (`ATOM`),
    and how many decimal places separate them (6: 1 ATOM is 1000000 uatom)."""

    base: str
    display: str
    exponent: int


NO_DENOMS: Mapping[str, Denom] = MappingProxyType({})


def parse_coins(text: str) -> tuple[tuple[str, Amount], ...] | None:
    """The (denom, amount) pairs of a coin list, in order; "" is no coins. None when the text
    is not a coin list (one bad entry spoils the list: a half-read list would mislead)."""
    if not text:
        return ()
    coins: list[tuple[str, Amount]] = []
    for entry in text.split(","):
        found = _COIN_RE.fullmatch(entry)
        if found is None:
            return None
        amount, denom = found.groups()
        coins.append((denom, Decimal(amount) if "." in amount else int(amount)))
    return tuple(coins)


def parse_number(text: str) -> Amount | None:
    """A plain decimal number (`42`, `-7`, `0.000821`) exactly, or None for anything else."""
    if _NUMBER_RE.fullmatch(text) is None:
        return None
    return Decimal(text) if "." in text else int(text)


def to_base_units(whole: str, fraction: str, exponent: int) -> int | None:
    """`whole.fraction` display units in base units (10**exponent per unit), or None when the
    fraction has more significant digits than the exponent allows (it would not be a whole
    number of base units). Both parts are strings of digits; `fraction` may be empty."""
    fraction = fraction.rstrip("0")
    if len(fraction) > exponent:
        return None
    scale: int = 10**exponent
    return int(whole) * scale + int(fraction.ljust(exponent, "0") or "0")


def format_display(whole: str, fraction: str) -> str:
    """The canonical text of a display amount: no leading zeros, no trailing fraction zeros."""
    fraction = fraction.rstrip("0")
    integer = str(int(whole))
    return f"{integer}.{fraction}" if fraction else integer


def display_index(denoms: Mapping[str, Denom]) -> dict[str, Denom]:
    """The chain's denominations by display name in lower case (`atom`): people write `ATOM`,
    `Atom` or `atom` alike; base denoms, which the SDK compares case-sensitively, are not."""
    return {denom.display.lower(): denom for denom in denoms.values()}
