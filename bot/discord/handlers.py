"""One async function per kind of Discord interaction: ask the core, answer as render.py says.

Discord wants a first answer to every interaction within 3 seconds. Calls that may wait
for a chain node (a one-line subscribe, a wizard step, a typed answer) are deferred first
and the answer edited in afterwards; the others are answered directly. Nothing is kept in
memory between interactions: which chat a press or a modal acts for, and which question a
modal answers, is in its custom id, so everything keeps working after a restart.

Replies speak the user's Discord language when there is a catalog for it; otherwise, and
in notifications, the chat account's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import discord

from bot.core.caller import Caller
from bot.core.dispatch import BotCore
from bot.core.replies import Reply, SampleNotification, text
from bot.core.subscribe import awaits_answer
from bot.discord.callers import PLATFORM, in_users_language, language_of, user_language
from bot.discord.chats import components_chat, split_chat
from bot.discord.commands import CoreCall, Options, plan_command
from bot.discord.interaction_callers import caller_for, data_of, locale_of
from bot.discord.render import BUTTON, actions_of, no_mentions, render_reply
from bot.discord.suggestions import suggest_subscriptions, suggest_text
from bot.discord.typed import (
    TypedRequest,
    parse_typed,
    render_modal,
    stale_action,
    submitted_text,
)
from bot.sample import sample_delivery
from locales import translate
from notifier.discord_render import DISCORD_CHANNEL_KIND, render_embed
from storage.users import fetch_account

logger = logging.getLogger(__name__)

# The notifier puts a Mute button under notifications: answering it must leave them as they are.
NOTIFICATION_MUTE = "mute:"
WIZARD = "w:"
GENERIC_ERROR = "dc.error.generic"


def utc_now() -> datetime:
    return datetime.now(UTC)


def may_be_slow(actions: Sequence[str], call: CoreCall | None = None) -> bool:
    """Whether the core may ask a chain node before answering: a subscribe with options
    (the one-line form and the wizard started with an address look the contract up) or
    a wizard step (it may look up the contract or recent events)."""
    if call is not None and call.command == "subscribe" and (call.argument or call.wizard):
        return True
    return any(action.startswith(WIZARD) for action in actions)


def edits_in_place(
    message: discord.Message | None, in_guild: bool, actions: Sequence[str], reply: Reply
) -> bool:
    """A press's reply replaces the message it was on when only the presser sees that
    message (a DM or an ephemeral reply); a shared message, a notification or a test
    notification stays as it was and the reply comes as a new message."""
    if message is None or reply.sample is not None:
        return False
    if any(action.startswith(NOTIFICATION_MUTE) for action in actions):
        return False
    return not in_guild or message.flags.ephemeral


def sample_embed(
    sample: SampleNotification, language: str, channel_id: int, explorer_url: str | None
) -> discord.Embed:
    """A made-up match as the notifier's embed of a real one in this channel, with the
    chain's explorer (`explorer_url`) as the notifier has it."""
    delivery = sample_delivery(sample, language, DISCORD_CHANNEL_KIND, str(channel_id))
    return discord.Embed.from_dict(render_embed(delivery, explorer_url))


def options_of(data: Mapping[str, object]) -> tuple[Options, str | None]:
    """The options' values by name, and the name of the focused one (autocomplete)."""
    raw = data.get("options")
    values: dict[str, str | int | bool] = {}
    focused = None
    for option in raw if isinstance(raw, list) else []:
        if not isinstance(option, dict) or not isinstance(option.get("name"), str):
            continue
        value = option.get("value")
        if isinstance(value, str | int | bool):
            values[option["name"]] = value
        if option.get("focused") is True:
            focused = option["name"]
    return values, focused


