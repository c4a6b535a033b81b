"""Fixtures for the cloud tests: a real PostgreSQL 15 with a Supabase-compatible
bootstrap and the project's migrations applied.

The server is a throwaway cluster created with the Debian postgresql-15
binaries (``initdb`` + ``pg_ctl``) in a temporary folder, listening only on a
unix socket there, with durability switched off for speed. Nothing of the
machine's own clusters is touched. Set ``MASHUPS_TEST_PG_DSN`` to use an
existing server instead (the DSN's user must be a superuser).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "backend" / "supabase" / "migrations"
BOOTSTRAP = Path(__file__).with_name("supabase_bootstrap.sql")


def _pg_bindir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install postgresql-15 (Debian) "
        "or set MASHUPS_TEST_PG_DSN to an existing server"
    )


@dataclass
class PgServer:
    base_dsn: str  # without dbname

    def dsn(self, dbname: str) -> str:
        return f"{self.base_dsn} dbname={dbname}"


def _run_as_postgres(cmd: list[str], cwd: Path) -> None:
    """Run a server binary; as root, as the ``postgres`` user (the server refuses to run as root)."""
    try:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")

            def demote() -> None:
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)

            subprocess.run(cmd, check=True, capture_output=True, preexec_fn=demote, cwd=cwd)  # noqa: PLW1509
        else:
            subprocess.run(cmd, check=True, capture_output=True, cwd=cwd)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{cmd[0]} failed: {exc.stderr.decode(errors='replace')}") from exc


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    env_dsn = os.environ.get("MASHUPS_TEST_PG_DSN")
    if env_dsn:
        yield PgServer(env_dsn)
        return
    bindir = _pg_bindir()
    tmp = Path(tempfile.mkdtemp(prefix="mashups-pg-"))
    data = tmp / "data"
    sock = tmp / "sock"
    sock.mkdir()
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        os.chown(sock, pw.pw_uid, pw.pw_gid)
    os.chmod(tmp, 0o755)
    _run_as_postgres(
        [str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"], tmp
    )
    opts = (
        f"-c listen_addresses='' -c unix_socket_directories={sock} -c port=5432 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=300 -c shared_buffers=128MB"
    )
    _run_as_postgres(
        [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-o", opts, "-w", "start"], tmp
    )
    try:
        yield PgServer(f"host={sock} port=5432 user={user}")
    finally:
        with contextlib.suppress(Exception):
            _run_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS.glob("*.sql"))


@pytest.fixture(scope="session")
def template_db(pg_server: PgServer) -> str:
    """A database with bootstrap + all migrations, used as template."""
    name = f"ms_template_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    with psycopg.connect(pg_server.dsn(name), autocommit=True) as conn:
        conn.execute(BOOTSTRAP.read_text())
        for path in migration_files():
            try:
                conn.execute(path.read_text())
            except psycopg.Error as exc:
                raise RuntimeError(f"migration {path.name} failed: {exc}") from exc
    return name


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
    name = f"ms_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template}"')
    return Db(pg_server, name)


def drop_db(db: Db) -> None:
    with psycopg.connect(db.server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{db.name}" with (force)')


@pytest.fixture(scope="module")
def db(pg_server: PgServer, template_db: str) -> Iterator[Db]:
    """A fresh database per test module, cloned from the migrated template."""
    d = new_db(pg_server, template_db)
    try:
        yield d
    finally:
        drop_db(d)


@pytest.fixture
def fresh_db(pg_server: PgServer, template_db: str) -> Iterator[Db]:
    """A fresh database for one test."""
    d = new_db(pg_server, template_db)
    try:
        yield d
    finally:
        drop_db(d)


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
