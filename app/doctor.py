"""`blockbell doctor`: whether the database, every chain's RPC URLs and the bot tokens are ready."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from app.chain_settings import CosmosChainConfig, EvmChainConfig
from app.logs import redact
from app.setting_display import describe_database_url, describe_url
from app.settings import Settings
from storage.db import close_database, open_database, pending_migrations

RPC_TIMEOUT_S = 5.0
SHOWN_CHARS = 60


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `blockbell doctor`: ok, failed, or (ok None) just for information."""

    ok: bool | None
    subject: str
    detail: str


def _parse_chain_id(answer: Any) -> int:
    return int(answer["result"], 16)


def _parse_network(answer: Any) -> str:
    network = answer["result"]["node_info"]["network"]
    if not isinstance(network, str):
        raise TypeError("node_info.network is not a string")
    return network


@dataclass(frozen=True, slots=True)
class _Probe:
    """The JSON-RPC call that tells which chain a node serves, and how to read its answer."""

    request: dict[str, object]
    parse: Callable[[Any], int | str]
    node_kind: str


PROBES = {
    "evm": _Probe(
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        _parse_chain_id,
        "an EVM JSON-RPC node",
    ),
    # CometBFT's JSON-RPC `status`: node_info.network is the chain id of its genesis.
    "cosmos": _Probe(
        {"jsonrpc": "2.0", "id": 1, "method": "status", "params": {}},
        _parse_network,
        "a CometBFT RPC node",
    ),
}


async def run_checks(settings: Settings) -> list[Check]:
    """The database, every RPC URL of every chain, and which bot tokens are set."""
    checks = [await _check_database(settings.database_url)]
    timeout = aiohttp.ClientTimeout(total=RPC_TIMEOUT_S)
    hidden = settings.secret_values()
    async with aiohttp.ClientSession(timeout=timeout) as session:
        checks += await asyncio.gather(
            *(
                _check_node(session, name, chain, url, hidden)
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


async def _check_node(
    session: aiohttp.ClientSession,
    name: str,
    chain: EvmChainConfig | CosmosChainConfig,
    url: str,
    hidden: Sequence[str],
) -> Check:
    """Asks the node at `url` which chain it serves: `eth_chainId` on EVM chains, CometBFT's
    `status` (its `node_info.network`) on Cosmos chains."""
    subject = f"chains.{name} {describe_url(url)}"
    probe = PROBES[chain.family]
    try:
        async with session.post(url, json=probe.request) as response:
            response.raise_for_status()
            answer = await response.json(content_type=None)
        chain_id = probe.parse(answer)
    except TimeoutError:
        return Check(False, subject, f"no answer within {RPC_TIMEOUT_S:.0f} s")
    except aiohttp.ClientError as exc:
        return Check(False, subject, f"unreachable: {redact(str(exc), hidden)}")
    except (ValueError, KeyError, TypeError):
        return Check(False, subject, f"answered, but not like {probe.node_kind}")
    if chain_id != chain.chain_id:
        return Check(
            False,
            subject,
            f"chain id is {_shown(chain_id)}, the settings say {_shown(chain.chain_id)}:"
            " fix chain_id or the URL",
        )
    return Check(True, subject, f"reachable, chain id {chain_id}")


def _shown(chain_id: int | str) -> str:
    """A chain id as the node or the settings give it; a node's text is quoted and cut short."""
    text = repr(chain_id)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def _token_checks(settings: Settings) -> list[Check]:
    tokens = {
        "TELEGRAM_BOT_TOKEN": (settings.telegram_bot_token, "the Telegram bot stays off"),
        "DISCORD_BOT_TOKEN": (settings.discord_bot_token, "the Discord bot stays off"),
    }
    return [
        Check(None, name, "set" if value is not None else f"not set: {consequence}")
        for name, (value, consequence) in tokens.items()
    ]
