"""The Telegram bot as one service role: build the Application, register commands, poll."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    JobQueue,
    MessageHandler,
    filters,
)

from bot.core.dispatch import COMMANDS, BotCore
from bot.telegram.handlers import Handlers, on_error, redact_token
from locales import translate

logger = logging.getLogger(__name__)

TelegramApp = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]

# The order of the command menu: what people do most comes first.
MENU = (
    "subscribe",
    "list",
    "history",
    "destinations",
    "webhook",
    "status",
    "language",
    "help",
    "cancel",
    "start",
)
# Telegram's language codes for the command menu, and our catalogs; "" is everyone else.
MENU_LANGUAGES = {"": "en", "ru": "ru", "es": "es", "zh": "zh_Hans"}
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def build_application(
    token: str,
    api_url: str,
    core: BotCore,
    explorers: Mapping[str, str | None] = MappingProxyType({}),
) -> TelegramApp:
    """An Application talking to `api_url` (Telegram's, or a test server) with our handlers;
    `explorers` holds each chain's explorer URL, which sample notifications link as real ones."""
    base = api_url.rstrip("/")
    application = (
        Application.builder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .build()
    )
    add_handlers(application, Handlers(core, explorers=explorers))
    return application


def add_handlers(application: TelegramApp, handlers: Handlers) -> None:
    new_messages = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler(list(COMMANDS), handlers.on_command, new_messages))
    application.add_handler(
        MessageHandler(new_messages & filters.TEXT & ~filters.COMMAND, handlers.on_text)
    )
    application.add_handler(
        MessageHandler(new_messages & filters.Document.ALL, handlers.on_document)
    )
    application.add_handler(CallbackQueryHandler(handlers.on_callback))
    application.add_error_handler(on_error)


def menu_commands(language: str) -> list[BotCommand]:
    return [BotCommand(name, translate(language, f"tg.command.{name}")) for name in MENU]


async def register_commands(bot: Bot) -> None:
    """The command menu in each language Telegram users may have set."""
    for code, language in MENU_LANGUAGES.items():
        await bot.set_my_commands(menu_commands(language), language_code=code or None)


async def start_bot(application: TelegramApp) -> None:
    """Connect, publish the command menu and start long polling in the background."""
    await application.initialize()
    await register_commands(application.bot)
    await application.start()
    updater = application.updater
    if updater is None:
        raise RuntimeError("the Telegram application was built without an updater")
    token = application.bot.token

    def log_polling_error(exc: TelegramError) -> None:
        logger.warning("polling Telegram failed: %s", redact_token(str(exc), token))

    await updater.start_polling(allowed_updates=ALLOWED_UPDATES, error_callback=log_polling_error)


async def stop_bot(application: TelegramApp) -> None:
    """Stop polling, let the handlers in progress finish, and close the connections."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
