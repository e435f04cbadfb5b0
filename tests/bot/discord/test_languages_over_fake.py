"""Each member is answered in their own Discord language when there is a catalog for it;
other locales, and the notifications, get the language set for the channel with /language.
Over the real client, core and database on the fake Discord."""

from __future__ import annotations

from bot.discord.app import BlockbellClient
from locales import translate
from tests.bot.core.conftest import USDC
from tests.bot.discord.conftest import CHANNEL, answer, custom_ids
from tests.fakes.discord_api import FakeDiscord
from tests.support.discord_guild import ADMIN, MEMBER

CHINESE = "zh_Hans"


def first_line(language: str, key: str) -> str:
    return translate(language, key).split("\n", 1)[0]


async def test_members_are_answered_in_their_discord_language_and_others_in_the_channels(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    changed = await answer(
        fake, await fake.slash(ADMIN, "language", {"language": CHINESE}, channel_id=CHANNEL)
    )
    chinese = translate(CHINESE, "language.name")
    assert changed.content == translate("en", "dc.language.changed", language=chinese)

    for user, locale, language in (
        (MEMBER, "ru", "ru"),
        (ADMIN, "es-ES", "es"),
        (MEMBER, "de", CHINESE),  # no German catalog: the channel's language
        (ADMIN, "zh-TW", CHINESE),  # nor a traditional Chinese one
    ):
        listed = await fake.slash(user, "list", channel_id=CHANNEL, locale=locale)
        assert (await answer(fake, listed)).content == translate(language, "bot.list.empty")
        helped = await fake.slash(user, "help", channel_id=CHANNEL, locale=locale)
        shown = await answer(fake, helped)
        assert shown.content.startswith(first_line(language, "dc.help.text")), locale


async def test_a_test_notification_keeps_the_channels_language_for_all_to_read(
    bot: BlockbellClient, fake: FakeDiscord
) -> None:
    await answer(fake, await fake.slash(ADMIN, "language", {"language": "es"}, channel_id=CHANNEL))
    transfer: dict[str, object] = {"chain": "mainnet", "address": USDC, "event": "Transfer"}
    await answer(fake, await fake.slash(ADMIN, "subscribe", transfer, channel_id=CHANNEL))
    listed = await answer(fake, await fake.slash(ADMIN, "list", channel_id=CHANNEL, locale="ru"))
    assert listed.content.startswith(translate("ru", "bot.list.title", count=1))
    opened_id = next(i for i in custom_ids(listed) if i.startswith("sub:show:"))
    opened = await answer(fake, await fake.press(ADMIN, listed.id, opened_id, locale="ru"))
    test_id = next(i for i in custom_ids(opened) if i.startswith("sub:test:"))

    posted = await answer(fake, await fake.press(ADMIN, opened.id, test_id, locale="ru"))
    assert not posted.ephemeral
    assert posted.content == translate("es", "bot.sub.test", id=1)
