"""Every parser of what people type, paste or tap, fed hostile text by hypothesis (11,000
inputs in all): unicode, 4,096+ characters, HTML and Markdown specials, NUL, huge numbers.
None raises anything but its refusal, and every refusal renders as Telegram HTML that parses
(only <b>, <i>, <code>, every & an entity) and as Discord content within its limit."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.context import parse_id
from bot.core.cosmos_checks import checked_bech32, checked_cosmos_filter
from bot.core.replies import Reply, Text
from bot.core.wizard_checks import checked_address, checked_filter, parsed_abi_text
from bot.discord.render import render_content
from bot.discord.typed import parse_typed
from bot.discord.wording import MAX_CONTENT_CHARS
from bot.telegram.handlers import parse_command
from bot.telegram.render import MAX_MESSAGE_CHARS, render_reply
from notifier.webhook_targets import TargetRules, check_webhook_url
from tests.bot.core.cosmos_setup import HUB
from tests.support.builders import ERC20_ABI
from watcher.cosmos_denoms import parse_coins
from watcher.errors import InvalidInput
from watcher.signatures import parse_event_signature

EXAMPLES = 1000
PIECES = [
    "<b>", "</i>", "<script>", "&", "&amp;", "&#0;", "*", "_", "`", "```", "[x](y)", "~~", "||",
    "@everyone", "<@1>", "\x00", "\n", " ", "0x", "f" * 40, "9" * 80, "1e999", "-", ".", ",",
    "==", ">=", "(", ")", "and", "or", "value", "to", "Transfer(address indexed to)", "cosmos1",
    "ATOM", "uatom", "https://", "127.0.0.1", "[::1]", "@", "é", "😀", "\u202e", "\ufeff",
]  # fmt: skip
HOSTILE = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    st.builds(lambda piece, n: piece * n, st.sampled_from(PIECES), st.integers(1, 4200)),
    st.text(min_size=4096, max_size=4200, alphabet=st.sampled_from("<&>*_`0x9é\x00 ")),
)
HTML_TAG = re.compile(r"</?(?:b|i|code)>")
HTML_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+);")
TRANSFER = ERC20_ABI[0]


def renders(problem: Text) -> None:
    """The refusal as both front-ends send it."""
    reply = Reply(problem, language="en")
    html = render_reply(reply).html
    bare = HTML_ENTITY.sub("", HTML_TAG.sub("", html))
    assert "<" not in bare and ">" not in bare and "&" not in bare, html[:300]
    assert len(HTML_TAG.sub("", html)) <= MAX_MESSAGE_CHARS
    assert 0 < len(render_content(reply)) <= MAX_CONTENT_CHARS


def checked(check: Callable[[str], tuple[Any, Text | None]]) -> Callable[[str], None]:
    def run(typed: str) -> None:
        value, problem = check(typed)
        assert (value is None) == (problem is not None)
        if problem is not None:
            renders(problem)

    return run


def refused_as_input(parse: Callable[[str], Any]) -> Callable[[str], None]:
    def run(typed: str) -> None:
        with contextlib.suppress(InvalidInput):
            parse(typed)

    return run


PARSERS: dict[str, Callable[[str], None]] = {
    "EVM address": checked(checked_address),
    "bech32 address": checked(lambda t: checked_bech32(t, "cosmoshub", HUB, "account")),
    "ABI JSON or signature": checked(parsed_abi_text),
    "event signature": refused_as_input(parse_event_signature),
    "EVM filter": checked(lambda t: checked_filter(t, [TRANSFER], "erc20", 6, "USDC")),
    "Cosmos filter and amounts": checked(lambda t: checked_cosmos_filter(t, HUB)),
    "webhook URL": lambda t: check_webhook_url(t, TargetRules()) and None,
    "coins": lambda t: parse_coins(t) and None,
    "Telegram command": lambda t: parse_command(t) and parse_id(t) and None,
    "Discord custom id": lambda t: parse_typed(t) and None,
    "id in callback data": lambda t: parse_id(t) and None,
}


@pytest.mark.parametrize("parser", sorted(PARSERS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(typed=HOSTILE)
def test_hostile_input_is_refused_or_taken_never_raised(parser: str, typed: str) -> None:
    PARSERS[parser](typed)
