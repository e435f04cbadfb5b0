"""Work only one process may do at a time (crawl a chain, poll Telegram), done by whichever
process holds its lease; the others stand by and take it over when the holder goes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from storage.leases import HeldLease, give_up_lease, renew_lease, take_lease
from storage.outbox import LeaseLost

log = logging.getLogger(__name__)

RELEASE_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class Leasing:
    holder: str
    """This process, as lease holder (storage.leases.process_holder)."""
    ttl_s: float
    """How long a lease lasts unless renewed: a dead holder's work waits this long at most."""

    @property
    def renew_every_s(self) -> float:
        return self.ttl_s / 3


async def while_leading(
    name: str,
    leasing: Leasing,
    work: Callable[[int], Awaitable[None]],
    *,
    standby_poll_s: float,
    on_standby: Callable[[], None],
    log_extra: dict[str, Any] | None = None,
) -> None:
    """Do `work(fencing token)` while this process holds the lease `name`, standing by (trying
    every `standby_poll_s`) while another does. Returns when the work returns on its own; the
    work raises LeaseLost when it finds the lease gone."""
    while True:
        lease = await _try_to_take(name, leasing, log_extra)
        if lease is None:
            on_standby()
            await asyncio.sleep(standby_poll_s)
            continue
        log.info("holding the lease %s (token %d)", name, lease.token, extra=log_extra)
        try:
            if await _while_held(lease, leasing, work(lease.token)):
                return
        finally:
            with suppress(Exception):
                await asyncio.wait_for(give_up_lease(lease), RELEASE_TIMEOUT_S)
        log.warning("lost the lease %s; standing by", name, extra=log_extra)


async def _try_to_take(
    name: str, leasing: Leasing, log_extra: dict[str, Any] | None
) -> HeldLease | None:
    try:
        return await take_lease(name, leasing.holder, leasing.ttl_s)
    except Exception as exc:  # the database is away: stand by, try again
        log.warning("cannot reach the lease %s: %s", name, exc, extra=log_extra)
        return None


async def _while_held(lease: HeldLease, leasing: Leasing, work: Awaitable[None]) -> bool:
    """Do the work until it ends or the lease is lost; True when the work ended on its own."""
    working = asyncio.ensure_future(work)
    keeping = asyncio.ensure_future(_keep(lease, leasing))
    try:
        await asyncio.wait((working, keeping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (working, keeping):
            task.cancel()
        await asyncio.gather(working, keeping, return_exceptions=True)
    if working.cancelled():
        return False
    if isinstance(working.exception(), LeaseLost):
        return False
    working.result()  # anything else the work raised goes on up
    return True


async def _keep(lease: HeldLease, leasing: Leasing) -> None:
    """Renew the lease until it is lost; returns then. Cut off from the database, it stops in
    time: once the lease may have expired, another process may be doing the work."""
    renewed_at = time.monotonic()
    while True:
        await asyncio.sleep(leasing.renew_every_s)
        try:
            if not await renew_lease(lease, leasing.ttl_s):
                return
            renewed_at = time.monotonic()
        except Exception as exc:
            log.warning("renewing the lease %s failed: %s", lease.name, exc)
            if time.monotonic() - renewed_at >= leasing.ttl_s - leasing.renew_every_s:
                return
