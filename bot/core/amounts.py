"""Token amounts written in whole tokens ("value > 1.5") turned into exact base units."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext

from bot.core.replies import Text, text

UINT256_MAX = (1 << 256) - 1
# Compared amounts of the ERC-20 events; these are the arguments written in whole tokens.
AMOUNT_ARGUMENTS = ("value",)
_COMPARISON_RE = re.compile(
    r"(?<![\w.$])(?P<name>[A-Za-z_$][\w$]*)(?P<op>\s*(?:==|!=|<=|>=|<|>)\s*)"
    r"(?P<number>[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?)(?![\w.$])"
)


def convert_token_amounts(filter_text: str, decimals: int, symbol: str) -> tuple[str, Text | None]:
    """`filter_text` with every amount compared to an amount argument multiplied by
    10**decimals; or the message for the first amount finer than the token's decimals."""
    problems: list[Text] = []

    def scaled(found: re.Match[str]) -> str:
        if found.group("name") not in AMOUNT_ARGUMENTS:
            return found.group(0)
        number = found.group("number")
        units = _base_units(number, decimals)
        if units is None:
            problems.append(
                text("bot.error.amount_precision", value=number, decimals=decimals, symbol=symbol)
            )
            return found.group(0)
        return found.group("name") + found.group("op") + str(units)

    converted = _COMPARISON_RE.sub(scaled, filter_text)
    return converted, (problems[0] if problems else None)


def _base_units(number: str, decimals: int) -> int | None:
    """The exact integer number of base units, None when it is not a whole number of them or
    beyond uint256 (Decimal keeps every digit, unlike a float)."""
    try:
        amount = Decimal(number.replace("_", ""))
    except InvalidOperation:
        return None
    if amount.adjusted() > 100:
        return None
    with localcontext() as context:
        context.prec = 400
        units = amount.scaleb(decimals)
        if units != units.to_integral_value():
            return None
        value = int(units)
    return value if value <= UINT256_MAX else None
