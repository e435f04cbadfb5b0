"""The fake Discord gateway: the websocket a bot keeps open to receive events.

It follows Discord's "Gateway" topic: HELLO with the heartbeat interval, IDENTIFY answered by
READY and one GUILD_CREATE per guild, HEARTBEAT answered by HEARTBEAT_ACK, numbered dispatches,
RESUME replaying what a session missed, zlib-stream compression when asked, and the close codes
a bot gets for a bad token (4004) or intents it may not use (4014).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import zlib
from dataclasses import dataclass, field

import orjson
from aiohttp import WSMsgType, web

from tests.fakes.discord_limits import Json
from tests.fakes.discord_state import DiscordState

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
IGNORED_OPS = {3, 4}  # presence and voice state updates: accepted, nothing to do here
# GUILD_MEMBERS, GUILD_PRESENCES and MESSAGE_CONTENT must be switched on in the developer portal.
GUILD_MEMBERS_INTENT = 1 << 1
PRIVILEGED_INTENTS = GUILD_MEMBERS_INTENT | (1 << 8) | (1 << 15)


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass
class Session:
    """A gateway session: it outlives its websocket so that a RESUME can pick it up."""

    id: str
    seq: int = 0
    socket: _Socket | None = None
    sent: list[Json] = field(default_factory=list)


class _Socket:
    """One websocket connection, compressing as one zlib stream when the client asked."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self._zlib = zlib.compressobj() if compress else None

    async def send(self, payload: Json) -> None:
        data = orjson.dumps(payload)
        with contextlib.suppress(ConnectionError, RuntimeError):
            if self._zlib is None:
                await self.ws.send_str(data.decode())
            else:
                await self.ws.send_bytes(
                    self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                )


class Gateway:
    """Serves the websocket and dispatches events to every identified session."""

    def __init__(self, state: DiscordState, token: str) -> None:
        self.state = state
        self.token = token
        self.ws_url = ""
        self.heartbeat_interval_ms = 41_250
        self.allowed_intents = ~PRIVILEGED_INTENTS
        self.heartbeats = 0
        self.identified = asyncio.Event()
        self.sessions: dict[str, Session] = {}

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        socket = _Socket(ws, request.query.get("compress") == "zlib-stream")
        session: Session | None = None
        try:
            _check_query(request)
            await socket.send(
                {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    raise _Close(4002, "Decode error")
                session = await self._receive(socket, session, orjson.loads(message.data))
        except _Close as close:
            await ws.close(code=close.code, message=close.reason.encode())
        finally:
            if session is not None and session.socket is socket:
                session.socket = None
        return ws

    async def dispatch(self, event: str, data: Json) -> None:
        for session in list(self.sessions.values()):
            await self._dispatch_to(session, event, data)

    async def request_reconnect(self) -> None:
        """Op 7: Discord asks the bot to reconnect and resume (it does so during deploys)."""
        for session in self.sessions.values():
            if session.socket is not None:
                await session.socket.send({"op": RECONNECT, "d": None})

    async def close_all(self) -> None:
        for session in self.sessions.values():
            if session.socket is not None:
                await session.socket.ws.close(code=1001, message=b"going away")

    async def _receive(
        self, socket: _Socket, session: Session | None, payload: Json
    ) -> Session | None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            await socket.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            return await self._identify(socket, session, data or {})
        elif op == RESUME:
            return await self._resume(socket, data or {})
        elif session is None:
            raise _Close(4003, "Not authenticated")
        elif op == REQUEST_MEMBERS:
            await self._send_members(session, data or {})
        elif op not in IGNORED_OPS:
            raise _Close(4001, "Unknown opcode")
        return session

    async def _identify(self, socket: _Socket, session: Session | None, data: Json) -> Session:
        if session is not None:
            raise _Close(4005, "Already authenticated")
        self._check_token(data.get("token"))
        intents = data.get("intents")
        if not isinstance(intents, int):
            raise _Close(4013, "Invalid intent(s)")
        if intents & ~self.allowed_intents:
            raise _Close(4014, "Disallowed intent(s)")
        session = Session(secrets.token_hex(16), socket=socket)
        self.sessions[session.id] = session
        guilds = [{"id": str(guild_id), "unavailable": True} for guild_id in self.state.guilds]
        await self._dispatch_to(session, "READY", {
            "v": 10,
            "user": self.state.bot_user | {"verified": True, "mfa_enabled": False},
            "guilds": guilds,
            "session_id": session.id,
            "resume_gateway_url": self.ws_url,
            "application": {"id": str(self.state.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
        })  # fmt: skip
        all_members = bool(intents & GUILD_MEMBERS_INTENT)
        for guild in self.state.guilds.values():
            guild_json = self.state.guild_create_json(guild, all_members=all_members)
            await self._dispatch_to(session, "GUILD_CREATE", guild_json)
        self.identified.set()
        return session

    async def _resume(self, socket: _Socket, data: Json) -> Session:
        self._check_token(data.get("token"))
        session = self.sessions.get(str(data.get("session_id")))
        if session is None:
            await socket.send({"op": INVALID_SESSION, "d": False})
            raise _Close(4009, "Session timed out")
        session.socket = socket
        for payload in session.sent:
            if payload["s"] > int(data.get("seq") or 0):
                await socket.send(payload)
        await self._dispatch_to(session, "RESUMED", {})
        return session

    async def _send_members(self, session: Session, data: Json) -> None:
        guild = self.state.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        members = [self.state.member_json(guild, user_id) for user_id in guild.members]
        chunk: Json = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _dispatch_to(self, session: Session, event: str, data: Json) -> None:
        session.seq += 1
        payload = {"op": DISPATCH, "s": session.seq, "t": event, "d": data}
        session.sent.append(payload)
        if session.socket is not None:
            await session.socket.send(payload)

    def _check_token(self, token: object) -> None:
        if str(token).removeprefix("Bot ") != self.token:
            raise _Close(4004, "Authentication failed")


def _check_query(request: web.Request) -> None:
    if request.query.get("v", "10") not in ("9", "10"):
        raise _Close(4012, "Invalid API version")
    if request.query.get("encoding", "json") != "json":
        raise _Close(4002, "Decode error")
