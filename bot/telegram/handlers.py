"""One async function per kind of Telegram update: ask the core, show its reply."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape

from telegram import Bot, CallbackQuery, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.core.caller import Caller
from bot.core.dispatch import BotCore
from bot.core.replies import Reply
from bot.core.wizard import MAX_ABI_BYTES
from bot.telegram.callers import AdminCache, caller_of
from bot.telegram.render import Rendered, render_reply, render_sample
from locales import pick_language, translate

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# The notifier puts this button under every notification (notifier/telegram_render.py).
NOTIFICATION_MUTE = "mute:"
UNKNOWN_TEXT = "bot.unknown_text"


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_command(message_text: str) -> tuple[str, str]:
    """`/subscribe@blockbell_bot mainnet 0x… Transfer` → ("subscribe", "mainnet 0x… Transfer")."""
    head, _, argument = message_text.strip().partition(" ")
    name = head.lstrip("/").split("@", 1)[0].lower()
    return name, argument.strip()


def edits_in_place(chat_type: str, callback_data: str, reply: Reply) -> bool:
    """A private chat's reply to a tap replaces the message the button was on; in a group the
    message is shared, and a notification or a sample should stay as it was."""
    return (
        chat_type == "private"
        and not callback_data.startswith(NOTIFICATION_MUTE)
        and reply.sample is None
    )


def worth_answering(caller: Caller, reply: Reply) -> bool:
    """In a group people talk among themselves: text the core did not understand is not
    answered there."""
    return caller.chat_kind == "private" or reply.text.key != UNKNOWN_TEXT


@dataclass(frozen=True)
class Handlers:
    """The update handlers over one core; the admin cache is shared by all of them.
    `explorers` maps each chain to its explorer's URL, for sample notifications to link it as
    real ones do."""

    core: BotCore
    admins: AdminCache = field(default_factory=AdminCache)
    clock: Callable[[], datetime] = utc_now
    explorers: Mapping[str, str | None] = field(default_factory=dict)

    async def on_command(self, update: Update, context: Context) -> None:
        """A /command: its name and the rest of the message go to the core."""
        message, caller = update.message, await caller_of(update, context.bot, self.admins)
        if message is None or message.text is None or caller is None:
            return
        name, argument = parse_command(message.text)
        reply = await self.core.command(caller, name, argument, self.clock())
        await send_reply(context.bot, message.chat_id, reply, self.explorers)

    async def on_text(self, update: Update, context: Context) -> None:
        """Free text: an answer to the wizard, the one-line form, or a hint."""
        message, caller = update.message, await caller_of(update, context.bot, self.admins)
        if message is None or message.text is None or caller is None:
            return
        reply = await self.core.message(caller, message.text, self.clock())
        if worth_answering(caller, reply):
            await send_reply(context.bot, message.chat_id, reply, self.explorers)

    async def on_document(self, update: Update, context: Context) -> None:
        """A file (an ABI): downloaded only when its announced size is within the limit."""
        message, caller = update.message, await caller_of(update, context.bot, self.admins)
        if message is None or message.document is None or caller is None:
            return
        document = message.document
        size, content = document.file_size, b""
        if size is None or size <= MAX_ABI_BYTES:
            content = bytes(await (await document.get_file()).download_as_bytearray())
        name = document.file_name or "file"
        reply = await self.core.file(caller, name, size or len(content), content, self.clock())
        await send_reply(context.bot, message.chat_id, reply, self.explorers)

    async def on_callback(self, update: Update, context: Context) -> None:
        """A tap on a button: always answered, then the core's reply is shown."""
        query = update.callback_query
        if query is None:
            return
        try:
            caller = await caller_of(update, context.bot, self.admins)
            if caller is not None:
                action = query.data or ""
                reply = await self.core.action(caller, action, self.clock())
                await show_tap_reply(context.bot, query, reply, self.explorers)
        finally:
            await answer_query(query)


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, explorers: Mapping[str, str | None]
) -> None:
    """The reply as a new message, then its sample notification if it has one."""
    await _send(bot, chat_id, render_reply(reply))
    sample = reply.sample
    if sample is not None:
        explorer_url = explorers.get(sample.chain)
        await _send(bot, chat_id, render_sample(sample, reply.language, chat_id, explorer_url))


async def _send(bot: Bot, chat_id: int, rendered: Rendered) -> None:
    await bot.send_message(
        chat_id,
        rendered.html,
        parse_mode=ParseMode.HTML,
        reply_markup=rendered.keyboard,
        link_preview_options=NO_PREVIEW,
    )


async def show_tap_reply(
    bot: Bot, query: CallbackQuery, reply: Reply, explorers: Mapping[str, str | None]
) -> None:
    """Edit the tapped message into the reply where that reads naturally, else send anew."""
    message = query.message
    if not isinstance(message, Message):
        return  # too old for Telegram to show us: there is no chat to answer in
    if edits_in_place(message.chat.type, query.data or "", reply):
        rendered = render_reply(reply)
        try:
            await message.edit_text(
                rendered.html,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.keyboard,
                link_preview_options=NO_PREVIEW,
            )
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return  # the same tap twice: the message already says it
            # Too old to edit or deleted: the reply goes out as a new message.
    await send_reply(bot, message.chat_id, reply, explorers)


async def answer_query(query: CallbackQuery) -> None:
    """Stop the button's spinner; a query Telegram has forgotten needs no answer."""
    try:
        await query.answer()
    except TelegramError as exc:
        logger.info("callback query not answered: %s", type(exc).__name__)


async def on_error(update: object, context: Context) -> None:
    """Log what failed (without the token) and tell the chat, in its language, that it did."""
    logger.error("handling a Telegram update failed\n%s", describe_error(context))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    language = pick_language(user.language_code if user is not None else None)
    notice = escape(translate(language, "tg.error.generic"), quote=False)
    try:
        await context.bot.send_message(update.effective_chat.id, notice, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        logger.warning("could not tell the chat about a failure: %s", type(exc).__name__)


def describe_error(context: Context) -> str:
    """The error's traceback with the bot token taken out (the library's URLs contain it)."""
    error = context.error
    if error is None:
        return "no error given"
    text = "".join(traceback.format_exception(error))
    return redact_token(text, context.bot.token)


def redact_token(text: str, token: str) -> str:
    """The token and its secret half (after the colon) replaced wherever they appear."""
    secret = token.partition(":")[2]
    text = text.replace(token, "[redacted]")
    return text.replace(secret, "[redacted]") if secret else text
