"""Local store of synced data: SQLite in WAL mode with synchronous=FULL.

Every local edit updates the row *and* appends its outbox entry in the same
transaction, so an edit is either fully recorded (and will be pushed) or not at
all. Rejected outbox entries stay in the table with their reason until the
user retries or discards them; they are never dropped silently.

Conflict policy (same as the server): project and media metadata are
last-writer-wins per field by hybrid logical clock; deletes are tombstones
(``deleted`` is an ordinary LWW field). XP, votes and entitlements are not
stored here as editable data: they are server-authoritative and only cached.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clock import HybridClock, parse
from .entity_store import EntityMixin

FIELDS: dict[str, tuple[str, ...]] = {
    "project": ("title", "bpm", "musical_key", "duration_s", "deleted"),
    "project_media": ("project_id", "role", "name", "sha256", "size_bytes", "mime", "storage_path", "deleted"),
}
TABLES = {"project": "projects", "project_media": "project_media"}
_JSON_FIELDS: set[str] = set()
#: Entity kinds of a project's contents (audio_engine.project.entities); their
#: rows live in ``entities`` keyed by (project, kind, id).
ENTITY_KINDS = ("props", "media", "track", "clip", "marker", "caption", "caption_line")
_BOOL_FIELDS = {"deleted"}

_SCHEMA = """
create table if not exists meta (key text primary key, value text not null);
create table if not exists projects (
  id text primary key, title text not null default '', bpm real, musical_key text, duration_s real,
  timeline text not null default '{}', deleted integer not null default 0,
  field_clock text not null default '{}', owner_id text);
create table if not exists project_media (
  id text primary key, project_id text not null, role text not null default 'source',
  name text not null default '', sha256 text, size_bytes integer not null default 0, mime text,
  storage_path text, deleted integer not null default 0, field_clock text not null default '{}', owner_id text);
create table if not exists outbox (
  seq integer primary key autoincrement, key text not null unique, kind text not null,
  entity_id text not null, op text not null, fields text not null, clock text not null,
  state text not null default 'pending' check (state in ('pending', 'rejected')),
  reason text, detail text, created_at real not null);
create index if not exists outbox_state on outbox (state, seq);
create table if not exists entities (
  project_id text not null, kind text not null, entity_id text not null, fields text not null default '{}',
  deleted integer not null default 0, field_clock text not null default '{}',
  primary key (project_id, kind, entity_id));
