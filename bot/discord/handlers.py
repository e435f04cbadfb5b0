"""One async function per kind of Discord interaction: ask the core, answer as render.py says.

Discord wants a first answer to every interaction within 3 seconds. Calls that may wait
for a chain node (a one-line subscribe, a wizard step) are deferred first and the answer
edited in afterwards; the others are answered directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import discord
from discord.app_commands import Choice

from bot.core.caller import Caller
from bot.core.dispatch import BotCore
from bot.core.replies import Reply, SampleNotification
from bot.discord.autocomplete import chain_choices, standard_event_choices, subscription_choices
from bot.discord.callers import PLATFORM, caller_of, language_of
from bot.discord.commands import DM, HERE, CoreCall, Options, plan_command
from bot.discord.render import actions_of, no_mentions, render_reply
from bot.sample import sample_delivery
from locales import translate
from notifier.discord_render import DISCORD_CHANNEL_KIND, render_embed
from storage.subscriptions import list_owned_subscriptions
from storage.users import fetch_account

logger = logging.getLogger(__name__)

# The notifier puts a Mute button under notifications: answering it must leave them as they are.
NOTIFICATION_MUTE = "mute:"
WIZARD = "w:"
GENERIC_ERROR = "tg.error.generic"
# Autocomplete cannot be deferred: a contract lookup gets this long, then no suggestions.
SUGGEST_LOOKUP_S = 2.0


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


def channel_permissions(data: Mapping[str, object], channel_id: str) -> str | None:
    """The user's permissions in a channel given as an option (`resolved.channels`)."""
    resolved = data.get("resolved")
    channels = resolved.get("channels") if isinstance(resolved, dict) else None
    channel = channels.get(channel_id) if isinstance(channels, dict) else None
    permissions = channel.get("permissions") if isinstance(channel, dict) else None
    return permissions if isinstance(permissions, str) else None


def data_of(interaction: discord.Interaction) -> Mapping[str, object]:
    return interaction.data if interaction.data is not None else {}


def locale_of(interaction: discord.Interaction) -> str:
    return interaction.locale.value


async def caller_for(interaction: discord.Interaction, chat: str) -> Caller:
    """The Caller for the chat a call is about: where the interaction happened, the user's
    DMs (opened from a server if needed), or a channel given as an option."""
    user, locale, guild_id = interaction.user.id, locale_of(interaction), interaction.guild_id
    channel_id = interaction.channel_id or 0
    if guild_id is None or chat == DM:
        dm_id = channel_id if guild_id is None else (await interaction.user.create_dm()).id
        return caller_of(None, dm_id, user, None, locale)
    if chat == HERE:
        return caller_of(guild_id, channel_id, user, interaction.permissions.value, locale)
    permissions = channel_permissions(data_of(interaction), chat)
    return caller_of(guild_id, chat, user, permissions, locale)


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
        except Exception as exc:
            logger.error(
                "handling a Discord interaction failed: %s",
                type(exc).__name__,
                exc_info=True,
                extra={"interaction_type": interaction.type.name},
            )
            await tell_failure(interaction)

    async def on_command(self, interaction: discord.Interaction) -> None:
        """A slash command: its options planned into a core call, the reply shown."""
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
        rendered = render_reply(reply, in_guild)
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
        """A button press or a select choice: its actions go to the core in order."""
        message = interaction.message
        actions = actions_of(data_of(interaction), message.components if message else [])
        if not actions:
            await interaction.response.defer()  # nothing changed, nothing to say
            return
        slow = may_be_slow(actions)
        if slow:
            await interaction.response.defer()
        caller = await caller_for(interaction, HERE)
        replies = [await self.core.action(caller, action, self.clock()) for action in actions]
        reply = replies[-1]  # each toggle answers with the whole list: the last one is current
        in_guild = interaction.guild_id is not None
        rendered = render_reply(reply, in_guild)
        in_place = edits_in_place(message, in_guild, actions, reply)
        if in_place:
            edit = rendered.edit_arguments()
            if slow:
                await interaction.edit_original_response(**edit)
            else:
                await interaction.response.edit_message(**edit)
            return
        send, embeds = rendered.send_arguments(), self.sample_embeds(interaction, reply)
        if slow:
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
        data = data_of(interaction)
        options, focused = options_of(data)
        typed = str(options.get(focused, "")) if focused else ""
        if focused == "subscription":
            await interaction.response.autocomplete(
                await self.suggest_subscriptions(interaction, typed)
            )
            return
        await interaction.response.autocomplete(await self.suggest_text(focused, typed, options))

    async def suggest_text(
        self, focused: str | None, typed: str, options: Options
    ) -> list[Choice[str]]:
        chains = self.core.settings.chains
        if focused == "chain":
            return chain_choices(chains, typed)
        chain, address = str(options.get("chain", "")), str(options.get("address", "")).strip()
        if focused != "event" or chain not in chains or not address:
            return []
        lookup = self.core.settings.lookup.fetch_contract_info(chain, address)
        try:
            info = await asyncio.wait_for(lookup, SUGGEST_LOOKUP_S)
        except TimeoutError:
            return []
        return standard_event_choices(info.standard if info is not None else None, typed)

    async def suggest_subscriptions(
        self, interaction: discord.Interaction, typed: str
    ) -> list[Choice[int]]:
        """The subscriptions of the chat the command is used in (never another's)."""
        account = await fetch_account(PLATFORM, str(interaction.channel_id))
        if account is None:
            return []
        return subscription_choices(await list_owned_subscriptions(account.owner_id), typed)


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
