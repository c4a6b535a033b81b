"""Project contents in the local store, per entity (tracks, clips, markers,
caption lanes, media, properties; see :mod:`audio_engine.project.entities`).

Each entity row keeps its fields, a ``deleted`` tombstone flag and one hybrid
clock per field (``deleted`` included). Local edits write the row and their
outbox entry in one transaction; pulled rows merge field by field (newer clock
wins), exactly like the server, so every copy converges whatever the order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from .clock import HybridClock, parse

ENTITY_CURSOR = "pull_cursor_entities"


class EntityEdit(Protocol):
    """What :class:`audio_engine.project.entities.EntityChange` provides."""

    @property
    def kind(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def fields(self) -> dict[str, Any]: ...

    @property
    def deleted(self) -> bool: ...


class EntityMixin:
    """Entity methods of :class:`sync.store.LocalStore`."""

    clock: HybridClock
    _lock: Any
    _db: sqlite3.Connection

    if TYPE_CHECKING:  # provided by LocalStore
        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def queue(self, db: sqlite3.Connection, kind: str, entity_id: str, op: str, fields: Mapping[str, Any],
                  clock: str, *, key: str | None = None, project_id: str | None = None) -> str: ...

        def set_meta(self, key: str, value: str, db: sqlite3.Connection | None = None) -> None: ...

        def get_meta(self, key: str) -> str | None: ...

    # ------------------------------------------------------------ local edits
    def edit_entities(self, project_id: str, edits: Iterable[EntityEdit], *, full_fields: Mapping[str, Sequence[str]]
                      ) -> int:
        """Record entity edits of a project and queue them, atomically.
        ``full_fields`` (kind -> every field) tells when an edit (re)creates an
        entity: it then also clears the tombstone (undo of a delete)."""
        n = 0
        with self._tx() as db:
            for e in edits:
                clock = self.clock.tick()
                row = db.execute("select fields, field_clock from entities where project_id = ? and kind = ? "
                                 "and entity_id = ?", (project_id, e.kind, e.id)).fetchone()
                cur: dict[str, Any] = json.loads(row["fields"]) if row else {}
                fclock: dict[str, str] = json.loads(row["field_clock"]) if row else {}
                if e.deleted:
                    fields: dict[str, Any] = {"deleted": True}
                    op = "delete"
                else:
                    fields = dict(e.fields)
                    if set(full_fields.get(e.kind, ())) <= set(fields):
                        fields["deleted"] = False
                    op = "upsert"
                deleted_now = None
                for f, v in fields.items():
                    if f == "deleted":
                        deleted_now = bool(v)
                    else:
                        cur[f] = v
                    fclock[f] = clock
                if row is None:
                    db.execute("insert into entities (project_id, kind, entity_id, fields, deleted, field_clock) "
                               "values (?, ?, ?, ?, ?, ?)", (project_id, e.kind, e.id, json.dumps(cur),
                                                             1 if deleted_now else 0, json.dumps(fclock)))
                else:
                    db.execute("update entities set fields = ?, field_clock = ?, deleted = coalesce(?, deleted) "
                               "where project_id = ? and kind = ? and entity_id = ?",
                               (json.dumps(cur), json.dumps(fclock), None if deleted_now is None else int(deleted_now),
                                project_id, e.kind, e.id))
                self.queue(db, e.kind, e.id, op, fields if op == "upsert" else {}, clock, project_id=project_id)
                n += 1
        return n

    # ------------------------------------------------------------ upgrade
    def upgrade_caption_lanes(self, db: sqlite3.Connection) -> int:
        """Store version 2 -> 3: a caption lane that synced as one ``doc`` field
        becomes the lane (``meta``) and one ``caption_line`` row per line, with
        the ids every computer and the server's upgrade give them and the doc
        field's clock; pending outbox entries that carry a ``doc`` become the
        same per-line entries (nothing queued is lost). Returns lines made."""
        from audio_engine.project.entities import split_lane_doc

        n = 0
        for r in db.execute("select project_id, entity_id, fields, field_clock from entities "
                            "where kind = 'caption'").fetchall():
            fields: dict[str, Any] = json.loads(r["fields"])
            fclock: dict[str, str] = json.loads(r["field_clock"])
            if "doc" not in fields:
                continue
            meta, lines = split_lane_doc(r["entity_id"], fields.pop("doc"))
            clock = fclock.pop("doc", "")
            fields["meta"], fclock["meta"] = meta, clock
            db.execute("update entities set fields = ?, field_clock = ? where project_id = ? and kind = 'caption' "
                       "and entity_id = ?", (json.dumps(fields), json.dumps(fclock), r["project_id"], r["entity_id"]))
            for lid, lf in lines.items():
                db.execute("insert or ignore into entities (project_id, kind, entity_id, fields, deleted, field_clock) "
                           "values (?, 'caption_line', ?, ?, 0, ?)",
                           (r["project_id"], lid, json.dumps(lf), json.dumps(dict.fromkeys(lf, clock))))
                n += 1
        for e in db.execute("select seq, entity_id, fields, clock, project_id from outbox where kind = 'caption' "
                            "and state = 'pending'").fetchall():
            queued: dict[str, Any] = json.loads(e["fields"])
            if "doc" not in queued:
                continue
            meta, lines = split_lane_doc(e["entity_id"], queued.pop("doc"))
            queued["meta"] = meta
            db.execute("update outbox set fields = ? where seq = ?", (json.dumps(queued, sort_keys=True), e["seq"]))
            for lid, lf in lines.items():
                self.queue(db, "caption_line", lid, "upsert", lf, e["clock"], project_id=e["project_id"])
        return n

    # ------------------------------------------------------------ reads
    def entities(self, project_id: str) -> dict[tuple[str, str], dict[str, Any]]:
        """The live (not deleted) entities of a project."""
        with self._lock:
            rows = self._db.execute("select kind, entity_id, fields from entities where project_id = ? "
                                    "and deleted = 0", (project_id,)).fetchall()
        return {(r["kind"], r["entity_id"]): json.loads(r["fields"]) for r in rows}

    def entity_row(self, project_id: str, kind: str, entity_id: str) -> dict[str, Any] | None:
        with self._lock:
            r = self._db.execute("select * from entities where project_id = ? and kind = ? and entity_id = ?",
                                 (project_id, kind, entity_id)).fetchone()
        if r is None:
            return None
        return {"fields": json.loads(r["fields"]), "deleted": bool(r["deleted"]),
                "field_clock": json.loads(r["field_clock"])}

    def pending_for(self, project_id: str) -> int:
        with self._lock:
            return int(self._db.execute(
                "select count(*) from outbox where state = 'pending' and (project_id = ? or entity_id = ?)",
                (project_id, project_id)).fetchone()[0])

    def rejected_for(self, project_id: str) -> int:
        with self._lock:
            return int(self._db.execute(
                "select count(*) from outbox where state = 'rejected' and (project_id = ? or entity_id = ?)",
                (project_id, project_id)).fetchone()[0])

    # ------------------------------------------------------------ rejected
    def entity_discard(self, db: sqlite3.Connection, row: sqlite3.Row) -> None:
        """Undo the local effect of a rejected entity change (inside ``db``'s transaction)."""
        local = db.execute("select field_clock from entities where project_id = ? and kind = ? and entity_id = ?",
                           (row["project_id"], row["kind"], row["entity_id"])).fetchone()
        if local is not None:
            fclock: dict[str, str] = json.loads(local["field_clock"])
            names = list(json.loads(row["fields"])) + (["deleted"] if row["op"] == "delete" else [])
            for f in names:
                if fclock.get(f) == row["clock"]:
                    fclock[f] = ""
            db.execute("update entities set field_clock = ? where project_id = ? and kind = ? and entity_id = ?",
                       (json.dumps(fclock), row["project_id"], row["kind"], row["entity_id"]))
        self.set_meta(ENTITY_CURSOR, "", db)

    # ------------------------------------------------------------ remote
    @property
    def entity_cursor(self) -> str:
        return self.get_meta(ENTITY_CURSOR) or ""

    def apply_remote_entities(self, changes: Sequence[Mapping[str, Any]], cursor: str) -> set[str]:
        """Merge pulled entity rows field by field; returns the projects that changed."""
        touched: set[str] = set()
        with self._tx() as db:
            for ch in changes:
                pid, kind, eid = str(ch["project"]), str(ch["kind"]), str(ch["id"])
                row = ch["row"]
                rclock: dict[str, str] = dict(row.get("field_clock") or {})
                rfields: dict[str, Any] = dict(row.get("fields") or {})
                local = db.execute("select fields, field_clock, deleted from entities where project_id = ? "
                                   "and kind = ? and entity_id = ?", (pid, kind, eid)).fetchone()
                cur: dict[str, Any] = json.loads(local["fields"]) if local else {}
                lclock: dict[str, str] = json.loads(local["field_clock"]) if local else {}
                deleted = bool(local["deleted"]) if local else False
                changed = local is None
                for f, c in rclock.items():
                    if f in lclock and lclock[f] >= c:
                        continue
                    if f == "deleted":
                        deleted = bool(row.get("deleted"))
                    elif f in rfields:
                        cur[f] = rfields[f]
                    lclock[f] = c
                    changed = True
                if local is None:
                    db.execute("insert into entities (project_id, kind, entity_id, fields, deleted, field_clock) "
                               "values (?, ?, ?, ?, ?, ?)", (pid, kind, eid, json.dumps(cur), int(deleted),
                                                             json.dumps(lclock)))
                else:
                    db.execute("update entities set fields = ?, deleted = ?, field_clock = ? where project_id = ? "
                               "and kind = ? and entity_id = ?", (json.dumps(cur), int(deleted), json.dumps(lclock),
                                                                   pid, kind, eid))
                for c in rclock.values():
                    try:
                        parse(c)
                        self.clock.observe(c)
                    except ValueError:
                        pass
                if changed:
                    touched.add(pid)
            self.set_meta(ENTITY_CURSOR, cursor, db)
        return touched

    def forget_project(self, db: sqlite3.Connection, project_id: str) -> None:
        db.execute("delete from entities where project_id = ?", (project_id,))
        db.execute("delete from outbox where project_id = ? and state = 'pending'", (project_id,))