"""

SCHEMA_VERSION = 3


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    key: str
    kind: str
    entity_id: str
    op: str
    fields: dict[str, Any]
    clock: str
    state: str
    reason: str | None
    detail: str | None

    project_id: str | None = None

    def as_change(self) -> dict[str, Any]:
        out = {"key": self.key, "kind": self.kind, "id": self.entity_id, "op": self.op,
               "fields": self.fields, "clock": self.clock}
        if self.project_id is not None:
            out["project"] = self.project_id
        return out


class LocalStore(EntityMixin):
    def __init__(self, path: Path | str, *, device_id: str | None = None) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("pragma journal_mode=WAL")
        self._db.execute("pragma synchronous=FULL")
        self._db.execute("pragma busy_timeout=5000")
        with self._tx() as db:
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    db.execute(stmt)
        version = self.get_meta("schema_version")
        if version is not None and int(version) > SCHEMA_VERSION:
            raise RuntimeError(f"sync store {self.path} is from a newer version ({version})")
        with self._tx() as db:
            cols = {r["name"] for r in db.execute("pragma table_info(outbox)").fetchall()}
            if "project_id" not in cols:  # version 1 -> 2: per-entity project sync
                db.execute("alter table outbox add column project_id text")
            if version is None or int(version) < 3:  # version 2 -> 3: caption lines sync one by one
                self.upgrade_caption_lanes(db)
            self.set_meta("schema_version", str(SCHEMA_VERSION), db)
        dev = self.get_meta("device_id")
        if dev is None:
            dev = device_id or uuid.uuid4().hex[:16]
            self.set_meta("device_id", dev)
        self.device_id = dev
        self.clock = HybridClock(dev, self.get_meta("hlc"))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ plumbing
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("begin immediate")
            try:
                yield self._db
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("select value from meta where key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str, db: sqlite3.Connection | None = None) -> None:
        (db or self._db).execute(
            "insert into meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value",
            (key, value))

    @property
    def cursor(self) -> str:
        return self.get_meta("pull_cursor") or ""

    @staticmethod
    def _to_sql(field: str, value: Any) -> Any:
        if field in _JSON_FIELDS:
            return json.dumps(value if value is not None else {}, sort_keys=True)
        if field in _BOOL_FIELDS:
            return 1 if value else 0
        return value

    @staticmethod
    def _from_row(kind: str, row: sqlite3.Row) -> dict[str, Any]:
        out = dict(row)
        for f in _JSON_FIELDS & set(out):
            out[f] = json.loads(out[f])
        for f in _BOOL_FIELDS & set(out):
            out[f] = bool(out[f])
        out["field_clock"] = json.loads(out["field_clock"])
        return out

    # ------------------------------------------------------------ local edits
    def edit(self, kind: str, entity_id: str, fields: Mapping[str, Any], *, op: str = "upsert") -> str:
        """Apply a local edit and queue it for push, atomically. Returns the idempotency key."""
        if kind not in FIELDS:
            raise ValueError(f"unknown kind {kind!r}")
        fields = dict(fields)
        if op == "delete":
            fields = {"deleted": True}
        elif op != "upsert":
            raise ValueError(f"unknown op {op!r}")
        bad = set(fields) - set(FIELDS[kind])
        if bad:
            raise ValueError(f"unknown fields for {kind}: {sorted(bad)}")
        uuid.UUID(entity_id)
        table = TABLES[kind]
        key = str(uuid.uuid4())
        with self._tx() as db:
            clock = self.clock.tick()
            row = db.execute(f"select field_clock from {table} where id = ?", (entity_id,)).fetchone()
            if row is None:
                if kind == "project_media" and "project_id" not in fields:
                    raise ValueError("new media needs project_id")
                init = {"id": entity_id, "project_id": fields.get("project_id")} if kind == "project_media" else {
                    "id": entity_id}
                cols = ", ".join(init)
                db.execute(f"insert into {table} ({cols}) values ({', '.join('?' * len(init))})",
                           list(init.values()))
                fclock: dict[str, str] = {}
            else:
                fclock = json.loads(row["field_clock"])
            for f, v in fields.items():
                db.execute(f"update {table} set {f} = ? where id = ?", (self._to_sql(f, v), entity_id))
                fclock[f] = clock
            db.execute(f"update {table} set field_clock = ? where id = ?", (json.dumps(fclock), entity_id))
            self.queue(db, kind, entity_id, op, fields, clock, key=key)
        return key

    def queue(self, db: sqlite3.Connection, kind: str, entity_id: str, op: str, fields: Mapping[str, Any],
              clock: str, *, key: str | None = None, project_id: str | None = None) -> str:
        """Append an outbox entry inside the caller's transaction."""
        key = key or str(uuid.uuid4())
        db.execute(
            "insert into outbox (key, kind, entity_id, op, fields, clock, created_at, project_id) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, kind, entity_id, op, json.dumps(dict(fields), sort_keys=True), clock, time.time(), project_id))
        self.set_meta("hlc", clock, db)
        return key

    def create_project(self, title: str, **fields: Any) -> str:
        pid = str(uuid.uuid4())
        self.edit("project", pid, {"title": title, **fields})
        return pid

    def update_project(self, project_id: str, **fields: Any) -> str:
        return self.edit("project", project_id, fields)

    def delete_project(self, project_id: str) -> str:
        return self.edit("project", project_id, {}, op="delete")

    def add_media(self, project_id: str, **fields: Any) -> str:
        return self.add_media_row(str(uuid.uuid4()), project_id, **fields)

    def add_media_row(self, media_id: str, project_id: str, **fields: Any) -> str:
        self.edit("project_media", media_id, {"project_id": project_id, **fields})
        return media_id

    # ------------------------------------------------------------ reads
    def get(self, kind: str, entity_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(f"select * from {TABLES[kind]} where id = ?", (entity_id,)).fetchone()
        return None if row is None else self._from_row(kind, row)

    def project(self, project_id: str) -> dict[str, Any] | None:
        return self.get("project", project_id)

    def projects(self, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        q = "select * from projects" + ("" if include_deleted else " where deleted = 0") + " order by id"
        with self._lock:
            return [self._from_row("project", r) for r in self._db.execute(q).fetchall()]

    def media(self, project_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("select * from project_media where project_id = ? and deleted = 0 order by id",
                                    (project_id,)).fetchall()
        return [self._from_row("project_media", r) for r in rows]

    def _entries(self, state: str, limit: int) -> list[OutboxEntry]:
        with self._lock:
            rows = self._db.execute("select * from outbox where state = ? order by seq limit ?",
                                    (state, limit)).fetchall()
        return [OutboxEntry(r["seq"], r["key"], r["kind"], r["entity_id"], r["op"], json.loads(r["fields"]),
                            r["clock"], r["state"], r["reason"], r["detail"], r["project_id"]) for r in rows]

    def pending(self, limit: int = 500) -> list[OutboxEntry]:
        return self._entries("pending", limit)

    def rejected(self, limit: int = 10_000) -> list[OutboxEntry]:
        return self._entries("rejected", limit)

    def pending_count(self) -> int:
        with self._lock:
            return int(self._db.execute("select count(*) from outbox where state = 'pending'").fetchone()[0])

    # ------------------------------------------------------------ push results
    def ack(self, results: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
        """Record the server's per-change answers. Returns (accepted, rejected)."""
        acc = rej = 0
        with self._tx() as db:
            for r in results:
                key = r.get("key")
                if r.get("status") == "accepted":
                    acc += db.execute("delete from outbox where key = ?", (key,)).rowcount
                elif r.get("status") == "rejected":
                    rej += db.execute(
                        "update outbox set state = 'rejected', reason = ?, detail = ? where key = ?",
                        (str(r.get("reason") or "rejected"), r.get("detail"), key)).rowcount
        return acc, rej

    def retry_rejected(self, key: str) -> str:
        """Queue a rejected change again (new key and clock, e.g. after an upgrade)."""
        with self._lock:
            row = self._db.execute("select * from outbox where key = ? and state = 'rejected'", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        with self._tx() as db:
            db.execute("delete from outbox where key = ?", (key,))
            if row["project_id"] is not None:  # an entity change: same fields, new clock
                return self.queue(db, row["kind"], row["entity_id"], row["op"], json.loads(row["fields"]),
                                  self.clock.tick(), project_id=row["project_id"])
        return self.edit(row["kind"], row["entity_id"], json.loads(row["fields"]), op=row["op"])

    def keep_local(self, key: str) -> None:
        """The user keeps the local state of a rejected change: it leaves the
        outbox without touching local data (it will not be sent again)."""
        with self._tx() as db:
            db.execute("delete from outbox where key = ? and state = 'rejected'", (key,))

    def discard_rejected(self, key: str) -> None:
        """The user chose to drop a rejected change: undo its local effect.

        Fields whose latest local write was this change lose their clock, so
        the server's value wins again; a row left with no clocked field and no
        pending change (e.g. a new project the server refused) is removed; the
        pull cursor is reset so the next pull brings back the server's rows.
        """
        with self._tx() as db:
            row = db.execute("select * from outbox where key = ? and state = 'rejected'", (key,)).fetchone()
            if row is None:
                return
            db.execute("delete from outbox where key = ?", (key,))
            if row["project_id"] is not None:
                self.entity_discard(db, row)
                return
            table = TABLES[row["kind"]]
            local = db.execute(f"select field_clock from {table} where id = ?", (row["entity_id"],)).fetchone()
            if local is not None:
                fclock: dict[str, str] = json.loads(local["field_clock"])
                for f in json.loads(row["fields"]):
                    if fclock.get(f) == row["clock"]:
                        fclock[f] = ""
                pending = db.execute("select 1 from outbox where entity_id = ? limit 1",
                                     (row["entity_id"],)).fetchone()
                if pending is None and not any(fclock.values()):
                    db.execute(f"delete from {table} where id = ?", (row["entity_id"],))
                else:
                    db.execute(f"update {table} set field_clock = ? where id = ?",
                               (json.dumps(fclock), row["entity_id"]))
            self.set_meta("pull_cursor", "", db)

    # ------------------------------------------------------------ remote changes
    def apply_remote(self, changes: Sequence[Mapping[str, Any]], cursor: str) -> int:
        """Merge pulled rows field by field (newer clock wins) and store the cursor, atomically."""
        applied = 0
        with self._tx() as db:
            for ch in changes:
                kind = str(ch["kind"])
                if kind not in FIELDS:
                    continue
                table = TABLES[kind]
                row = ch["row"]
                remote_clock: dict[str, str] = dict(row.get("field_clock") or {})
                local = db.execute(f"select field_clock from {table} where id = ?", (str(ch["id"]),)).fetchone()
                if local is None:
                    cols = ["id", "owner_id", "field_clock", *FIELDS[kind]]
                    vals = [str(ch["id"]), row.get("owner_id"), json.dumps(remote_clock)]
                    vals += [self._to_sql(f, row.get(f)) for f in FIELDS[kind]]
                    db.execute(f"insert into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})", vals)
                else:
                    lclock: dict[str, str] = json.loads(local["field_clock"])
                    for f, c in remote_clock.items():
                        if f in FIELDS[kind] and (f not in lclock or lclock[f] < c):
                            db.execute(f"update {table} set {f} = ? where id = ?",
                                       (self._to_sql(f, row.get(f)), str(ch["id"])))
                            lclock[f] = c
                    db.execute(f"update {table} set field_clock = ?, owner_id = ? where id = ?",
                               (json.dumps(lclock), row.get("owner_id"), str(ch["id"])))
                for c in remote_clock.values():
                    try:
                        parse(c)
                        self.clock.observe(c)
                    except ValueError:
                        pass
                applied += 1
            self.set_meta("pull_cursor", cursor, db)
        return applied

    def prune_unshared(self, visible: set[str], me: str) -> int:
        """Drop local copies of other people's projects that are no longer shared with ``me``."""
        with self._tx() as db:
            rows = db.execute("select id from projects where owner_id is not null and owner_id <> ?",
                              (me,)).fetchall()
            gone = [r["id"] for r in rows if r["id"] not in visible]
            for pid in gone:
                db.execute("delete from project_media where project_id = ?", (pid,))
                self.forget_project(db, pid)
                db.execute("delete from outbox where entity_id = ? and state = 'pending'", (pid,))
                db.execute("delete from projects where id = ?", (pid,))
        return len(gone)

    # ------------------------------------------------------------ cached server state
    def cache_json(self, key: str, value: Any) -> None:
        with self._tx() as db:
            self.set_meta("cache:" + key, json.dumps(value), db)

    def cached_json(self, key: str) -> Any:
        raw = self.get_meta("cache:" + key)
        return None if raw is None else json.loads(raw)
