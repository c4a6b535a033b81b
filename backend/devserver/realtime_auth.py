"""What the development Realtime server asks PostgreSQL, the way Supabase
Realtime does (development/test only, never shipped):

* :func:`channel_permissions`: Realtime's authorisation of a private channel
  by the RLS policies on ``realtime.messages``. As its own role it inserts a
  broadcast and a presence row for the topic, then, as the user
  (``role``, ``realtime.topic``, ``request.jwt.claims``), selects them (read)
  and inserts one of each under savepoints (write); everything is rolled
  back. So the policies of the migrations are exactly what decides here.
* :class:`DatabaseBroadcasts`: "broadcast from the database": rows that
  ``realtime.send`` commits (e.g. the pushed member changes) are announced by
  the bootstrap's ``pg_notify('realtime_messages', id)``; this reads them and
  hands them to the server to relay on their topic.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import psycopg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Permissions:
    read_broadcast: bool = False
    read_presence: bool = False
    write_broadcast: bool = False
    write_presence: bool = False

    @property
    def can_join(self) -> bool:
        return self.read_broadcast or self.read_presence


async def channel_permissions(conn: psycopg.AsyncConnection[Any], claims: dict[str, Any], topic: str) -> Permissions:
    """Realtime's policy check of ``topic`` (without the ``realtime:`` prefix) for the token's claims."""
    role = claims.get("role") if claims.get("role") in ("anon", "authenticated") else "anon"
    async with conn.transaction(force_rollback=True):
        cur = await conn.execute("insert into realtime.messages (topic, extension) values (%s, 'broadcast'), "
                                 "(%s, 'presence') returning id, extension", (topic, topic))
        probe = {ext: pid for pid, ext in await cur.fetchall()}
        await conn.execute("select set_config('role', %s, true), set_config('realtime.topic', %s, true), "
                           "set_config('request.jwt.claims', %s, true)", (role, topic, json.dumps(claims)))
        cur = await conn.execute("select extension from realtime.messages where topic = %s and id = any(%s)",
                                 (topic, list(probe.values())))
        readable = {r[0] for r in await cur.fetchall()}
        writable = set()
        for ext in ("broadcast", "presence"):
            try:
                async with conn.transaction():
                    await conn.execute("insert into realtime.messages (topic, extension) values (%s, %s)",
                                       (topic, ext))
                writable.add(ext)
            except psycopg.errors.InsufficientPrivilege:
                pass
    return Permissions("broadcast" in readable, "presence" in readable, "broadcast" in writable,
                       "presence" in writable)


async def may_write(conn: psycopg.AsyncConnection[Any], claims: dict[str, Any], topic: str, extension: str) -> bool:
    """The insert policy alone (a broadcast or a presence track on a joined channel): one rolled-back insert as the user."""
    role = claims.get("role") if claims.get("role") in ("anon", "authenticated") else "anon"
    try:
        async with conn.transaction(force_rollback=True):
            await conn.execute("select set_config('role', %s, true), set_config('realtime.topic', %s, true), "
                               "set_config('request.jwt.claims', %s, true)", (role, topic, json.dumps(claims)))
            await conn.execute("insert into realtime.messages (topic, extension) values (%s, %s)", (topic, extension))
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


Relay = Callable[[str, str, Any], Awaitable[None]]  # topic, event, payload


class DatabaseBroadcasts:
    """LISTEN for committed ``realtime.send`` rows and relay each once (one
    connection waits for the notifications, another reads the rows: psycopg
    holds a connection while it waits)."""

    def __init__(self, dsn: str, relay: Relay) -> None:
        self.dsn = dsn
        self.relay = relay
        self._task: asyncio.Task[None] | None = None
        self._conns: list[psycopg.AsyncConnection[Any]] = []

    async def start(self) -> None:
        listen = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        read = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        self._conns = [listen, read]
        await listen.execute("listen realtime_messages")
        self._task = asyncio.create_task(self._run(listen, read))

    async def _run(self, listen: psycopg.AsyncConnection[Any], read: psycopg.AsyncConnection[Any]) -> None:
        async for note in listen.notifies():
            try:
                cur = await read.execute("select topic, event, payload from realtime.messages where id = %s::uuid",
                                         (note.payload,))
                row = await cur.fetchone()
                if row is not None:
                    await self.relay(str(row[0]), str(row[1]), row[2])
            except Exception:  # noqa: BLE001 - one bad row never stops the relay
                log.exception("realtime: relaying a database broadcast failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping
                pass
        for conn in self._conns:
            await conn.close()
