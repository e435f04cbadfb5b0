"""The fake Telegram Bot API answers python-telegram-bot's real Bot as Telegram does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
)

from tests.fakes.telegram_api import FakeTelegram
from tests.support.secret_watch import secret

TOKEN = secret("123456:TEST-token")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram.start(TOKEN)
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot") as b:
        yield b


async def test_bot_initializes_and_knows_itself(bot: Bot) -> None:
    assert bot.username == "blockbell_test_bot"
    assert bot.id == 123456


async def test_unknown_token_is_refused_as_unauthorized(fake: FakeTelegram) -> None:
    stranger = Bot("999:WRONG", base_url=f"{fake.url}/bot")
    with pytest.raises(InvalidToken):
        await stranger.get_me()


async def test_sent_html_message_is_kept_as_the_user_sees_it_and_edits_apply(
    fake: FakeTelegram, bot: Bot
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Mute", callback_data="mute:1")]])
    sent = await bot.send_message(
        42, "<b>Hi</b> &amp; bye", parse_mode=ParseMode.HTML, reply_markup=markup
    )
    assert (sent.message_id, sent.chat.id, sent.chat.type, sent.text) == (
        1,
        42,
        "private",
        "Hi & bye",
    )
    await bot.edit_message_text("<i>edited</i>", chat_id=42, message_id=1, parse_mode="HTML")
    [message] = fake.messages(42)
    assert (message.text, message.html, message.edited) == ("edited", "<i>edited</i>", True)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("<i>edited</i>", chat_id=42, message_id=1, parse_mode="HTML")


async def test_bad_html_and_long_messages_are_bad_requests(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(42, "<div>x</div>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(42, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(42, "😀" * 2049)  # 4,098 UTF-16 units
    for unescaped in ("fees & gas", "1 < 2", "<b>a</b> &nbsp;"):
        with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
            await bot.send_message(42, unescaped, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(42, "<b> </b>", parse_mode=ParseMode.HTML)


@pytest.mark.parametrize(
    "button",
    [
        InlineKeyboardButton("Mute", callback_data="é" * 33),
        InlineKeyboardButton(" ", callback_data="mute:1"),
        InlineKeyboardButton("Nothing"),
    ],
)
async def test_keyboards_telegram_refuses_are_bad_requests(
    bot: Bot, button: InlineKeyboardButton
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(42, "hi", reply_markup=InlineKeyboardMarkup([[button]]))


async def test_updates_are_long_polled_and_confirmed_by_offset(
    fake: FakeTelegram, bot: Bot
) -> None:
    assert await bot.get_updates(timeout=0) == ()
    await fake.push_message(7, "/start", language_code="ru")
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None
    assert (update.message.text, update.message.from_user.language_code) == ("/start", "ru")  # type: ignore[union-attr]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_a_second_long_poll_ends_the_pending_one_with_a_conflict(
    fake: FakeTelegram, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with Bot(TOKEN, base_url=f"{fake.url}/bot") as other:
        second = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()
    assert fake.poll_conflicts == 1


async def test_callback_presses_arrive_and_can_be_answered(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(7, "pick")
    query_id = await fake.push_callback(7, sent.message_id, "mute:3", user_id=7)
    [update] = await bot.get_updates(timeout=1)
    assert update.callback_query is not None
    assert update.callback_query.data == "mute:3"
    assert await bot.answer_callback_query(query_id, text="Muted")
    assert fake.callback_answers[query_id]["text"] == "Muted"
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query("999")


async def test_commands_are_kept_per_language_and_webhook_deleted(
    fake: FakeTelegram, bot: Bot
) -> None:
    assert await bot.delete_webhook(drop_pending_updates=True)
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
    assert fake.commands[""] == [{"command": "start", "description": "Start"}]
    assert fake.commands["ru"] == [{"command": "start", "description": "Начать"}]


async def test_files_are_found_and_downloaded(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_file("abi-1", b'[{"type":"event"}]', "documents/abi.json")
    file = await bot.get_file("abi-1")
    assert file.file_path is not None
    assert bytes(await file.download_as_bytearray()) == b'[{"type":"event"}]'
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_blocked_migrated_and_rate_limited_chats_answer_as_telegram(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.block(5)
    fake.migrate(-10, -1001234)
    fake.retry_after_once(3)
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(6, "x")
    assert limited.value.retry_after == 3
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(5, "x")
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-10, "x")
    assert migrated.value.new_chat_id == -1001234
    assert (await bot.send_message(6, "x")).chat.id == 6
    assert [s.status for s in fake.sends] == [429, 403, 400, 200]


async def test_enforced_limits_refuse_a_second_message_to_a_private_chat_within_a_second(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.enforce_limits = True
    await bot.send_message(6, "one")
    with pytest.raises(RetryAfter):
        await bot.send_message(6, "two")
    for number in range(20):
        await bot.send_message(-50, f"group {number}")
    with pytest.raises(RetryAfter):
        await bot.send_message(-50, "one too many")
    assert fake.rate_limited == 2
    assert len(fake.messages(-50)) == 20
