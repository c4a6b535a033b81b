"""Development/test server for the subset of the Supabase Realtime websocket
protocol (Phoenix channels, ``vsn=1.0.0`` JSON frames) that the ``realtime``
client of supabase-py uses for live collaboration. Never shipped.

* ``GET /realtime/v1/websocket?apikey=<jwt>&vsn=1.0.0`` upgrades to a websocket.
* ``phoenix``/``heartbeat`` -> ``phx_reply`` ok.
* ``phx_join`` on ``realtime:<topic>`` with ``config`` (broadcast ``self``/``ack``,
  presence ``key``/``enabled``, ``private``) and ``access_token``. Private
  topics ``project:<uuid>`` are authorised by the RLS policies on
  ``realtime.messages`` (migration ``20261130000600``) the way Supabase
  Realtime checks them (:mod:`backend.devserver.realtime_auth`); a join also
  records ``last_seen_at`` through ``public.collab_seen``.
* ``broadcast``: relayed to the other members of the topic (and back when
  ``self``); on a private project topic only owners and editors may send,
  checked again (the insert policy) for every message so that a removal
  takes effect at once. Refusals are answered with an error ``phx_reply``
  whatever ``ack`` says.
* broadcast from the database: rows that ``realtime.send`` commits (the
  pushed member changes, event ``members``) are relayed on their topic.
* ``presence`` track/untrack (track needs the presence insert policy) -> ``presence_state`` to the joiner,
  ``presence_diff`` to everybody; a closed socket leaves.
* ``access_token`` replaces the channel's token; ``phx_leave`` leaves.

Frames over ``max_frame`` bytes close the socket (as Realtime's limit does).
Fault injection for tests: ``drop_broadcasts`` (lose the next n relays).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import psycopg
from websockets.asyncio.server import Server, ServerConnection, serve

from backend.devserver.gateway import JWT_SECRET
from backend.devserver.realtime_auth import DatabaseBroadcasts, Permissions, channel_permissions, may_write

log = logging.getLogger(__name__)

_PROJECT_TOPIC = re.compile(r"^realtime:project:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


@dataclass
class _Member:
    ws: ServerConnection
    topic: str
    join_ref: str | None
    claims: dict[str, Any]
    self_echo: bool
    presence_key: str
    meta: dict[str, Any] | None = None


@dataclass
class RealtimeServer:
    dsn: str
    host: str = "127.0.0.1"
    port: int = 0
    max_frame: int = 256 * 1024
    drop_broadcasts: int = 0
    relayed: int = 0
    refused: int = 0
    topics: dict[str, list[_Member]] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _server: Server | None = None
    _thread: threading.Thread | None = None
    _db: psycopg.AsyncConnection[Any] | None = None
    _db_lock: asyncio.Lock | None = None
    _db_broadcasts: DatabaseBroadcasts | None = None

    @property
    def url(self) -> str:
        """What the client takes as its Realtime URL (it appends ``/websocket``)."""
        return f"ws://{self.host}:{self.port}/realtime/v1"

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self._thread = threading.Thread(target=run, name="realtime-dev", daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]

    async def _open(self) -> None:
        self._db = await psycopg.AsyncConnection.connect(self.dsn)
        self._db_lock = asyncio.Lock()
        self._db_broadcasts = DatabaseBroadcasts(self.dsn, self._relay_from_database)
        await self._db_broadcasts.start()
        self._server = await serve(self._handle, self.host, self.port, max_size=self.max_frame,
                                   ping_interval=None)
        self.port = self._server.sockets[0].getsockname()[1] if self.port == 0 else self.port

    async def _close(self) -> None:
        if self._db_broadcasts is not None:
            await self._db_broadcasts.stop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._db is not None:
            await self._db.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def disconnect_all(self) -> None:
        """Network loss for every client (they reconnect by themselves)."""
        async def cut() -> None:
            for members in list(self.topics.values()):
                for m in list(members):
                    await m.ws.close(1011, "test disconnect")
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(cut(), self._loop).result(10)

    # ------------------------------------------------------------ authorisation
    async def _permissions(self, claims: dict[str, Any], topic: str) -> Permissions:
        """The RLS policies on ``realtime.messages`` for ``topic`` (``realtime:`` prefix included)."""
        assert self._db is not None and self._db_lock is not None
        async with self._db_lock:
            try:
                return await channel_permissions(self._db, claims, topic.removeprefix("realtime:"))
            except psycopg.Error as exc:
                log.warning("realtime: policy check of %s failed: %s", topic, str(exc).splitlines()[0])
                return Permissions()

    async def _may_write(self, claims: dict[str, Any], topic: str, extension: str) -> bool:
        """The insert policy on ``realtime.messages`` for a broadcast or a presence track."""
        assert self._db is not None and self._db_lock is not None
        async with self._db_lock:
            try:
                return await may_write(self._db, claims, topic.removeprefix("realtime:"), extension)
            except psycopg.Error as exc:
                log.warning("realtime: policy check of %s failed: %s", topic, str(exc).splitlines()[0])
                return False

    async def _seen(self, claims: dict[str, Any], project: str) -> None:
        """Record the join (``last_seen_at``) as the token's user."""
        assert self._db is not None and self._db_lock is not None
        async with self._db_lock:
            try:
                async with self._db.transaction():
                    await self._db.execute("set local role authenticated")
                    await self._db.execute("select set_config('request.jwt.claims', %s, true)",
                                           (json.dumps(claims),))
                    await self._db.execute("select public.collab_seen(%s::uuid)", (project,))
            except psycopg.Error as exc:
                log.info("realtime: last seen of %s not recorded: %s", claims.get("sub"), str(exc).splitlines()[0])

    @staticmethod
    def _verify(token: Any) -> dict[str, Any] | None:
        if not isinstance(token, str):
            return None
        try:
            claims: dict[str, Any] = jwt.decode(token, JWT_SECRET, algorithms=["HS256"],
                                                options={"verify_aud": False})
        except jwt.PyJWTError:
            return None
        return claims

    # ------------------------------------------------------------ protocol
    async def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        path = urlsplit(request.path if request is not None else "")
        apikey = parse_qs(path.query).get("apikey", [""])[0]
        if path.path != "/realtime/v1/websocket" or self._verify(apikey) is None:
            await ws.close(4001, "invalid apikey or path")
            return
        mine: dict[str, _Member] = {}
        try:
            async for raw in ws:
                try:
                    msg = json.loads(raw)
                    topic, event = str(msg["topic"]), str(msg["event"])
                    payload = msg.get("payload") or {}
                    ref = msg.get("ref")
                    if not isinstance(payload, dict):
                        raise ValueError("payload must be an object")
                except (ValueError, KeyError, TypeError) as exc:
                    log.info("realtime: malformed frame dropped (%s)", exc)
                    continue
                await self._dispatch(ws, mine, topic, event, payload, ref, msg.get("join_ref"))
        except Exception:  # noqa: BLE001 - a broken socket ends like a closed one
            log.debug("realtime: socket ended", exc_info=True)
        finally:
            for member in list(mine.values()):
                await self._leave(member)

    async def _dispatch(self, ws: ServerConnection, mine: dict[str, _Member], topic: str, event: str,
                        payload: dict[str, Any], ref: Any, join_ref: Any) -> None:
        if topic == "phoenix" and event == "heartbeat":
            await self._reply(ws, topic, ref, "ok", {})
        elif event == "phx_join":
            await self._join(ws, mine, topic, payload, ref)
        elif event == "phx_leave":
            member = mine.pop(topic, None)
            if member is not None:
                await self._leave(member)
            await self._reply(ws, topic, ref, "ok", {})
        elif topic not in mine:
            await self._reply(ws, topic, ref, "error", {"reason": "join the topic first"})
        elif event == "access_token":
            claims = self._verify(payload.get("access_token"))
            if claims is None:
                await self._reply(ws, topic, ref, "error", {"reason": "invalid access token"})
            else:
                mine[topic].claims = claims
        elif event == "broadcast":
            await self._broadcast(mine[topic], payload, ref)
        elif event == "presence":
            await self._presence(mine[topic], payload)
        else:
            await self._reply(ws, topic, ref, "error", {"reason": f"unknown event {event[:40]}"})

    async def _join(self, ws: ServerConnection, mine: dict[str, _Member], topic: str, payload: dict[str, Any],
                    ref: Any) -> None:
        config = payload.get("config") or {}
        claims = self._verify(payload.get("access_token"))
        if not isinstance(config, dict) or claims is None:
            await self._reply(ws, topic, ref, "error", {"reason": "Unauthorized: invalid access token"})
            return
        m = _PROJECT_TOPIC.match(topic)
        if config.get("private") or m:
            if m is None or config.get("private") is not True:
                await self._reply(ws, topic, ref, "error", {"reason": "Unauthorized: only private project topics"})
                return
            if not (await self._permissions(claims, topic)).can_join:
                await self._reply(ws, topic, ref, "error", {
                    "reason": f"Unauthorized: You do not have permissions to read from this Channel topic: {topic}"})
                return
            await self._seen(claims, m.group(1))
        broadcast = config.get("broadcast") or {}
        presence = config.get("presence") or {}
        key = str(presence.get("key") or "") or str(uuid.uuid4())
        member = _Member(ws, topic, None, claims, bool(broadcast.get("self")), key[:100])
        old = mine.pop(topic, None)
        if old is not None:
            await self._leave(old)
        mine[topic] = member
        self.topics.setdefault(topic, []).append(member)
        await self._reply(ws, topic, ref, "ok", {"postgres_changes": []})
        await self._send(ws, {"topic": topic, "event": "presence_state", "payload": self._presence_state(topic),
                              "ref": None})

    async def _broadcast(self, member: _Member, payload: dict[str, Any], ref: Any) -> None:
        m = _PROJECT_TOPIC.match(member.topic)
        if m is not None:
            if not await self._may_write(member.claims, member.topic, "broadcast"):
                self.refused += 1
                log.info("realtime: broadcast on %s refused for %s", member.topic, member.claims.get("sub"))
                reason = "you can only watch this project" if (await self._permissions(
                    member.claims, member.topic)).can_join else "you no longer have access to this project"
                await self._reply(member.ws, member.topic, ref, "error", {"reason": reason})
                return
        if self.drop_broadcasts > 0:
            self.drop_broadcasts -= 1
            return
        frame = json.dumps({"topic": member.topic, "event": "broadcast", "ref": None,
                            "payload": {"type": "broadcast", "event": str(payload.get("event", "")),
                                        "payload": payload.get("payload")}})
        for other in list(self.topics.get(member.topic, [])):
            if other is member and not member.self_echo:
                continue
            self.relayed += 1
            await self._send_raw(other.ws, frame)
        if ref is not None:
            await self._reply(member.ws, member.topic, ref, "ok", {})

    async def _relay_from_database(self, topic: str, event: str, payload: Any) -> None:
        frame = json.dumps({"topic": f"realtime:{topic}", "event": "broadcast", "ref": None,
                            "payload": {"type": "broadcast", "event": event, "payload": payload}})
        for member in list(self.topics.get(f"realtime:{topic}", [])):
            self.relayed += 1
            await self._send_raw(member.ws, frame)

    async def _presence(self, member: _Member, payload: dict[str, Any]) -> None:
        event = payload.get("event")
        if event == "track" and isinstance(payload.get("payload"), dict):
            if _PROJECT_TOPIC.match(member.topic) and not await self._may_write(member.claims, member.topic,
                                                                                "presence"):
                log.info("realtime: presence on %s refused for %s", member.topic, member.claims.get("sub"))
                return
            leaves = self._entry(member) if member.meta is not None else {}
            member.meta = {**payload["payload"], "phx_ref": uuid.uuid4().hex[:20]}
            await self._diff(member.topic, self._entry(member), leaves)
        elif event == "untrack" and member.meta is not None:
            leaves = self._entry(member)
            member.meta = None
            await self._diff(member.topic, {}, leaves)

    async def _leave(self, member: _Member) -> None:
        members = self.topics.get(member.topic, [])
        if member in members:
            members.remove(member)
        if member.meta is not None:
            leaves = self._entry(member)
            member.meta = None
            await self._diff(member.topic, {}, leaves)

    # ------------------------------------------------------------ presence state
    @staticmethod
    def _entry(member: _Member) -> dict[str, Any]:
        return {member.presence_key: {"metas": [member.meta]}}

    def _presence_state(self, topic: str) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for m in self.topics.get(topic, []):
            if m.meta is not None:
                state.setdefault(m.presence_key, {"metas": []})["metas"].append(m.meta)
        return state

    async def _diff(self, topic: str, joins: dict[str, Any], leaves: dict[str, Any]) -> None:
        frame = json.dumps({"topic": topic, "event": "presence_diff", "ref": None,
                            "payload": {"joins": joins, "leaves": leaves}})
        for other in list(self.topics.get(topic, [])):
            await self._send_raw(other.ws, frame)

    # ------------------------------------------------------------ frames
    async def _reply(self, ws: ServerConnection, topic: str, ref: Any, status: str, response: dict[str, Any]) -> None:
        await self._send(ws, {"topic": topic, "event": "phx_reply", "ref": ref,
                              "payload": {"status": status, "response": response}})

    async def _send(self, ws: ServerConnection, frame: dict[str, Any]) -> None:
        await self._send_raw(ws, json.dumps(frame))

    @staticmethod
    async def _send_raw(ws: ServerConnection, frame: str) -> None:
        try:
            await ws.send(frame)
        except Exception:  # noqa: BLE001 - a closed peer leaves through its own handler
            pass