@dataclass(frozen=True)
class Handlers:
    """The interaction handlers over one core; `explorers` maps each chain to its explorer's
    URL, for test notifications to link it as real ones do."""

    core: BotCore
    clock: Callable[[], datetime] = utc_now
    explorers: Mapping[str, str | None] = field(default_factory=dict)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every interaction, whatever happens: a failure is logged and the user told."""
        try:
            if interaction.type is discord.InteractionType.application_command:
                await self.on_command(interaction)
            elif interaction.type is discord.InteractionType.autocomplete:
                await self.on_autocomplete(interaction)
            elif interaction.type is discord.InteractionType.component:
                await self.on_component(interaction)
            elif interaction.type is discord.InteractionType.modal_submit:
                await self.on_modal_submit(interaction)
        except Exception as exc:
            logger.error(
                "handling a Discord interaction failed: %s",
                type(exc).__name__,
                exc_info=True,
                extra={"interaction_type": interaction.type.name},
            )
            await tell_failure(interaction)

    async def on_command(self, interaction: discord.Interaction) -> None:
        """A slash command: its options planned into a core call, the reply shown (with
        components acting for the chat the call was about)."""
        data = data_of(interaction)
        options, _ = options_of(data)
        plan = plan_command(str(data.get("name", "")), options)
        in_guild = interaction.guild_id is not None
        if not isinstance(plan, CoreCall):
            reply = Reply(plan, language=language_of(locale_of(interaction)))
            await interaction.response.send_message(
                **render_reply(reply, in_guild).send_arguments()
            )
            return
        slow = may_be_slow((), plan)
        if slow:
            await interaction.response.defer(ephemeral=in_guild, thinking=True)
        reply = await self.ask(await caller_for(interaction, plan.chat), plan)
        chat = components_chat(plan.chat, in_guild, interaction.channel_id)
        rendered = render_reply(in_users_language(reply, locale_of(interaction)), in_guild, chat)
        if slow:
            await interaction.edit_original_response(**rendered.edit_arguments())
        else:
            await interaction.response.send_message(**rendered.send_arguments())

    async def ask(self, caller: Caller, plan: CoreCall) -> Reply:
        if plan.wizard is not None:
            given = plan.wizard
            return await self.core.subscribe_with(
                caller, given.chain, given.address, self.clock(), given.filter_text
            )
        if plan.action is not None:
            return await self.core.action(caller, plan.action, self.clock())
        return await self.core.command(caller, plan.command, plan.argument, self.clock())

    async def on_component(self, interaction: discord.Interaction) -> None:
        """A button press or a select choice: its actions go to the core in order, for the
        chat its custom id names; a typing button opens its modal instead."""
        data, message = data_of(interaction), interaction.message
        chat, inner = split_chat(str(data.get("custom_id") or ""))
        typed = parse_typed(inner) if data.get("component_type") == BUTTON else None
        if typed is not None:
            await self.open_modal(interaction, chat, typed)
            return
        actions = actions_of(data, message.components if message else [])
        if not actions:
            await interaction.response.defer()  # nothing changed, nothing to say
            return
        slow = may_be_slow(actions)
        if slow:
            await interaction.response.defer()
        caller = await caller_for(interaction, chat)
        replies = [await self.core.action(caller, action, self.clock()) for action in actions]
        # Each toggle answers with the whole list: the last one is current.
        await self.show(interaction, replies[-1], chat, slow, actions)

    async def open_modal(
        self, interaction: discord.Interaction, chat: str, typed: TypedRequest
    ) -> None:
        """The modal to type the answer in, while the wizard waits for it; else the core's
        answer to an out-of-date button."""
        caller = await caller_for(interaction, chat)
        if not await awaits_answer(caller, typed.run, typed.question.step, self.clock()):
            reply = await self.core.action(caller, stale_action(typed), self.clock())
            await self.show(interaction, reply, chat, False)
            return
        language = user_language(locale_of(interaction))
        if language is None:
            account = await fetch_account(PLATFORM, caller.chat_external_id)
            language = account.language if account else language_of(None)
        custom_id = str(data_of(interaction).get("custom_id"))
        modal = render_modal(language, custom_id, typed.question)
        # Stopped, discord.py does not keep it: on_modal_submit answers it, after a restart too.
        modal.stop()
        await interaction.response.send_modal(modal)

    async def on_modal_submit(self, interaction: discord.Interaction) -> None:
        """A typed answer: the text goes to the core as a message of the chat the modal
        was for, while the wizard still waits for it; the reply replaces the question."""
        data = data_of(interaction)
        chat, inner = split_chat(str(data.get("custom_id") or ""))
        typed = parse_typed(inner)
        if typed is None or interaction.message is None:
            # Not a modal of this bot's buttons (only those are answered by editing).
            expired = Reply(text("bot.expired"), language=language_of(locale_of(interaction)))
            in_guild = interaction.guild_id is not None
            rendered = render_reply(expired, in_guild)
            await interaction.response.send_message(**rendered.send_arguments())
            return
        await interaction.response.defer()  # the core may look the contract up
        caller, now = await caller_for(interaction, chat), self.clock()
        if await awaits_answer(caller, typed.run, typed.question.step, now):
            reply = await self.core.message(caller, submitted_text(data), now)
        else:
            reply = await self.core.action(caller, stale_action(typed), now)
        await self.show(interaction, reply, chat, True)

    async def show(
        self,
        interaction: discord.Interaction,
        reply: Reply,
        chat: str,
        deferred: bool,
        actions: Sequence[str] = (),
    ) -> None:
        """The reply to a press or a modal, in the user's language, acting for `chat`: in
        place of the message it was on when only the user sees that, else as a new one."""
        in_guild = interaction.guild_id is not None
        reply = in_users_language(reply, locale_of(interaction))
        rendered = render_reply(reply, in_guild, chat)
        if edits_in_place(interaction.message, in_guild, actions, reply):
            edit = rendered.edit_arguments()
            if deferred:
                await interaction.edit_original_response(**edit)
            else:
                await interaction.response.edit_message(**edit)
            return
        send, embeds = rendered.send_arguments(), self.sample_embeds(interaction, reply)
        if deferred:
            await interaction.followup.send(**send, embeds=embeds)
        else:
            await interaction.response.send_message(**send, embeds=embeds)

    def sample_embeds(self, interaction: discord.Interaction, reply: Reply) -> list[discord.Embed]:
        sample, channel_id = reply.sample, interaction.channel_id or 0
        if sample is None:
            return []
        explorer_url = self.explorers.get(sample.chain)
        return [sample_embed(sample, reply.language, channel_id, explorer_url)]

    async def on_autocomplete(self, interaction: discord.Interaction) -> None:
        """Suggestions for the option being typed; anything unknown gets none."""
        options, focused = options_of(data_of(interaction))
        typed = str(options.get(focused, "")) if focused else ""
        if focused == "subscription":
            subscriptions = await suggest_subscriptions(interaction.channel_id, typed)
            await interaction.response.autocomplete(subscriptions)
            return
        settings = self.core.settings
        await interaction.response.autocomplete(
            await suggest_text(settings, focused, typed, options)
        )


async def tell_failure(interaction: discord.Interaction) -> None:
    """The generic error, in the user's language, only to them; an autocomplete gets none."""
    notice = translate(language_of(locale_of(interaction)), GENERIC_ERROR)
    is_command = interaction.type is discord.InteractionType.application_command
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif interaction.response.is_done() and is_command:
            # The deferred "thinking" answer is the caller's own: the notice replaces it.
            await interaction.edit_original_response(
                content=notice, view=None, allowed_mentions=no_mentions()
            )
        elif interaction.response.is_done():
            await interaction.followup.send(notice, ephemeral=True, allowed_mentions=no_mentions())
        else:
            await interaction.response.send_message(
                notice, ephemeral=True, allowed_mentions=no_mentions()
            )
    except discord.HTTPException as exc:
        logger.warning("could not tell the user about a failure: %s", type(exc).__name__)
