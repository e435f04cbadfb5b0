"""The composition root: builds each role from the settings and runs them in one TaskGroup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import aiohttp

from app.chain_watching import lead_chain
from app.discord_role import run_discord_bot
from app.http_api import build_http_app, serve_http
from app.leadership import Leasing, while_leading
from app.secret_keys import use_configured_secret_keys
from app.settings import Settings
from app.telegram_role import run_telegram_bot
from notifier.channels.discord import DiscordChannel
from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.channels.webhook import WebhookChannel
from notifier.destination_notices import DestinationNotices
from notifier.loop import ChainInfo, Notifier
from notifier.stall_notices import StallNotices
from storage.db import close_database, open_database
from storage.leases import process_holder
from storage.subscription_changes import SubscriptionChanges
from storage.users import seal_plain_secrets
from watcher.cosmos_denom_metadata import DenomMetadataLookup, RestChain
from watcher.health_reporter import HealthReporter
from watcher.status import ChainStatus
from watcher.types import ChainSpec

log = logging.getLogger(__name__)

ROLES = ("bot", "watcher", "notifier", "api")


def health_report(statuses: dict[str, ChainStatus]) -> dict[str, Any]:
    chains = {name: status.as_dict() for name, status in statuses.items()}
    healthy = all(chain["healthy"] for chain in chains.values())
    return {"status": "ok" if healthy else "degraded", "chains": chains}


async def run_service(settings: Settings, roles: set[str]) -> None:
    """Run the chosen roles until cancelled (Ctrl-C / SIGTERM)."""
    specs = settings.chain_specs()
    statuses = {
        spec.name: ChainStatus(spec.name, quiet_after_s=spec.quiet_after_s) for spec in specs
    }
    _say_which_front_ends_are_off(settings)
    use_configured_secret_keys(settings)
    await open_database(settings.database_url)
    sealed = await seal_plain_secrets()
    if sealed:
        log.info("sealed %d webhook secrets stored before sealing existed", sealed)
    telegram = _build_telegram_channel(settings)
    try:
        # The stack closes what the roles opened after the TaskGroup has ended their tasks.
        async with (
            aiohttp.ClientSession() as session,
            contextlib.AsyncExitStack() as stack,
            asyncio.TaskGroup() as tasks,
        ):
            discord = _build_discord_channel(settings, session)
            notifier = _build_notifier(settings, specs, session, telegram, discord)
            wake = notifier.wake if "notifier" in roles else _nothing
            if "notifier" in roles:
                tasks.create_task(notifier.run(), name="notifier")
                notices = DestinationNotices(telegram, discord)
                tasks.create_task(notices.run(), name="destination notices")
            if "notifier" in roles:
                quiet_after_s = {s.name: s.quiet_after_s for s in specs if s.quiet_after_s}
                stalls = StallNotices(
                    telegram,
                    discord,
                    stall_after_s=settings.stall_after_s,
                    quiet_after_s=quiet_after_s,
                )
                tasks.create_task(stalls.run(), name="stall notices")
            leasing = Leasing(process_holder(), settings.lease_ttl_s)
            if "watcher" in roles:
                changes = await stack.enter_async_context(
                    SubscriptionChanges(settings.database_url)
                )
                for spec in specs:
                    crawl = lead_chain(spec, statuses[spec.name], wake, leasing, changes)
                    tasks.create_task(crawl, name=spec.name)
                confirmations = {spec.name: spec.confirmations for spec in specs}
                reporter = HealthReporter(statuses, confirmations)
                tasks.create_task(reporter.run(), name="health reporter")
            if "bot" in roles and settings.telegram_bot_token is not None:
                telegram_bot = partial(run_telegram_bot, settings, specs)
                bot = _one_process_at_a_time("bot:telegram", leasing, telegram_bot, "Telegram")
                tasks.create_task(bot, name="telegram bot")
            if "bot" in roles and settings.discord_bot_token is not None:
                discord_bot = partial(run_discord_bot, settings, specs)
                bot = _one_process_at_a_time("bot:discord", leasing, discord_bot, "Discord")
                tasks.create_task(bot, name="discord bot")
            if "api" in roles:
                app = build_http_app(lambda: health_report(statuses))
                tasks.create_task(serve_http(app, settings.http_addr), name="api")
            log.info(
                "running roles: %s; chains: %s",
                ",".join(sorted(roles)),
                ",".join(s.name for s in specs) or "none",
            )
    finally:
        if telegram is not None:
            await telegram.close()
        await close_database()


def _build_telegram_channel(settings: Settings) -> TelegramChannel | None:
    """Telegram deliveries are sent only when the bot's token is set."""
    if settings.telegram_bot_token is None:
        return None
    token = settings.telegram_bot_token.get_secret_value()
    return TelegramChannel(build_bot(token, settings.telegram_api_url))


def _build_notifier(
    settings: Settings,
    specs: list[ChainSpec],
    session: aiohttp.ClientSession,
    telegram: TelegramChannel | None,
    discord: DiscordChannel,
) -> Notifier:
    chains = {
        spec.name: ChainInfo(
            spec.chain_id,
            spec.explorer_url,
            family=spec.family,
            denoms=spec.denoms,
            bech32_prefix=spec.bech32_prefix,
        )
        for spec in specs
    }
    channel = WebhookChannel(
        session,
        targets=settings.webhook_targets,
        timeout_s=settings.webhook_timeout_s,
    )
    return Notifier(
        chains,
        channel,
        schedule_s=settings.webhook_schedule_s,
        telegram=telegram,
        discord=discord,
        denom_lookup=_build_denom_lookup(specs, session),
        lease_s=settings.claim_lease_s,
    )


def _build_denom_lookup(
    specs: list[ChainSpec], session: aiohttp.ClientSession
) -> DenomMetadataLookup | None:
    """Amounts in denoms the settings do not name read in the units of the chain's own
    metadata on Cosmos chains with a REST URL; elsewhere they stay in base units."""
    rest_chains = {
        spec.name: RestChain(spec.rest_url, spec.denoms)
        for spec in specs
        if spec.family == "cosmos" and spec.rest_url
    }
    return DenomMetadataLookup(session, rest_chains) if rest_chains else None


def _build_discord_channel(settings: Settings, session: aiohttp.ClientSession) -> DiscordChannel:
    """Always built: pasted channel webhooks need no bot; channels and DMs need its token."""
    token = settings.discord_bot_token
    secret = token.get_secret_value() if token is not None else None
    return DiscordChannel(session, secret, settings.discord_api_url)


async def _one_process_at_a_time(
    name: str, leasing: Leasing, serve: Callable[[], Awaitable[None]], platform: str
) -> None:
    """A bot in one process only: Telegram refuses a second long poll, and a second Discord
    gateway session would answer every interaction twice. The others stand by."""
    told = False

    def stand_by() -> None:
        nonlocal told
        if not told:
            log.info("the %s bot runs in another process; this one stands by", platform)
            told = True

    await while_leading(
        name,
        leasing,
        lambda _token: serve(),
        standby_poll_s=leasing.ttl_s / 2,
        on_standby=stand_by,
    )


def _nothing() -> None:
    """Without a notifier in this process, committed deliveries wait for another one."""


def _say_which_front_ends_are_off(settings: Settings) -> None:
    if settings.telegram_bot_token is None:
        log.info("TELEGRAM_BOT_TOKEN is not set: the Telegram bot is off")
    if settings.discord_bot_token is None:
        log.info("DISCORD_BOT_TOKEN is not set: the Discord bot is off")
