"""An interaction's user, channel and permissions become the core's Caller: in a server only
Manage Server, Manage Channels or Administrator may change a channel's subscriptions; in DMs
the user always may."""

from __future__ import annotations

import pytest

from bot.core.replies import Reply, SampleNotification, text
from bot.discord.callers import caller_of, in_users_language, language_of, user_language

GUILD, CHANNEL, USER = "81384788765712384", "81384788765712385", "80351110224678912"
SEND_MESSAGES, MANAGE_MESSAGES = 1 << 11, 1 << 13


@pytest.mark.parametrize(
    ("permissions", "may_change"),
    [
        (str(1 << 3), True),  # Administrator
        (str(1 << 4), True),  # Manage Channels
        (str(1 << 5), True),  # Manage Server
        (str(SEND_MESSAGES | MANAGE_MESSAGES | (1 << 4)), True),
        (str(SEND_MESSAGES | MANAGE_MESSAGES), False),
        ("0", False),
        ("", False),
        (None, False),
        ("not a number", False),
        ("-8", False),
        ("8" * 60, False),
        (1 << 5, True),
        (-1, False),
    ],
)
def test_in_a_server_only_managers_may_change(
    permissions: str | int | None, may_change: bool
) -> None:
    caller = caller_of(GUILD, CHANNEL, USER, permissions, "en-US")
    assert caller.may_change is may_change
    assert (caller.platform, caller.chat_kind) == ("discord", "group")
    assert (caller.user_external_id, caller.chat_external_id) == (USER, CHANNEL)


@pytest.mark.parametrize("permissions", ["0", None, str(1 << 3)])
def test_in_dms_the_user_may_change_whatever_the_permissions(permissions: str | None) -> None:
    caller = caller_of(None, CHANNEL, USER, permissions, "ru")
    assert caller.may_change is True
    assert (caller.chat_kind, caller.chat_external_id, caller.user_external_id) == (
        "private",
        CHANNEL,
        USER,
    )


def test_ids_as_numbers_are_the_same_chat_as_ids_as_strings() -> None:
    assert caller_of(int(GUILD), int(CHANNEL), int(USER), "16", None) == caller_of(
        GUILD, CHANNEL, USER, "16", None
    )


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-US", "en"),
        ("en-GB", "en"),
        ("ru", "ru"),
        ("es-ES", "es"),
        ("es-419", "es"),
        ("zh-CN", "zh_Hans"),
        ("zh-TW", "en"),
        ("pt-BR", "en"),
        (None, "en"),
    ],
)
def test_discord_locales_map_to_catalog_languages(locale: str | None, language: str) -> None:
    assert language_of(locale) == language
    assert caller_of(None, CHANNEL, USER, None, locale).language_code == locale


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-US", "en"),
        ("en-GB", "en"),
        ("ru", "ru"),
        ("es-ES", "es"),
        ("es-419", "es"),
        ("zh-CN", "zh_Hans"),
        ("zh-TW", None),
        ("de", None),
        ("pt-BR", None),
        ("", None),
        (None, None),
    ],
)
def test_only_locales_with_a_catalog_name_the_users_language(
    locale: str | None, language: str | None
) -> None:
    assert user_language(locale) == language


def test_replies_follow_the_users_language_and_test_notifications_the_chats() -> None:
    reply = Reply(text("bot.list.empty"), language="zh_Hans")
    assert in_users_language(reply, "ru").language == "ru"
    assert in_users_language(reply, "de").language == "zh_Hans"
    sample = SampleNotification(1, "mainnet", "0x" + "ab" * 20, "Transfer", {})
    posted = Reply(text("bot.sub.test", id=1), language="zh_Hans", sample=sample)
    assert in_users_language(posted, "ru").language == "zh_Hans"
