"""Two processes with the bot role over one PostgreSQL: exactly one polls Telegram (Telegram
would end the other's long polls with 409 Conflict), and when it dies the other takes over."""

from __future__ import annotations

from pathlib import Path

import pytest

from locales import translate
from storage.models import Lease
from tests.fakes.telegram_chat import ChatTelegram, Person
from tests.support.anvil import AnvilNode
from tests.support.secret_watch import secret
from tests.support.service import ServiceProcess, service_env, write_chain_config
from tests.support.watching import wait_until

TOKEN = secret("4343:e2e-token-of-the-leader-bot")
CHAT = 7101
SERVICE_START_S = 30.0
TAKEOVER_S = 15.0


async def telegram_holder(services: list[ServiceProcess]) -> ServiceProcess:
    lease = await Lease.get(name="bot:telegram")
    pid = int(lease.holder.split(":")[1])
    return next(s for s in services if s.process is not None and s.process.pid == pid)


@pytest.mark.parametrize("backend", ["postgres"])
async def test_one_process_polls_telegram_and_another_takes_over_when_it_dies(
    db: str, tmp_path: Path, anvil: AnvilNode
) -> None:
    config = write_chain_config(tmp_path / "blockbell.toml", anvil.url, None)
    telegram = await ChatTelegram.open(TOKEN)
    env = service_env(db, config, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url)
    services = [ServiceProcess(env, tmp_path / f"bot-{n}.log", roles="bot") for n in (1, 2)]
    me = Person(telegram, CHAT, CHAT, "en")
    welcome = translate("en", "bot.start.welcome")
    try:
        for service in services:
            await service.start()
        await telegram.wait_until(lambda: "getUpdates" in telegram.calls, SERVICE_START_S)
        await wait_until(lambda: any("stands by" in s.log() for s in services), SERVICE_START_S)
        assert (await me.say("/start")).text == welcome

        polling = await telegram_holder(services)
        await polling.kill()
        standby = next(s for s in services if s is not polling)
        await wait_until(lambda: _holds(standby), TAKEOVER_S)

        assert (await me.say("/start")).text == welcome
        assert telegram.poll_conflicts == 0
    finally:
        for service in services:
            await service.stop()
        await telegram.stop()


async def _holds(service: ServiceProcess) -> bool:
    lease = await Lease.get_or_none(name="bot:telegram")
    assert service.process is not None
    return lease is not None and lease.holder.split(":")[1] == str(service.process.pid)
