"""The fake Discord's message routes: channel messages, channel webhooks, interaction answers.

These are where Discord's rules bite a bot: limits on what it sends, the answer deadline and
answered-once rule, nonce de-duplication, closed DMs, missing permissions, deleted channels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.discord_interactions import (
    COMMAND,
    DEFERRED_MESSAGE,
    DEFERRED_UPDATE,
    MESSAGE,
    UPDATE,
    InteractionRecord,
)
from tests.fakes.discord_limits import ApiError, Json, check_choices, check_edit, check_message
from tests.fakes.discord_rules import Faults
from tests.fakes.discord_state import (
    EPHEMERAL,
    LOADING,
    DiscordState,
    FakeMessage,
    Webhook,
    user_json,
)

# Discord: a repeated nonce with enforce_nonce returns the earlier message "within a few minutes".
NONCE_WINDOW_S = 300
CHAT_INPUT_COMMAND_MESSAGE = 20


@dataclass
class Call:
    """One REST request as the handlers see it: path parameters, query and JSON body."""

    method: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any

    def id(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise ApiError(404, 0, "404: Not Found")
        return int(value)


class Messaging:
    """Handlers of the message routes, sharing the fake's state, faults and interactions."""

    def __init__(self, state: DiscordState, faults: Faults, notify: Callable[[], None]) -> None:
        self.state, self.faults, self._notify = state, faults, notify
        self.interactions: dict[int, InteractionRecord] = {}
        self.interaction_deadline_s = 3.0

    async def create_channel_message(self, call: Call) -> Json:
        channel_id = call.id("channel_id")
        self._check_channel(channel_id)
        self.faults.check_send(channel_id, self._dm_user(channel_id))
        check_message(call.body)
        nonce = call.body.get("nonce")
        if nonce is not None and call.body.get("enforce_nonce"):
            earlier = self._by_nonce(str(nonce))
            if earlier is not None:
                return self.state.message_json(earlier)
        message = self._post(channel_id, call.body, self.state.bot_user)
        message.nonce = None if nonce is None else str(nonce)
        return self.state.message_json(message)

    async def edit_channel_message(self, call: Call) -> Json:
        channel_id = call.id("channel_id")
        self._check_channel(channel_id)
        message = self._message_in(channel_id, call.id("message_id"))
        if message.author["id"] != self.state.bot_user["id"]:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self.faults.check_send(channel_id, None)
        return self._edit(message, call.body)

    async def fetch_channel_message(self, call: Call) -> Json:
        channel_id = call.id("channel_id")
        self._check_channel(channel_id)
        return self.state.message_json(self._message_in(channel_id, call.id("message_id")))

    async def fetch_channel_messages(self, call: Call) -> list[Json]:
        channel_id = call.id("channel_id")
        self._check_channel(channel_id)
        visible = [m for m in self.state.channel_messages[channel_id] if not m.ephemeral]
        limit = int(call.query.get("limit", 50))
        return [self.state.message_json(m) for m in reversed(visible)][:limit]

    async def fetch_channel(self, call: Call) -> Json:
        channel_id = call.id("channel_id")
        self._check_channel(channel_id)
        return self.state.channels[channel_id]

    async def answer_interaction(self, call: Call) -> Json | None:
        record = self.interactions.get(call.id("interaction_id"))
        if record is None or record.token != call.params["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        callback_type = int(call.body.get("type", 0))
        data = call.body.get("data") or {}
        try:
            record.check_answer(callback_type, self.interaction_deadline_s)
            self._check_answer_data(callback_type, data)
        except ApiError as error:
            record.refusals.append(error)
            raise
        self._apply_answer(record, callback_type, data)
        record.callback_type = callback_type
        self._notify()
        if call.query.get("with_response") not in ("1", "true", "True"):
            return None
        return self._callback_json(record, callback_type)

    async def execute_webhook(self, call: Call) -> Json | None:
        if call.id("webhook_id") == self.state.application_id:
            return self._send_followup(self._record_by_token(call.params["token"]), call.body)
        webhook = self._channel_webhook(call)
        check_message(call.body)
        name = str(call.body.get("username") or "Blockbell")
        author = user_json(webhook.id, name, bot=True)
        message = self._post(webhook.channel_id, call.body, author, webhook_id=webhook.id)
        wait = call.query.get("wait", "false").lower() in ("1", "true")
        return self.state.message_json(message) if wait else None

    async def webhook_message(self, call: Call) -> Json | None:
        """GET, PATCH or DELETE of a message sent with a webhook's token: an interaction's
        original answer or followup, or a message a channel webhook posted (Discord's
        Webhook resource: "a previously-sent webhook message from the same token")."""
        if call.id("webhook_id") == self.state.application_id:
            record = self._record_by_token(call.params["token"])
            message = self._webhook_message(record, call.params["message_id"])
        else:
            message = self._channel_webhook_message(call)
        if call.method == "GET":
            return self.state.message_json(message)
        if call.method == "DELETE":
            self.state.channel_messages[message.channel_id].remove(message)
            self._notify()
            return None
        return self._edit(message, call.body)

    def _send_followup(self, record: InteractionRecord, body: Json) -> Json:
        record.check_followup()
        check_message(body)
        author = self.state.bot_user
        message = self._post(record.channel_id, body, author, webhook_id=self.state.application_id)
        message.interaction_id = record.id
        record.followup_ids.append(message.id)
        return self.state.message_json(message)

    def _check_answer_data(self, callback_type: int, data: Json) -> None:
        if callback_type == MESSAGE:
            check_message(data)
        elif callback_type == UPDATE:
            check_edit(data)
        elif callback_type == 8:
            check_choices(data.get("choices") or [])

    def _apply_answer(self, record: InteractionRecord, callback_type: int, data: Json) -> None:
        if callback_type in (MESSAGE, DEFERRED_MESSAGE):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            body = data if callback_type == MESSAGE else {}
            message = self._post(
                record.channel_id,
                body,
                self.state.bot_user,
                webhook_id=self.state.application_id,
                flags=flags | (LOADING if callback_type == DEFERRED_MESSAGE else 0),
            )
            message.interaction_id = record.id
            message.type = CHAT_INPUT_COMMAND_MESSAGE if record.type == COMMAND else 0
            record.original_message_id = message.id
        elif callback_type in (UPDATE, DEFERRED_UPDATE):
            record.original_message_id = record.message_id
            target = self.state.find_message(record.message_id or 0)
            if callback_type == UPDATE and target is not None:
                self._edit(target, data)
        elif callback_type == 8:
            record.choices = list(data.get("choices") or [])
        elif callback_type == 9:
            record.modal = data

    def _callback_json(self, record: InteractionRecord, callback_type: int) -> Json:
        original = self.state.find_message(record.original_message_id or 0)
        interaction: Json = {"id": str(record.id), "type": record.type}
        resource: Json = {"type": callback_type}
        if original is not None and callback_type in (MESSAGE, DEFERRED_MESSAGE, UPDATE):
            interaction |= {
                "response_message_id": str(original.id),
                "response_message_loading": original.loading,
                "response_message_ephemeral": original.ephemeral,
            }
            resource["message"] = self.state.message_json(original)
        return {"interaction": interaction, "resource": resource}

    def _post(
        self,
        channel_id: int,
        body: Json,
        author: Json,
        *,
        webhook_id: int | None = None,
        flags: int = 0,
    ) -> FakeMessage:
        message = FakeMessage(
            id=self.state.new_id(),
            channel_id=channel_id,
            author=author,
            content=str(body.get("content") or ""),
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            flags=flags or int(body.get("flags") or 0),
            webhook_id=webhook_id,
        )
        self.state.channel_messages.setdefault(channel_id, []).append(message)
        self.state.channels[channel_id]["last_message_id"] = str(message.id)
        self._notify()
        return message

    def _edit(self, message: FakeMessage, body: Json) -> Json:
        check_edit(body)
        if "content" in body:
            message.content = str(body["content"] or "")
        for key in ("embeds", "components"):
            if key in body:
                setattr(message, key, list(body[key] or []))
        message.edited = not message.loading
        message.flags &= ~LOADING
        self._notify()
        return self.state.message_json(message)

    def _webhook_message(self, record: InteractionRecord, message_ref: str) -> FakeMessage:
        record.check_followup()
        if message_ref == "@original":
            message_id = record.original_message_id
        elif message_ref.isdigit() and int(message_ref) in record.followup_ids:
            message_id = int(message_ref)
        else:
            message_id = None
        message = self.state.find_message(message_id or 0)
        if message is None:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    def _channel_webhook_message(self, call: Call) -> FakeMessage:
        """The message a channel webhook posted; only that webhook may reach it."""
        webhook = self._channel_webhook(call)
        message_ref = call.params["message_id"]
        message = self.state.find_message(int(message_ref)) if message_ref.isdigit() else None
        if message is None or message.webhook_id != webhook.id:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    def _channel_webhook(self, call: Call) -> Webhook:
        webhook = self.state.webhooks.get(call.id("webhook_id"))
        if webhook is None or webhook.token != call.params["token"]:
            raise ApiError(404, 10015, "Unknown Webhook")
        if webhook.channel_id in self.faults.deleted_channels:
            raise ApiError(404, 10015, "Unknown Webhook")
        return webhook

    def _record_by_token(self, token: str) -> InteractionRecord:
        for record in self.interactions.values():
            if record.token == token:
                return record
        raise ApiError(404, 10015, "Unknown Webhook")

    def _check_channel(self, channel_id: int) -> None:
        self.faults.check_channel(channel_id, channel_id in self.state.channels)

    def _dm_user(self, channel_id: int) -> int | None:
        users = [u for u, c in self.state.dm_channels.items() if c == channel_id]
        return users[0] if users else None

    def _message_in(self, channel_id: int, message_id: int) -> FakeMessage:
        for message in self.state.channel_messages.get(channel_id, []):
            if message.id == message_id:
                return message
        raise ApiError(404, 10008, "Unknown Message")

    def _by_nonce(self, nonce: str) -> FakeMessage | None:
        now = time.monotonic()
        for messages in self.state.channel_messages.values():
            for message in messages:
                if message.nonce == nonce and now - message.created_at < NONCE_WINDOW_S:
                    return message
        return None
