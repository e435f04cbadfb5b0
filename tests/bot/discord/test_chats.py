"""The chat a component acts for travels in its custom id, and only a well-formed one."""

from __future__ import annotations

import pytest

from bot.discord.chats import components_chat, split_chat, with_chat
from bot.discord.commands import DM, HERE

CHANNEL, OTHER = 1_200_000_000_000_000_011, "1200000000000000012"


@pytest.mark.parametrize("chat", [DM, OTHER, "9" * 20])
def test_a_chat_written_into_a_custom_id_reads_back(chat: str) -> None:
    custom_id = with_chat("w:run1:done", chat)
    assert custom_id.startswith("@") and split_chat(custom_id) == (chat, "w:run1:done")
    longest_action = "sub:mute:" + "9" * 55
    assert len(with_chat(longest_action, chat)) <= 100  # Discord's limit of custom ids


@pytest.mark.parametrize("chat", [HERE, "", "0", "abc", "1" * 21, "-5", "12|x"])
def test_here_or_anything_else_adds_nothing(chat: str) -> None:
    assert with_chat("menu:list", chat) == "menu:list"


@pytest.mark.parametrize(
    "custom_id", ["menu:list", "@abc|menu:list", "@|menu:list", "@dm:menu", "@01|x", "dm|x"]
)
def test_a_custom_id_without_a_well_formed_chat_acts_here(custom_id: str) -> None:
    assert split_chat(custom_id) == (HERE, custom_id)


def test_components_name_the_chat_only_when_it_is_not_where_they_are_shown() -> None:
    assert components_chat(OTHER, True, CHANNEL) == OTHER
    assert components_chat(DM, True, CHANNEL) == DM
    assert components_chat(str(CHANNEL), True, CHANNEL) == HERE
    assert components_chat(HERE, True, CHANNEL) == HERE
    assert components_chat(DM, False, CHANNEL) == HERE  # a DM: DM is where they are
