"""Each chain's watcher as the service runs it: only in the process holding the chain's lease,
restarted after errors, waiting out a halt until an operator releases it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

import aiohttp

from app.leadership import Leasing, while_leading
from storage.leases import chain_lease_name
from storage.outbox import LeaseLost
from storage.progress import fetch_progress
from storage.subscription_changes import SubscriptionChanges
from watcher.cometbft_rpc import CometBftClient
from watcher.cosmos_reader import cosmos_reader
from watcher.crawl import ChainHalted, ChainWatcher
from watcher.evm_reader import evm_reader
from watcher.newheads import NewHeadsListener
from watcher.reading import ChainReader
from watcher.rpc import RpcClient
from watcher.rpc_errors import RpcError
from watcher.status import ChainStatus
from watcher.types import ChainSpec

log = logging.getLogger(__name__)

RESTART_DELAY_S = 5.0
HALT_CHECK_S = 2.0
"""How often a halted chain's holder looks whether an operator released it."""


async def lead_chain(
    spec: ChainSpec,
    status: ChainStatus,
    wake: Callable[[], None],
    leasing: Leasing,
    changes: SubscriptionChanges | None = None,
) -> None:
    """Crawl the chain while this process holds its lease; otherwise stand by to take over
    (within the lease's TTL plus one poll)."""

    async def crawl(token: int) -> None:
        status.standby = False
        await watch_chain(spec, status, wake, token, changes)

    await while_leading(
        chain_lease_name(spec.name),
        leasing,
        crawl,
        standby_poll_s=min(spec.poll_interval_s, leasing.ttl_s / 2),
        on_standby=lambda: _stand_by(status),
        log_extra={"chain": spec.name},
    )


def _stand_by(status: ChainStatus) -> None:
    if not status.standby:
        status.standby = True
        status.healthy, status.error = True, None
        status.head = status.cursor = None


async def watch_chain(
    spec: ChainSpec,
    status: ChainStatus,
    wake: Callable[[], None],
    fence: int | None = None,
    changes: SubscriptionChanges | None = None,
) -> None:
    """One chain's watcher, restarted after unexpected errors so other chains go on; a halted
    chain waits until `blockbell resume` releases it. Raises LeaseLost when its lease is."""
    while True:
        try:
            await _watch_once(spec, status, _Wiring(wake, fence, changes))
        except ChainHalted as exc:
            log.error("%s", exc, extra={"chain": spec.name})
            await _until_released(spec.name)
            status.halted = None
            log.info("released by an operator: crawling again", extra={"chain": spec.name})
        except (LeaseLost, asyncio.CancelledError):
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


async def _until_released(chain: str) -> None:
    while True:
        await asyncio.sleep(HALT_CHECK_S)
        with suppress(Exception):  # the database is away: look again later
            progress = await fetch_progress(chain)
            if progress is not None and progress.halted_reason is None:
                return


@dataclass(frozen=True, slots=True)
class _Wiring:
    wake: Callable[[], None]
    fence: int | None
    changes: SubscriptionChanges | None


async def _watch_once(spec: ChainSpec, status: ChainStatus, wiring: _Wiring) -> None:
    def watcher(reader: ChainReader, newheads: NewHeadsListener | None = None) -> ChainWatcher:
        return ChainWatcher(
            spec,
            reader,
            status,
            newheads=newheads,
            on_commit=wiring.wake,
            fence=wiring.fence,
            changes=wiring.changes,
        )

    if spec.family == "cosmos":
        async with aiohttp.ClientSession() as session:
            client = CometBftClient(session, spec.rpc_urls, chain=spec.name)
            await watcher(cosmos_reader(spec, client)).run()
        return
    newheads = NewHeadsListener(spec.ws_url) if spec.ws_url else None
    async with RpcClient(spec.rpc_urls, chain=spec.name) as rpc:
        if newheads is not None:
            await newheads.start()
        try:
            await watcher(evm_reader(spec, rpc), newheads).run()
        finally:
            if newheads is not None:
                await newheads.close()
