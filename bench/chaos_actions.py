"""The chaos itself: random kills of watcher and notifier processes, replacements for any that
stop on their own, and one restart of the database server."""

from __future__ import annotations

import asyncio
import random
import shlex
import sys
import time
from collections.abc import Coroutine
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.chaos_report import ChaosOptions, ChaosTally, Restart, UnexpectedExit
from bench.common import CHAIN
from storage.leases import chain_lease_name
from storage.models import Lease
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.anvil import AnvilNode
from tests.support.service import ServiceFleet, ServiceProcess

KILLED_ROLES = ("watcher", "notifier")
READY_TIMEOUT_S = 60.0
EXIT_CHECK_S = 0.5
WEBHOOKS_AGAIN_TIMEOUT_S = 120.0
LOG_TAIL_CHARS = 3000


def local_restart_command() -> tuple[str, ...]:
    """Restarts the local server's `main` cluster (Debian's layout), newest version installed."""
    root = Path("/etc/postgresql")
    versions = sorted((p.name for p in root.iterdir()), key=float) if root.is_dir() else []
    if not versions:
        raise SystemExit("no cluster under /etc/postgresql: give --restart-command")
    return ("pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart")


def say(text: str) -> None:
    """Progress on stderr, so stdout holds only the tables."""
    print(f"{datetime.now(UTC):%H:%M:%S} {text}", file=sys.stderr, flush=True)


async def set_within(event: asyncio.Event, timeout_s: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout_s)
    except TimeoutError:
        return False
    return True


async def leader_pid() -> int | None:
    """The process holding the chain's lease, as far as the database can tell right now."""
    try:
        lease = await Lease.get_or_none(name=chain_lease_name(CHAIN))
    except Exception:  # the server is restarting: nobody can tell
        return None
    return None if lease is None else int(lease.holder.split(":")[1])


class Chaos:
    """Kills processes at random, replaces those that stop on their own, restarts the database
    once; one of these at a time."""

    def __init__(self, fleet: ServiceFleet, options: ChaosOptions) -> None:
        self.tally = ChaosTally()
        self._fleet, self._options = fleet, options
        self._rng = random.Random(options.seed)
        self._busy = asyncio.Lock()
        self._began = time.monotonic()

    async def during(
        self, streaming: Coroutine[Any, Any, None], node: AnvilNode, receiver: WebhookReceiver
    ) -> None:
        """Make chaos while `streaming` runs."""
        self._began = time.monotonic()
        stop = asyncio.Event()
        chaos = [self._kill_at_random(stop), self._replace_exited(stop)]
        if self._options.restart_command is not None:
            chaos.append(self._restart_database(stop, node, receiver))
        tasks = [asyncio.create_task(c) for c in chaos]
        try:
            await streaming
        finally:
            stop.set()
            await asyncio.gather(*tasks)

    async def _kill_at_random(self, stop: asyncio.Event) -> None:
        while not await set_within(stop, self._rng.uniform(*self._options.kill_gap_s)):
            async with self._busy:
                await self._kill_one()

    async def _kill_one(self) -> None:
        fleet = self._fleet
        # Only processes that are up: one killed while it boots shows nothing of the roles.
        victims = [s for s in fleet.ready() if fleet.roles_of[s] in KILLED_ROLES]
        if not victims:
            return
        victim = self._rng.choice(victims)
        roles = fleet.roles_of[victim]
        assert victim.process is not None
        leading = roles == "watcher" and victim.process.pid == await leader_pid()
        self.tally.kills[roles] += 1
        self.tally.leader_kills += leading
        if roles == "notifier":
            self.tally.interruptions.append((datetime.now(UTC), "notifier kill"))
        await fleet.replace(victim)
        say(f"+{self._elapsed_s():.0f} s: killed a {roles}{' (the leader)' if leading else ''}")

    async def _replace_exited(self, stop: asyncio.Event) -> None:
        while not await set_within(stop, EXIT_CHECK_S):
            async with self._busy:
                for service in self._fleet.exited():
                    self._note_exit(service)
                    await self._fleet.start(self._fleet.roles_of[service])

    def _note_exit(self, service: ServiceProcess) -> None:
        assert service.process is not None
        roles, code = self._fleet.roles_of[service], service.process.returncode or 0
        self.tally.exits.append(UnexpectedExit(roles, code, service.log()[-LOG_TAIL_CHARS:]))
        say(f"+{self._elapsed_s():.0f} s: a {roles} process EXITED ON ITS OWN with {code}")

    async def _restart_database(
        self, stop: asyncio.Event, node: AnvilNode, receiver: WebhookReceiver
    ) -> None:
        command = self._options.restart_command
        if command is None or await set_within(stop, self._options.duration_s / 2):
            return
        async with self._busy:
            # Every process up and connected, so that the restart cuts them all off.
            with suppress(TimeoutError):
                await self._fleet.wait_until_ready(READY_TIMEOUT_S)
            say(f"+{self._elapsed_s():.0f} s: restarting PostgreSQL: {shlex.join(command)}")
            at, began = datetime.now(UTC), time.monotonic()
            self.tally.interruptions.append((at, "database restart"))
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
            )
            output, _ = await process.communicate()
            took_s = time.monotonic() - began
            say(f"PostgreSQL restart took {took_s:.1f} s (exit {process.returncode})")
        again_s = await first_webhook_after(node, receiver)
        self.tally.restart = Restart(
            at, took_s, process.returncode or 0, output.decode(errors="replace"), again_s
        )

    def _elapsed_s(self) -> float:
        return time.monotonic() - self._began


async def first_webhook_after(node: AnvilNode, receiver: WebhookReceiver) -> float | None:
    """Seconds until the receiver has a webhook of a block mined after now; None: not in time."""
    began, newest, seen = time.monotonic(), await node.block_number(), len(receiver.requests)
    while time.monotonic() - began < WEBHOOKS_AGAIN_TIMEOUT_S:
        for request in receiver.requests[seen:]:
            if int(orjson.loads(request.body)["block_number"]) > newest:
                return time.monotonic() - began
        seen = len(receiver.requests)
        await asyncio.sleep(0.02)
    return None
