"""Each chain's watcher as the service runs it: only in the process holding the chain's lease,
restarted after errors, waiting out a halt until an operator releases it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import aiohttp

from storage.leases import HeldLease, chain_lease_name, give_up_lease, renew_lease, take_lease
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
RELEASE_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class Leasing:
    holder: str
    """This process, as lease holder (storage.leases.process_holder)."""
    ttl_s: float
    """How long a lease lasts unless renewed: a dead holder's chain waits this long at most."""

    @property
    def renew_every_s(self) -> float:
        return self.ttl_s / 3

    def standby_poll_s(self, spec: ChainSpec) -> float:
        """How often a standby tries to take the lease: takeover within the TTL plus this."""
        return min(spec.poll_interval_s, self.ttl_s / 2)


async def lead_chain(
    spec: ChainSpec,
    status: ChainStatus,
    wake: Callable[[], None],
    leasing: Leasing,
    changes: SubscriptionChanges | None = None,
) -> None:
    """Crawl the chain while this process holds its lease; otherwise stand by to take over."""
    name = chain_lease_name(spec.name)
    while True:
        lease = await _try_to_take(name, leasing, spec.name)
        if lease is None:
            _stand_by(status)
            await asyncio.sleep(leasing.standby_poll_s(spec))
            continue
        status.standby = False
        log.info("leading the chain (lease token %d)", lease.token, extra={"chain": spec.name})
        try:
            crawl = watch_chain(spec, status, wake, lease.token, changes)
            await _while_held(lease, leasing, crawl)
        finally:
            with suppress(Exception):
                await asyncio.wait_for(give_up_lease(lease), RELEASE_TIMEOUT_S)
        log.warning("lost the chain's lease; standing by", extra={"chain": spec.name})


async def _try_to_take(name: str, leasing: Leasing, chain: str) -> HeldLease | None:
    try:
        return await take_lease(name, leasing.holder, leasing.ttl_s)
    except Exception as exc:  # the database is away: stand by, try again
        log.warning("cannot reach the chain's lease: %s", exc, extra={"chain": chain})
        return None


def _stand_by(status: ChainStatus) -> None:
    if not status.standby:
        status.standby = True
        status.healthy, status.error = True, None
        status.head = status.cursor = None


async def _while_held(lease: HeldLease, leasing: Leasing, crawl: Coroutine[Any, Any, None]) -> None:
    """Run the crawl until the lease is lost (or the crawl itself finds it lost)."""
    tasks = (asyncio.create_task(crawl), asyncio.create_task(_keep(lease, leasing)))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _keep(lease: HeldLease, leasing: Leasing) -> None:
    """Renew the lease until it is lost; returns then. Cut off from the database, it stops in
    time: once the lease may have expired, another process may be crawling."""
    renewed_at = time.monotonic()
    while True:
        await asyncio.sleep(leasing.renew_every_s)
        try:
            if not await renew_lease(lease, leasing.ttl_s):
                return
            renewed_at = time.monotonic()
        except Exception as exc:
            log.warning("renewing the chain's lease failed: %s", exc)
            if time.monotonic() - renewed_at >= leasing.ttl_s - leasing.renew_every_s:
                return


async def watch_chain(
    spec: ChainSpec,
    status: ChainStatus,
    wake: Callable[[], None],
    fence: int | None = None,
    changes: SubscriptionChanges | None = None,
) -> None:
    """One chain's watcher, restarted after unexpected errors so other chains go on; a halted
    chain waits until `blockbell resume` releases it. Returns when its lease is lost."""
    while True:
        try:
            await _watch_once(spec, status, _Wiring(wake, fence, changes))
        except ChainHalted as exc:
            log.error("%s", exc, extra={"chain": spec.name})
            await _until_released(spec.name)
            status.halted = None
            log.info("released by an operator: crawling again", extra={"chain": spec.name})
        except LeaseLost:
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
