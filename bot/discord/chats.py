"""The chat a component acts for, carried in its custom id.

Pure. `/subscribe dm:True` and `/subscribe channel:#other` answer in the current channel
for another chat: the user's DMs or another channel. The components of that answer carry
the chat in front of their custom id (`@dm|w:…`, `@<channel id>|w:…`) so a press acts for
it, and the bot keeps nothing in memory to know it. A prefix is only a claim: a press for
another channel is answered with the presser's rights in that channel (bot/discord/
interaction_callers.py), and `@dm` is always the presser's own DMs.
"""

from __future__ import annotations

import re

from bot.discord.commands import DM, HERE

# A snowflake has at most 20 digits: with the core's actions (at most 64 characters) and
# the selects' ids, a prefixed custom id stays within Discord's 100 characters.
_CHAT = re.compile(r"^(?:dm|[1-9][0-9]{0,19})$")
_PREFIX = re.compile(r"^@(dm|[1-9][0-9]{0,19})\|")


def components_chat(chat: str, in_guild: bool, channel_id: int | None) -> str:
    """The chat to write into the components of a reply made for `chat` (HERE, DM or a
    channel's id): HERE when that is where they are shown, as in a DM or for the channel
    the reply is in."""
    if not in_guild or chat == HERE or chat == str(channel_id):
        return HERE
    return chat


def with_chat(custom_id: str, chat: str) -> str:
    """The custom id acting for `chat`; HERE (or anything that is not a chat) adds nothing."""
    if chat == HERE or not _CHAT.match(chat):
        return custom_id
    return f"@{chat}|{custom_id}"


def split_chat(custom_id: str) -> tuple[str, str]:
    """The chat a custom id acts for (HERE, DM or a channel's id) and the id without it."""
    match = _PREFIX.match(custom_id)
    if match is None:
        return HERE, custom_id
    chat = match.group(1)
    return (DM if chat == "dm" else chat), custom_id[match.end() :]
