"""Reading a Cosmos subscription's event name: an event type exactly, or a prefix ending in `*`."""

from __future__ import annotations

import pytest

from watcher.cosmos_subscriptions import parse_event_type
from watcher.errors import InvalidInput


@pytest.mark.parametrize(
    ("name", "expected"),
    [("transfer", ("transfer", False)), ("wasm-*", ("wasm-", True)), ("*", ("", True)),
     (None, ("", True))],
)  # fmt: skip
def test_event_type_patterns(name: str | None, expected: tuple[str, bool]) -> None:
    pattern = parse_event_type(name)

    assert (pattern.text, pattern.prefix) == expected


@pytest.mark.parametrize("name", ["", " ", "w*sm", "**", "wasm-**"])
def test_event_type_patterns_with_a_misplaced_star_or_no_name_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_event_type(name)

    assert caught.value.key == "subscription.bad_event_type"
