"""Arguments as chat messages show them, whatever a contract's event carries."""

from __future__ import annotations

from notifier.event_text import plain_value
from storage.deliveries import AbiParam

UINT = AbiParam("amount", "uint256")


def test_integers_are_grouped_and_other_digits_are_shown_as_text() -> None:
    assert plain_value("1234567", UINT, None) == "1,234,567"
    assert plain_value("-5", AbiParam("delta", "int8"), None) == "-5"
    assert plain_value("²", UINT, None) == "²"  # a digit to isdigit(), not to int()
