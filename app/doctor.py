"""`blockbell doctor`: whether the database, every chain's RPC URLs and the bot tokens are ready."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from app.logs import redact
from app.settings import Settings, describe_database_url, describe_url
from storage.db import close_database, open_database, pending_migrations

RPC_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `blockbell doctor`: ok, failed, or (ok None) just for information."""

    ok: bool | None
    subject: str
    detail: str


async def run_checks(settings: Settings) -> list[Check]:
    """The database, every RPC URL of every chain, and which bot tokens are set."""
    checks = [await _check_database(settings.database_url)]
    timeout = aiohttp.ClientTimeout(total=RPC_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        checks += await asyncio.gather(
            *(
                _check_rpc(session, name, url, chain.chain_id, settings.secret_values())
                for name, chain in settings.chains.items()
                for url in chain.rpc_urls
            )
        )
    if not settings.chains:
        checks.append(Check(None, "chains", f"none configured in {settings.config_path}"))
    return checks + _token_checks(settings)


async def _check_database(database_url: str) -> Check:
    shown = describe_database_url(database_url)
    subject = f"database {shown}"
    try:
        await open_database(database_url, apply_migrations=False)
    except Exception as exc:
        await close_database()
        return Check(False, subject, f"cannot open the database {shown}: {exc}")
    try:
        pending = await pending_migrations()
    finally:
        await close_database()
    if pending:
        return Check(
            False, subject, f"{len(pending)} migration(s) not applied: run `blockbell migrate`"
        )
    return Check(True, subject, "reachable, schema up to date")


async def _check_rpc(
    session: aiohttp.ClientSession, chain: str, url: str, expected: int, hidden: Sequence[str]
) -> Check:
    subject = f"chains.{chain} {describe_url(url)}"
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        async with session.post(url, json=request) as response:
            response.raise_for_status()
            answer = await response.json(content_type=None)
        chain_id = int(answer["result"], 16)
    except TimeoutError:
        return Check(False, subject, f"no answer within {RPC_TIMEOUT_S:.0f} s")
    except aiohttp.ClientError as exc:
        return Check(False, subject, f"unreachable: {redact(str(exc), hidden)}")
    except (ValueError, KeyError, TypeError):
        return Check(False, subject, "answered, but not like an EVM JSON-RPC node")
    if chain_id != expected:
        return Check(
            False,
            subject,
            f"chain id is {chain_id}, the settings say {expected}: fix chain_id or the URL",
        )
    return Check(True, subject, f"reachable, chain id {chain_id}")


def _token_checks(settings: Settings) -> list[Check]:
    tokens = {
        "TELEGRAM_BOT_TOKEN": (settings.telegram_bot_token, "the Telegram bot stays off"),
        "DISCORD_BOT_TOKEN": (settings.discord_bot_token, "the Discord bot stays off"),
    }
    return [
        Check(None, name, "set" if value is not None else f"not set: {consequence}")
        for name, (value, consequence) in tokens.items()
    ]
