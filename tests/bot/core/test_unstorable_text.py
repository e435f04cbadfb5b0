"""Text no database can keep (NUL, lone surrogates) gets a translated answer and changes
nothing, wherever it is typed or tapped, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.core.dispatch import BotCore
from storage.models import Subscription, WizardState
from tests.bot.core.conftest import Clock, person, render


@pytest.mark.parametrize("bad", ["\x00", "0x\x00abc", "\ud800", "Transfer\x00"])
async def test_unstorable_text_is_refused_in_the_callers_language(
    core: BotCore, clock: Clock, bad: str
) -> None:
    me = person("100", language="es")
    await core.command(me, "subscribe", "", clock.tick())
    before = [(s.step, s.data) for s in await WizardState.all()]

    replies = [
        await core.message(me, bad, clock.tick()),
        await core.command(me, "subscribe", f"anvil {bad}", clock.tick()),
        await core.command(me, "webhook", f"https://hooks.example/{bad}", clock.tick()),
        await core.action(me, f"w:1:c:{bad}", clock.tick()),
        await core.subscribe_with(me, "anvil", bad, clock.tick()),
        await core.file(me, f"abi{bad}.json", 2, b"[]", clock.tick()),
    ]

    for reply in replies:
        assert "no puede guardar" in render(reply)
    assert [(s.step, s.data) for s in await WizardState.all()] == before
    assert await Subscription.all().count() == 0
