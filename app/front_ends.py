"""What the chat front-end roles share: the core over the configured chains, and serving a bot
until cancelled while its platform is unreachable or refuses the token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack

from app.settings import Settings
from bot.chain_lookups import ChainLookups
from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import CosmosChainFacts
from watcher.lookup import ContractLookup
from watcher.rpc import RpcClient
from watcher.types import ChainSpec

log = logging.getLogger(__name__)

RECONNECT_DELAY_S = 10.0


async def core_over_chains(
    settings: Settings, specs: Sequence[ChainSpec], stack: AsyncExitStack
) -> tuple[BotCore, dict[str, str | None]]:
    """The core with a contract lookup per EVM chain (its RPC clients closed with `stack`),
    the address prefix and denominations of each Cosmos chain, and each chain's explorer URL.
    The lookup speaks EVM JSON-RPC: Cosmos chains have none, and the core knows it."""
    lookups: dict[str, ContractLookup] = {}
    cosmos: dict[str, CosmosChainFacts] = {}
    for spec in specs:
        if spec.family == "cosmos":
            cosmos[spec.name] = CosmosChainFacts(
                spec.bech32_prefix or "", spec.denoms, spec.validator_prefix or ""
            )
            continue
        rpc = await stack.enter_async_context(RpcClient(spec.rpc_urls, chain=spec.name))
        lookups[spec.name] = ContractLookup(rpc, max_block_range=spec.max_block_range)
    core = BotCore(
        CoreSettings(
            tuple(spec.name for spec in specs),
            ChainLookups(lookups),
            webhook_targets=settings.webhook_targets,
            secret_overlap_s=settings.secret_overlap_s,
            quotas=settings.quotas,
            discord_api_url=settings.discord_api_url,
            cosmos=cosmos,
        )
    )
    return core, {spec.name: spec.explorer_url for spec in specs}


async def serve_until_refused(
    serve: Callable[[], Awaitable[None]],
    *,
    refused: tuple[type[BaseException], ...],
    unreachable: tuple[type[BaseException], ...],
    platform: str,
    off_line: str,
) -> None:
    """Run `serve` until it returns or the task is cancelled. While `platform` is unreachable
    it is tried again every RECONNECT_DELAY_S; a refused token logs `off_line` and ends the
    role (the other roles go on)."""
    while True:
        was_refused = False
        try:
            await serve()
            return
        except refused:
            # The libraries' messages may quote the token: it is neither logged nor kept as the
            # exception being handled while logging (a failing log handler prints that one).
            was_refused = True
        except unreachable as exc:
            log.warning(
                "%s is unreachable (%s); retrying in %.0f s",
                platform,
                type(exc).__name__,
                RECONNECT_DELAY_S,
            )
            await asyncio.sleep(RECONNECT_DELAY_S)
        if was_refused:
            log.error("%s", off_line)
            return
