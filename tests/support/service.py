"""Blockbell as a real process: `blockbell run` and the other CLI commands, as a user runs them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from tests.support.anvil import free_port
from tests.support.database import LOCAL_SECRET_KEY
from tests.support.secret_watch import WATCH, secret

BLOCKBELL = str(Path(sys.executable).parent / "blockbell")
# Providers put keys in RPC URLs; the service is given one so that the secret watch can tell
# that no log line shows it.
RPC_KEY = secret("the-rpc-providers-key-0123456789")


def with_key(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}apikey={RPC_KEY}"


def write_chain_config(path: Path, rpc_url: str, ws_url: str | None, **options: Any) -> Path:
    lines = [
        "[chains.anvil]",
        'family = "evm"',
        "chain_id = 31337",
        f'rpc_urls = ["{with_key(rpc_url)}"]',
        'explorer_url = "https://explorer.test"',
    ]
    if ws_url:
        lines.append(f'ws_url = "{with_key(ws_url)}"')
    lines += [f"{key} = {json.dumps(value)}" for key, value in options.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def service_env(database_url: str, config: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BLOCKBELL_")}
    env.update(
        DATABASE_URL=database_url,
        BLOCKBELL_CONFIG=str(config),
        BLOCKBELL_HTTP_ADDR=f"127.0.0.1:{free_port()}",
        BLOCKBELL_WEBHOOK_ALLOW_PRIVATE="true",
        BLOCKBELL_WEBHOOK_ALLOW_HTTP="true",
        BLOCKBELL_SECRET_KEY=LOCAL_SECRET_KEY,
        BLOCKBELL_WEBHOOK_SCHEDULE="0,0.2,0.5,1,2",
        # A killed process's chain waits for its lease to expire before a new one crawls it.
        BLOCKBELL_LEASE_TTL="1",
    )
    env.update(extra)
    return env


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        BLOCKBELL, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    return process.returncode or 0, *read_for_secrets(f"blockbell {args[0]}", out, err)


def read_for_secrets(command: str, out: bytes, err: bytes) -> tuple[str, str]:
    """A process's output as text, read by the secret watch: what it prints may show a
    signing secret to its owner, what it logs to stderr shows none."""
    printed, logged = out.decode(), err.decode()
    WATCH.look(printed, f"what {command} printed", kind="process outputs", shapes=False)
    WATCH.look(logged, f"what {command} logged", kind="process outputs")
    return printed, logged


# `docker stop` and systemd send SIGKILL 10 s after SIGTERM: a clean stop must finish well
# within that, or it is no clean stop in production.
STOP_GRACE_S = 6.0


class ServiceProcess:
    """`blockbell run` in a child process, which tests may kill at any moment."""

    def __init__(self, env: dict[str, str], log_path: Path, roles: str | None = None) -> None:
        self.env = env
        self.log_path = log_path
        self.roles = ("--roles", roles) if roles else ()
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            BLOCKBELL, "run", *self.roles, env=self.env, stdout=log, stderr=log
        )
        log.close()

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, exactly like a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        WATCH.look(self.log(), f"the log of {self.log_path.name}", kind="process outputs")

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_GRACE_S)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        WATCH.look(self.log(), f"the log of {self.log_path.name}", kind="process outputs")
        return self.process.returncode or 0

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


READY_LINE = "running roles:"
"""What `blockbell run` logs once its roles run."""


class ServiceFleet:
    """`blockbell run` processes over one database, each with its roles and a log file of its
    own in `folder`; any of them may be killed and replaced while the others go on."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.running: list[ServiceProcess] = []
        self.roles_of: dict[ServiceProcess, str] = {}
        self._started = 0

    async def start(self, roles: str) -> ServiceProcess:
        self._started += 1
        log_path = self.folder / f"{roles.replace(',', '-')}-{self._started}.log"
        service = ServiceProcess(self.env, log_path, roles=roles)
        await service.start()
        self.running.append(service)
        self.roles_of[service] = roles
        return service

    async def replace(self, service: ServiceProcess) -> ServiceProcess:
        """SIGKILL `service` and start a process with the same roles in its place."""
        await service.kill()
        self.running.remove(service)
        return await self.start(self.roles_of[service])

    def by_pid(self, pid: int) -> ServiceProcess | None:
        return next((s for s in self.running if s.process and s.process.pid == pid), None)

    def exited(self) -> list[ServiceProcess]:
        """The processes that stopped on their own, taken out of `running`."""
        gone = [s for s in self.running if s.process and s.process.returncode is not None]
        for service in gone:
            self.running.remove(service)
        return gone

    def ready(self) -> list[ServiceProcess]:
        """The running processes that have logged that their roles run."""
        return [service for service in self.running if READY_LINE in service.log()]

    async def wait_until_ready(self, timeout_s: float) -> None:
        """Return once every running process logs that its roles run."""
        async with asyncio.timeout(timeout_s):
            while len(self.ready()) < len(self.running):
                await asyncio.sleep(0.05)

    async def stop_all(self) -> dict[ServiceProcess, int]:
        """SIGTERM to every running process at once; their exit codes."""
        services = list(self.running)
        codes = await asyncio.gather(*(service.stop() for service in services))
        self.running.clear()
        return dict(zip(services, codes, strict=True))
