"""In a group everyone may look; only the chat's admins (anonymous ones too) may change."""

from __future__ import annotations

from storage.models import Subscription
from tests.bot.core.conftest import NFT, USDC
from tests.fakes.telegram_chat import ANONYMOUS_ADMIN_ID, ChatTelegram, Person

GROUP = -500
ADMINS_ONLY = "Only the admins of this chat can change its subscriptions"


async def test_members_are_refused_changes_that_admins_may_make(telegram: ChatTelegram) -> None:
    telegram.admins[GROUP] = {11}
    admin, member = Person(telegram, GROUP, 11), Person(telegram, GROUP, 12)
    reply = await member.say(f"/subscribe mainnet {USDC} Transfer")
    assert ADMINS_ONLY in reply.text
    reply = await admin.say(f"/subscribe mainnet {USDC} Transfer")
    assert "Subscribed: 1 subscription (#1)" in reply.text

    listing = await member.say("/list")
    details = await member.tap("#1 Transfer", on=listing)
    assert [text for text, _ in details.buttons()] == ["My subscriptions"]
    reply = await member.press("sub:pause:1", details)
    assert ADMINS_ONLY in reply.text
    assert (await Subscription.get(id=1)).status == "active"
    assert listing.text == telegram.messages(GROUP)[-3].text  # the shared list stays

    details = await admin.tap("#1 Transfer", on=listing)
    reply = await admin.tap("Pause", on=details)
    assert "Subscription #1 is paused." in reply.text
    assert (await Subscription.get(id=1)).status == "paused"


async def test_the_anonymous_admin_writes_as_the_group_and_may_change(
    telegram: ChatTelegram,
) -> None:
    anonymous = Person(telegram, GROUP, ANONYMOUS_ADMIN_ID)
    reply = await anonymous.say(f"/subscribe mainnet {NFT} Transfer", as_chat=True)
    assert "Subscribed: 1 subscription (#1)" in reply.text
    # The shared user id alone, without the group as sender, proves nothing.
    reply = await anonymous.say(f"/subscribe mainnet {USDC} Transfer")
    assert ADMINS_ONLY in reply.text
    assert await Subscription.all().count() == 1


async def test_chatter_in_a_group_is_not_answered(telegram: ChatTelegram) -> None:
    member = Person(telegram, GROUP, 12)
    await member.say("/help")
    await telegram.write(GROUP, "good morning everyone", user_id=12)
    reply = await member.say("/language")
    assert reply.text == "Choose a language:"
    assert len(telegram.messages(GROUP)) == 2  # /help's answer, then /language's
