"""Fixtures for the adversarial suite.

``MASHUPS_ABUSE_MIGRATIONS_UPTO=<14-digit prefix>`` builds the suite's template
from the migrations up to that one only, e.g. ``20261122001100`` (the schema
before issue 10), to show which attacks the old schema lets through:

    MASHUPS_ABUSE_MIGRATIONS_UPTO=20261122001100 .venv/bin/pytest tests/cloud/abuse -q

``MASHUPS_ABUSE_MIGRATIONS_SKIP=<prefix>[,<prefix>...]`` leaves those
migrations out (alone or with ``..._UPTO``), to show what one later migration
fixes without dropping the ones after it, e.g. ``20261129000950``.

Without either the suite uses the normal template (every migration).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from backend.devserver.pg import BOOTSTRAP, migration_files
from tests.cloud.conftest import Db, PgServer, act_as, drop_db, new_db

__all__ = ["Db"]

UPTO_ENV = "MASHUPS_ABUSE_MIGRATIONS_UPTO"
SKIP_ENV = "MASHUPS_ABUSE_MIGRATIONS_SKIP"
OLD_SCHEMA = "20261122001100"  # the last migration before issue 10
N_CONCURRENT = 24  # issue 10 asks for at least 20 concurrent requests per limit and counter


def build_database(server: PgServer, name: str, upto: str | None = None, *, after: str | None = None,
                   skip: frozenset[str] = frozenset()) -> None:
    """Apply the bootstrap and the migrations whose 14-digit prefix is <= ``upto``
    (all when None) and not in ``skip`` to a new database; with ``after`` apply
    only the migrations after that prefix to an existing database."""
    if after is None:
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
    with psycopg.connect(server.dsn(name), autocommit=True) as conn:
        if after is None:
            conn.execute(BOOTSTRAP.read_text())
        for path in migration_files():
            prefix = path.name[:14]
            if (upto is not None and prefix > upto) or (after is not None and prefix <= after) or prefix in skip:
                continue
            try:
                conn.execute(path.read_text())
            except psycopg.Error as exc:
                raise RuntimeError(f"migration {path.name} failed: {exc}") from exc


@pytest.fixture(scope="session")
def abuse_template(pg_server: PgServer, request: pytest.FixtureRequest) -> str:
    upto = os.environ.get(UPTO_ENV) or None
    skip = skipped_migrations()
    if not upto and not skip:
        return str(request.getfixturevalue("template_db"))
    name = f"ms_abuse_tpl_{uuid.uuid4().hex[:8]}"
    build_database(pg_server, name, upto, skip=skip)
    return name


def skipped_migrations() -> frozenset[str]:
    return frozenset(p.strip() for p in os.environ.get(SKIP_ENV, "").split(",") if p.strip())


@pytest.fixture
def adb(pg_server: PgServer, abuse_template: str) -> Iterator[Db]:
    """A fresh database for one attack."""
    d = new_db(pg_server, abuse_template)
    try:
        yield d
    finally:
        drop_db(d)


def old_schema_mode() -> bool:
    return bool(os.environ.get(UPTO_ENV)) or bool(skipped_migrations())


# ---------------------------------------------------------------- calling as PostgREST does


def sql_as(db: Db, role: str, uid: str | None, q: str, *args: Any) -> list[dict[str, Any]]:
    """One statement as ``role``/``uid`` in its own transaction (committed)."""
    with db.connect() as conn, conn.transaction():
        act_as(conn, role, uid)
        cur = conn.execute(q, args)
        return cur.fetchall() if cur.description else []


def rpc(db: Db, uid: str | None, fn: str, *args: Any, role: str = "authenticated") -> Any:
    ph = ", ".join(["%s"] * len(args))
    rows = sql_as(db, role, uid, f"select public.{fn}({ph}) as r", *args)
    return rows[0]["r"]


def attempt(fn: Callable[[], Any]) -> Any:
    """Run an attack; return its result or the database error it raised."""
    try:
        return fn()
    except psycopg.Error as exc:
        return exc


def scalar(db: Db, q: str, *args: Any) -> Any:
    with db.connect() as conn:
        row = conn.execute(q, args).fetchone()
    assert row is not None
    return next(iter(row.values()))


def race(db: Db, calls: list[tuple[str, str | None, str, tuple[Any, ...]]]) -> list[Any]:
    """Run each (role, uid, sql, params) at the same moment on its own
    connection (threads released together by a barrier after the role is
    set); each is committed on its own. Returns rows or the exception."""
    n = len(calls)
    conns = [db.connect(autocommit=True) for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        role, uid, q, params = calls[i]
        conn = conns[i]
        try:
            with conn.transaction():
                act_as(conn, role, uid)
                barrier.wait(30)
                cur = conn.execute(q, params)
                results[i] = cur.fetchall() if cur.description else cur.rowcount
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for c in conns:
        c.close()
    return results


def errors(results: list[Any]) -> list[psycopg.Error]:
    return [r for r in results if isinstance(r, psycopg.Error)]


def unexpected(results: list[Any], *allowed_sqlstates: str) -> list[Any]:
    """Results that are neither a success nor one of the allowed errors."""
    return [r for r in results if isinstance(r, Exception)
            and not (isinstance(r, psycopg.Error) and r.sqlstate in allowed_sqlstates)]


# ---------------------------------------------------------------- the cast


@dataclass
class Cast:
    """An owner with a project shared with an editor and a viewer, a stranger,
    and the owner's public and private mashups."""

    db: Db
    owner: str
    editor: str
    viewer: str
    stranger: str
    project: str
    session: str
    public_mashup: str
    private_mashup: str


@pytest.fixture
def cast(adb: Db) -> Cast:
    owner, editor, viewer, stranger = (adb.create_user() for _ in range(4))
    adb.set_tier(owner, "pro")
    project = str(uuid.uuid4())
    with adb.connect(autocommit=True) as conn:
        conn.execute("insert into public.projects (id, owner_id, title) values (%s, %s, 'owned')", (project, owner))
        session = conn.execute("insert into public.collaboration_sessions (project_id, host_id) values (%s, %s) "
                               "returning id", (project, owner)).fetchone()
        assert session is not None
        sid = str(session["id"])
        conn.execute("insert into public.collaboration_participants (session_id, user_id, role) values "
                     "(%s, %s, 'editor'), (%s, %s, 'viewer')", (sid, editor, sid, viewer))
        pub = conn.execute("insert into public.mashups (owner_id, title) values (%s, 'public') returning id",
                           (owner,)).fetchone()
        priv = conn.execute("insert into public.mashups (owner_id, title, visibility) values (%s, 'private', "
                            "'private') returning id", (owner,)).fetchone()
    assert pub is not None and priv is not None
    return Cast(adb, owner, editor, viewer, stranger, project, sid, str(pub["id"]), str(priv["id"]))
