"""Fixtures for the cloud tests: a real PostgreSQL 15 with a Supabase-compatible
bootstrap and the project's migrations applied.

The throwaway cluster and the database set-up are backend/devserver/pg.py (the
same code ``scripts/local-backend.sh`` runs). Set ``MASHUPS_TEST_PG_DSN`` to use
an existing server instead (the DSN's user must be a superuser).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import psycopg
import pytest
from psycopg.rows import dict_row

from backend.devserver.gateway import Gateway
from backend.devserver.pg import (
    MIGRATIONS,
    PgServer,
    create_database,
    drop_database,
    migration_files,
    throwaway_cluster,
)
from backend.devserver.realtime import RealtimeServer

__all__ = ["MIGRATIONS", "Db", "PgServer", "act_as", "call_as", "claims", "gw", "migration_files", "new_db"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with throwaway_cluster() as server:
        yield server


@pytest.fixture(scope="session")
def template_db(pg_server: PgServer) -> str:
    """A database with bootstrap + all migrations, used as template."""
    return create_database(pg_server, f"ms_template_{uuid.uuid4().hex[:8]}")


@dataclass
class Db:
    server: PgServer
    name: str

    @property
    def dsn(self) -> str:
        return self.server.dsn(self.name)

    def connect(self, **kw: Any) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.dsn, row_factory=dict_row, **kw)

    def create_user(self, email: str | None = None) -> str:
        uid = str(uuid.uuid4())
        with self.connect(autocommit=True) as conn:
            conn.execute(
                "insert into auth.users (id, email) values (%s, %s)",
                (uid, email or f"{uid[:8]}@example.test"),
            )
        return uid

    def set_tier(self, uid: str, tier: str) -> None:
        with self.connect(autocommit=True) as conn:
            conn.execute(
                "insert into public.entitlements (user_id, tier, source) values (%s, %s, 'grant') "
                "on conflict (user_id) do update set tier = excluded.tier",
                (uid, tier),
            )


def new_db(pg_server: PgServer, template: str) -> Db:
    return Db(pg_server, create_database(pg_server, f"ms_test_{uuid.uuid4().hex[:10]}", template=template))


def drop_db(db: Db) -> None:
    drop_database(db.server, db.name)


@pytest.fixture(scope="module")
def db(pg_server: PgServer, template_db: str) -> Iterator[Db]:
    """A fresh database per test module, cloned from the migrated template."""
    d = new_db(pg_server, template_db)
    try:
        yield d
    finally:
        drop_db(d)


class Server(Protocol):
    def start(self) -> Any: ...
    def stop(self) -> Any: ...


S = TypeVar("S", bound=Server)


@contextmanager
def serving(server: S) -> Iterator[S]:
    """A local server (gateway, Realtime) started for the ``with`` block, stopped after it."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gw(db: Db) -> Iterator[Gateway]:
    """The Supabase-compatible HTTP gateway over the module's database."""
    with serving(Gateway(db.dsn)) as g:
        yield g


@pytest.fixture
def servers(db: Db) -> Iterator[tuple[Gateway, RealtimeServer]]:
    """The gateway and the development Realtime server (live collaboration) over the module's database."""
    with serving(Gateway(db.dsn)) as g, serving(RealtimeServer(db.dsn)) as rt:
        yield g, rt


@pytest.fixture
def fresh_db(pg_server: PgServer, template_db: str) -> Iterator[Db]:
    """A fresh database for one test."""
    d = new_db(pg_server, template_db)
    try:
        yield d
    finally:
        drop_db(d)


@pytest.fixture
def fresh_gw(fresh_db: Db) -> Iterator[Gateway]:
    """The HTTP gateway over this test's own database (``fresh_db``)."""
    with serving(Gateway(fresh_db.dsn)) as g:
        yield g


def claims(uid: str | None, role: str = "authenticated") -> str:
    c: dict[str, Any] = {"role": role}
    if uid is not None:
        c["sub"] = uid
    return json.dumps(c)


def act_as(conn: psycopg.Connection[Any], role: str, uid: str | None = None) -> None:
    """Inside the current transaction, become ``role`` like PostgREST does."""
    conn.execute(f"set local role {role}")
    conn.execute("select set_config('request.jwt.claims', %s, true)", (claims(uid, role),))


def call_as(db: Db, role: str, uid: str | None, sql: str, params: Any = None) -> Any:
    """Run one statement as role/uid in its own transaction; return the rows."""
    with db.connect() as conn:
        with conn.transaction():
            act_as(conn, role, uid)
            cur = conn.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
        return rows
