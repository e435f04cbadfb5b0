"""Leases: at most one process at a time holds each (a chain's crawler), with a fencing token.

A lease is taken when it is free or has expired, and every taking increments its token. The
holder renews it well before it expires; its writes check the token in their own transaction
(storage/outbox.py), so a holder that was paused or cut off past its expiry can no longer
write once another has taken over.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from storage.db import connection, dialect


@dataclass(frozen=True, slots=True)
class HeldLease:
    name: str
    holder: str
    token: int


def process_holder() -> str:
    """This process as a lease holder: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def chain_lease_name(chain: str) -> str:
    return f"chain:{chain}"


async def take_lease(name: str, holder: str, ttl_s: float) -> HeldLease | None:
    """The lease, when it was free or expired; None while someone else holds it."""
    d = dialect()
    p = d.placeholder
    # execute_query_dict: Tortoise's execute_query drops the rows of an INSERT on PostgreSQL.
    rows = await connection().execute_query_dict(
        f"INSERT INTO leases (name, holder, token, expires_at) VALUES "
        f"({p(1)}, {p(2)}, 1, {d.epoch_now} + {p(3)}) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "token = leases.token + 1, expires_at = excluded.expires_at "
        f"WHERE leases.expires_at < {d.epoch_now} RETURNING token",
        [name, holder, ttl_s],
    )
    return HeldLease(name, holder, int(rows[0]["token"])) if rows else None


async def renew_lease(lease: HeldLease, ttl_s: float) -> bool:
    """Extend the lease; False when it has passed to another holder since it was taken."""
    d = dialect()
    p = d.placeholder
    renewed, _ = await connection().execute_query(
        f"UPDATE leases SET expires_at = {d.epoch_now} + {p(1)} "
        f"WHERE name = {p(2)} AND holder = {p(3)} AND token = {p(4)}",
        [ttl_s, lease.name, lease.holder, lease.token],
    )
    return bool(renewed)


async def give_up_lease(lease: HeldLease) -> None:
    """Let a standby take over at once instead of after the expiry (on a clean stop)."""
    p = dialect().placeholder
    await connection().execute_query(
        f"UPDATE leases SET expires_at = 0 WHERE name = {p(1)} AND holder = {p(2)} "
        f"AND token = {p(3)}",
        [lease.name, lease.holder, lease.token],
    )
