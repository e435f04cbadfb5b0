"""Sends notifications to Telegram chats and turns the Bot API's answers into outcomes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from notifier.policy import Decision, Outcome, decide
from notifier.refusals import RefusalMemory
from notifier.telegram_limits import TelegramLimits
from notifier.telegram_render import Button, TelegramMessage, TelegramSend, plan_sends
from storage.deliveries import DueDelivery, save_destination_target

DEFAULT_API_URL = "https://api.telegram.org"
HTTP_BAD_REQUEST = 400
HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403
HTTP_TOO_MANY_REQUESTS = 429
# While Telegram's pause is longer than this, deliveries are rescheduled instead of waiting, so
# that none waits out its lease and gets claimed (and sent) a second time by another notifier.
MAX_PAUSE_WAIT_S = 20.0
ERROR_EXCERPT_CHARS = 200
# Telegram's answers to an edit of a message that was deleted or is too old to edit.
EDIT_IMPOSSIBLE = ("message to edit not found", "message can't be edited")


def build_bot(token: str, api_url: str = DEFAULT_API_URL, *, pool_size: int = 64) -> Bot:
    """A Bot that calls `{api_url}/bot{token}/{method}`; its URLs hold the token: never log them."""
    base = api_url.rstrip("/")
    # One request object for all methods: the notifier never polls for updates, and close()
    # then releases every connection the bot opened.
    request = HTTPXRequest(connection_pool_size=pool_size)
    return Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=request,
        get_updates_request=request,
    )


def decide_telegram(
    outcome: Outcome,
    attempts_made: int,
    now: datetime,
    schedule_s: Sequence[float],
    jitter: float,
) -> Decision:
    """The retry policy, plus Telegram's meanings: 403 stops the chat, 401 is the operator's.

    A refused token says nothing about the delivery, so it is retried on the usual schedule.
    """
    if outcome.status == HTTP_FORBIDDEN:
        return Decision("dead", None, outcome.error or "Telegram answered 403 Forbidden")
    if outcome.status == HTTP_UNAUTHORIZED:
        return decide(replace(outcome, status=None), attempts_made, now, schedule_s, jitter)
    return decide(outcome, attempts_made, now, schedule_s, jitter)


class TelegramChannel:
    """Sends one message per call; a Bot API answer of any kind is an outcome, not an error."""

    def __init__(
        self,
        bot: Bot,
        *,
        limits: TelegramLimits | None = None,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._limits = limits or TelegramLimits()
        self.timeout_s = timeout_s
        # A chat that answered 403 is not written to again for a while: other deliveries to it
        # claimed in the same round would only get the same answer.
        self._forbidden = RefusalMemory[str](clock=clock)

    async def close(self) -> None:
        """Release the bot's connections (the bot is never initialized: getMe is not needed)."""
        await self._bot.request.shutdown()

    def plan(
        self, due: Sequence[DueDelivery], explorers: Mapping[str, str | None]
    ) -> list[TelegramSend]:
        """The messages that carry these deliveries (digests for busy chats), token amounts in
        whole tokens where the subscribed contract's symbol and decimals are known."""
        return plan_sends(due, explorers)

    async def send(self, send: TelegramSend) -> Outcome:
        """Send within Telegram's limits; a migrated group gets it once more at its new id."""
        chat_id = send.destination.target
        paused_s = self._limits.paused_for_s()
        if paused_s > MAX_PAUSE_WAIT_S:
            return Outcome(HTTP_TOO_MANY_REQUESTS, "sends to Telegram are paused", paused_s, 0.0)
        if send.edit_ref is not None:
            outcome = await self._edit(chat_id, send.edit_ref, send.message)
            if outcome is not None or not send.new_if_gone:
                return outcome or Outcome(200, None, None, 0.0)
        outcome, new_chat_id = await self._send_to(chat_id, send.message)
        if new_chat_id is None:
            return outcome
        await save_destination_target(send.destination.id, chat_id, new_chat_id)
        outcome, moved_again = await self._send_to(new_chat_id, send.message)
        if moved_again is not None:
            return Outcome(HTTP_BAD_REQUEST, "the group migrated twice in a row", None, 0.0)
        return outcome

    async def _edit(
        self, chat_id: str, message_id: str, message: TelegramMessage
    ) -> Outcome | None:
        """Rewrite a message sent earlier; None when it is gone or can no longer be edited."""
        await self._limits.acquire(chat_id)
        started = time.perf_counter()
        try:
            await self._bot.edit_message_text(
                message.html,
                chat_id=_chat(chat_id),
                message_id=int(message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(message.buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                **self._timeouts(),
            )
        except BadRequest as exc:
            if "not modified" in exc.message:
                return Outcome(200, None, None, _ms(started), message_id)
            if any(reason in exc.message for reason in EDIT_IMPOSSIBLE):
                return None
            return self._outcome_of_error(chat_id, exc, _ms(started))
        except TelegramError as exc:
            return self._outcome_of_error(chat_id, exc, _ms(started))
        return Outcome(200, None, None, _ms(started), message_id)

    async def send_notice(self, chat_id: str, html: str) -> Outcome:
        """Send a message of the service itself (not of an event) within the same limits."""
        outcome, _ = await self._send_to(chat_id, TelegramMessage(html))
        return outcome

    async def _send_to(self, chat_id: str, message: TelegramMessage) -> tuple[Outcome, str | None]:
        """The outcome of one send, and the chat's new id when Telegram says it moved."""
        # Checked after waiting for the chat's turn: an earlier send to it may just have been
        # refused.
        await self._limits.acquire(chat_id)
        refusal = self._forbidden.recall(chat_id)
        if refusal is not None:
            return refusal, None
        started = time.perf_counter()
        try:
            sent = await self._bot.send_message(
                _chat(chat_id),
                message.html,
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(message.buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                **self._timeouts(),
            )
        except ChatMigrated as exc:
            return Outcome(HTTP_BAD_REQUEST, str(exc), None, _ms(started)), str(exc.new_chat_id)
        except TelegramError as exc:
            return self._outcome_of_error(chat_id, exc, _ms(started)), None
        return Outcome(200, None, None, _ms(started), str(sent.message_id)), None

    def _timeouts(self) -> dict[str, Any]:
        return {
            "read_timeout": self.timeout_s,
            "write_timeout": self.timeout_s,
            "connect_timeout": self.timeout_s,
            "pool_timeout": self.timeout_s,
        }

    def _outcome_of_error(self, chat_id: str, exc: TelegramError, latency_ms: float) -> Outcome:
        # BadRequest and TimedOut are NetworkErrors too, so they are told apart first.
        if isinstance(exc, RetryAfter):
            retry_after_s = _seconds(exc)
            self._limits.pause(retry_after_s)
            error = f"Telegram flood control: retry after {retry_after_s:g} s"
            return Outcome(HTTP_TOO_MANY_REQUESTS, error, retry_after_s, latency_ms)
        if isinstance(exc, Forbidden):
            outcome = Outcome(HTTP_FORBIDDEN, f"Forbidden: {self._excerpt(exc)}", None, latency_ms)
            self._forbidden.remember(chat_id, outcome)
            return outcome
        if isinstance(exc, InvalidToken):
            return Outcome(HTTP_UNAUTHORIZED, "Telegram refused the bot token", None, latency_ms)
        if isinstance(exc, BadRequest):
            return Outcome(HTTP_BAD_REQUEST, self._excerpt(exc), None, latency_ms)
        if isinstance(exc, TimedOut):
            error = f"no answer from Telegram within {self.timeout_s:g} s"
            return Outcome(None, error, None, latency_ms)
        if isinstance(exc, NetworkError):
            return Outcome(None, f"network error: {self._excerpt(exc)}", None, latency_ms)
        return Outcome(None, f"{type(exc).__name__}: {self._excerpt(exc)}", None, latency_ms)

    def _excerpt(self, exc: TelegramError) -> str:
        """The error's text without the bot token, which HTTP errors may quote in a URL."""
        text = exc.message.replace(self._bot.token, "<token>")
        return text[:ERROR_EXCERPT_CHARS]


def _chat(chat_id: str) -> int | str:
    """Numeric chat ids as numbers, @channel names as they are."""
    return int(chat_id) if chat_id.lstrip("-").isdecimal() else chat_id


def _keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    row = [InlineKeyboardButton(b.text, callback_data=b.callback_data, url=b.url) for b in buttons]
    return InlineKeyboardMarkup([row])


def _seconds(exc: RetryAfter) -> float:
    retry_after = exc.retry_after
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
