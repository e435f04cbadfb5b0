"""The composition root: builds each role from the settings and runs them in one TaskGroup."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from app.discord_role import run_discord_bot
from app.http_api import build_http_app, serve_http
from app.settings import Settings
from app.telegram_role import run_telegram_bot
from notifier.channels.discord import DiscordChannel
from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.channels.webhook import WebhookChannel
from notifier.destination_notices import DestinationNotices
from notifier.loop import ChainInfo, Notifier
from notifier.stall_notices import StallNotices
from storage.db import close_database, open_database
from watcher.cometbft_rpc import CometBftClient
from watcher.cosmos_denom_metadata import DenomMetadataLookup, RestChain
from watcher.cosmos_reader import cosmos_reader
from watcher.crawl import ChainHalted, ChainWatcher
from watcher.evm_reader import evm_reader
from watcher.health_reporter import HealthReporter
from watcher.newheads import NewHeadsListener
from watcher.rpc import RpcClient
from watcher.rpc_errors import RpcError
from watcher.status import ChainStatus
from watcher.types import ChainSpec

log = logging.getLogger(__name__)

ROLES = ("bot", "watcher", "notifier", "api")
RESTART_DELAY_S = 5.0


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
    await open_database(settings.database_url)
    telegram = _build_telegram_channel(settings)
    try:
        async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as tasks:
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
            if "watcher" in roles:
                for spec in specs:
                    tasks.create_task(watch_chain(spec, statuses[spec.name], wake), name=spec.name)
                confirmations = {spec.name: spec.confirmations for spec in specs}
                reporter = HealthReporter(statuses, confirmations)
                tasks.create_task(reporter.run(), name="health reporter")
            if "bot" in roles and settings.telegram_bot_token is not None:
                tasks.create_task(run_telegram_bot(settings, specs), name="telegram bot")
            if "bot" in roles and settings.discord_bot_token is not None:
                tasks.create_task(run_discord_bot(settings, specs), name="discord bot")
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
        allow_private=settings.webhook_allow_private,
        timeout_s=settings.webhook_timeout_s,
    )
    return Notifier(
        chains,
        channel,
        schedule_s=settings.webhook_schedule_s,
        telegram=telegram,
        discord=discord,
        denom_lookup=_build_denom_lookup(specs, session),
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


async def watch_chain(spec: ChainSpec, status: ChainStatus, wake: Callable[[], None]) -> None:
    """One chain's watcher, restarted after unexpected errors so other chains go on."""
    while True:
        try:
            await _watch_once(spec, status, wake)
        except ChainHalted as exc:
            log.error("%s", exc, extra={"chain": spec.name})
            return
        except asyncio.CancelledError:
            raise
        except (RpcError, OSError) as exc:
            status.healthy, status.error = False, str(exc)
            log.warning(
                "chain node unreachable: %s; retrying in %.0f s",
                exc,
                RESTART_DELAY_S,
                extra={"chain": spec.name},
            )
            await asyncio.sleep(RESTART_DELAY_S)
        except Exception:
            status.healthy = False
            log.exception(
                "watcher crashed; restarting in %.0f s", RESTART_DELAY_S, extra={"chain": spec.name}
            )
            await asyncio.sleep(RESTART_DELAY_S)


async def _watch_once(spec: ChainSpec, status: ChainStatus, wake: Callable[[], None]) -> None:
    if spec.family == "cosmos":
        await _watch_cosmos(spec, status, wake)
        return
    newheads = NewHeadsListener(spec.ws_url) if spec.ws_url else None
    async with RpcClient(spec.rpc_urls, chain=spec.name) as rpc:
        if newheads is not None:
            await newheads.start()
        try:
            watcher = ChainWatcher(
                spec, evm_reader(spec, rpc), status, newheads=newheads, on_commit=wake
            )
            await watcher.run()
        finally:
            if newheads is not None:
                await newheads.close()


async def _watch_cosmos(spec: ChainSpec, status: ChainStatus, wake: Callable[[], None]) -> None:
    async with aiohttp.ClientSession() as session:
        client = CometBftClient(session, spec.rpc_urls, chain=spec.name)
        watcher = ChainWatcher(spec, cosmos_reader(spec, client), status, on_commit=wake)
        await watcher.run()


def _nothing() -> None:
    """Without a notifier in this process, committed deliveries wait for another one."""


def _say_which_front_ends_are_off(settings: Settings) -> None:
    if settings.telegram_bot_token is None:
        log.info("TELEGRAM_BOT_TOKEN is not set: the Telegram bot is off")
    if settings.discord_bot_token is None:
        log.info("DISCORD_BOT_TOKEN is not set: the Discord bot is off")
