"""Running the real discord.py against FakeDiscord: where to point it and how to run a client.

discord.py has two public settings for where Discord is: `Route.BASE` (every REST call, the
interaction webhooks included, is built from it when made) and
`DiscordWebSocket.DEFAULT_GATEWAY` (a plain Client connects there without asking
/gateway/bot, and resumes at the READY's resume_gateway_url).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.fakes.discord_api import FakeDiscord


@contextlib.contextmanager
def discord_pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Send discord.py's REST calls and gateway connections to the fake, then put them back."""
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = f"{fake.url}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.ws_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@contextlib.asynccontextmanager
async def running_client(
    client: discord.Client, token: str, timeout_s: float = 10.0
) -> AsyncIterator[discord.Client]:
    """Log in, connect, wait for READY (after the guilds arrived), and close at the end."""
    await client.login(token)
    connection = asyncio.create_task(client.connect(reconnect=True))
    try:
        async with asyncio.timeout(timeout_s):
            ready = asyncio.create_task(client.wait_until_ready())
            await asyncio.wait({ready, connection}, return_when=asyncio.FIRST_COMPLETED)
            if connection.done():
                ready.cancel()
                connection.result()  # raises why the connection ended
        yield client
    finally:
        await client.close()
        with contextlib.suppress(Exception):
            await connection
