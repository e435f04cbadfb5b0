"""Whatever people type or tap (or forge), the core answers with a message and never raises."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.dispatch import BotCore
from bot.core.replies import Choice, Reply
from tests.bot.core.conftest import NFT, PLAIN, USDC, Clock, person, render

TYPED = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            USDC,
            NFT,
            PLAIN,
            "mainnet",
            "Transfer",
            "value > 1.5",
            "value >= 1e18 or (",
            "[]",
            '[{"type":"event"}]',
            "Transfer(address indexed from, uint256 value)",
            "/cancel",
            f"subscribe mainnet {USDC} Transfer value > 2",
            "subscribe x y z",
        ]
    ),
)
FORGED = st.builds(
    lambda prefix, rest: f"{prefix}:{rest}"[:64],
    st.sampled_from(["w", "sub", "hist", "lang", "dest", "menu", "x"]),
    st.text(alphabet="0123456789:abcdefghijklmnopqrstuvwxyz-²٣", max_size=20),
)


def _offered(reply: Reply) -> list[str]:
    return [c.action for row in reply.choices for c in row if isinstance(c, Choice)]


PEOPLE = itertools.count(900)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_random_text_and_actions_always_get_a_rendered_answer(
    core: BotCore, data: st.DataObject
) -> None:
    # A new person each example, as the clock starts again: one person's minute of requests
    # would otherwise fill up across examples.
    me, clock = person(str(next(PEOPLE))), Clock()
    reply = await core.command(me, "subscribe", "", clock.tick())
    for _ in range(12):
        offered = _offered(reply)
        kind = data.draw(st.sampled_from(["tap", "type", "forge", "file", "command"]))
        if kind == "tap" and offered:
            reply = await core.action(me, data.draw(st.sampled_from(offered)), clock.tick())
        elif kind == "forge":
            reply = await core.action(me, data.draw(FORGED), clock.tick())
        elif kind == "file":
            content = data.draw(st.binary(max_size=200))
            reply = await core.file(me, "abi.json", len(content), content, clock.tick())
        elif kind == "command":
            name = data.draw(st.sampled_from(["start", "list", "history", "cancel", "subscribe"]))
            reply = await core.command(me, name, "", clock.tick())
        else:
            reply = await core.message(me, data.draw(TYPED), clock.tick())
        assert render(reply).strip()
