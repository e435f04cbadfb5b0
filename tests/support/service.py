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

BLOCKBELL = str(Path(sys.executable).parent / "blockbell")


def write_chain_config(path: Path, rpc_url: str, ws_url: str | None, **options: Any) -> Path:
    lines = [
        "[chains.anvil]",
        'family = "evm"',
        "chain_id = 31337",
        f'rpc_urls = ["{rpc_url}"]',
        'explorer_url = "https://explorer.test"',
    ]
    if ws_url:
        lines.append(f'ws_url = "{ws_url}"')
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
    return process.returncode or 0, out.decode(), err.decode()


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

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_GRACE_S)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
