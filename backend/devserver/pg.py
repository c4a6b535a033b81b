"""A throwaway PostgreSQL for development and tests (never shipped).

A cluster is created with the machine's PostgreSQL server binaries
(``initdb`` + ``pg_ctl``, Debian's postgresql-15 or any on PATH) in a
temporary folder, listening only on a unix socket there, with durability
switched off for speed. Nothing of the machine's own clusters is touched.
Databases get the Supabase stand-in bootstrap (``supabase_bootstrap.sql``:
auth/storage schemas, roles, ``auth.uid()``) and the project's migrations.

Used by ``scripts/local-backend.sh`` (``python -m backend.devserver``) and by
the cloud tests' fixtures (tests/cloud/conftest.py): one implementation.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "backend" / "supabase" / "migrations"
BOOTSTRAP = Path(__file__).with_name("supabase_bootstrap.sql")


def pg_bindir() -> Path:
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


@contextlib.contextmanager
def throwaway_cluster(*, max_connections: int = 300) -> Iterator[PgServer]:
    """Start a private cluster; stop it and delete its folder on exit.
    ``MASHUPS_TEST_PG_DSN`` (a superuser DSN without dbname) uses an existing
    server instead."""
    env_dsn = os.environ.get("MASHUPS_TEST_PG_DSN")
    if env_dsn:
        yield PgServer(env_dsn)
        return
    bindir = pg_bindir()
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
    try:
        _run_as_postgres(
            [str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"], tmp
        )
        opts = (
            f"-c listen_addresses='' -c unix_socket_directories={sock} -c port=5432 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections={max_connections} -c shared_buffers=128MB"
        )
        _run_as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-o", opts, "-w", "start"], tmp
        )
        yield PgServer(f"host={sock} port=5432 user={user}")
    finally:
        if data.exists():
            with contextlib.suppress(Exception):
                _run_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS.glob("*.sql"))


def create_database(server: PgServer, name: str | None = None, *, template: str | None = None) -> str:
    """Create a database: a copy of ``template``, or bootstrap + every migration."""
    name = name or f"ms_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        if template:
            conn.execute(f'create database "{name}" template "{template}"')
            return name
        conn.execute(f'create database "{name}"')
    with psycopg.connect(server.dsn(name), autocommit=True) as conn:
        conn.execute(BOOTSTRAP.read_text())
        for path in migration_files():
            try:
                conn.execute(path.read_text())
            except psycopg.Error as exc:
                raise RuntimeError(f"migration {path.name} failed: {exc}") from exc
    return name


def drop_database(server: PgServer, name: str) -> None:
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
