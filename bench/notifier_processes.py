"""`blockbell run --roles notifier` in child processes, started and stopped as an operator would."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from tests.support.service import BLOCKBELL, STOP_GRACE_S, service_env, write_chain_config

READY_LINE = "running roles: notifier"
READY_TIMEOUT_S = 60.0
# The notifier role opens no connection to the chain: the URL only has to be valid.
UNUSED_RPC_URL = "http://127.0.0.1:9"
LOG_TAIL_CHARS = 4000


class NotifierFailed(RuntimeError):
    """A notifier process stopped on its own or did not stop cleanly."""


class NotifierProcesses:
    """Notifier processes over one database, each logging to its own file in `folder`."""

    def __init__(self, database_url: str, folder: Path) -> None:
        config = write_chain_config(folder / "blockbell.toml", UNUSED_RPC_URL, None)
        self._env = service_env(database_url, config)
        # The product's retry schedule, not the tests' quick one.
        self._env.pop("BLOCKBELL_WEBHOOK_SCHEDULE")
        self._folder = folder
        self._processes: list[asyncio.subprocess.Process] = []

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    async def start(self, count: int) -> None:
        """Start `count` processes and return once each has said it runs the notifier."""
        for index in range(count):
            with self._log_path(index).open("ab") as log:
                self._processes.append(
                    await asyncio.create_subprocess_exec(
                        BLOCKBELL, "run", "--roles", "notifier", env=self._env, stdout=log,
                        stderr=log,
                    )
                )  # fmt: skip
        deadline = time.perf_counter() + READY_TIMEOUT_S
        while not all(READY_LINE in self._log(i) for i in range(count)):
            self.check_running()
            if time.perf_counter() > deadline:
                raise NotifierFailed(f"not ready within {READY_TIMEOUT_S:g} s\n{self._tails()}")
            await asyncio.sleep(0.05)

    def check_running(self) -> None:
        if any(process.returncode is not None for process in self._processes):
            raise NotifierFailed(f"a notifier process stopped\n{self._tails()}")

    async def stop(self) -> None:
        """SIGTERM to every process at once; each must exit with 0 within the grace period."""
        running = [p for p in self._processes if p.returncode is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        codes = await asyncio.gather(*(self._wait(p) for p in self._processes))
        if any(codes):
            raise NotifierFailed(f"exit codes {codes}\n{self._tails()}")

    @staticmethod
    async def _wait(process: asyncio.subprocess.Process) -> int:
        try:
            return await asyncio.wait_for(process.wait(), STOP_GRACE_S)
        except TimeoutError:
            process.kill()
            await process.wait()
            return -signal.SIGKILL

    def _log_path(self, index: int) -> Path:
        return self._folder / f"notifier-{index}.log"

    def _log(self, index: int) -> str:
        path = self._log_path(index)
        return path.read_text(errors="replace") if path.exists() else ""

    def _tails(self) -> str:
        return "\n".join(
            f"--- notifier {i}:\n{self._log(i)[-LOG_TAIL_CHARS:]}"
            for i in range(len(self._processes))
        )
