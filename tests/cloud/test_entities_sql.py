"""Migration 20261129001000 (per-entity project sync) on the real database:
bounded, typed fields; only owners and editors write, through sync_push;
clocks decide per field whatever the order; the entity pull pages with its
cursor; the old whole-timeline rows are upgraded into entities."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from backend.devserver.pg import BOOTSTRAP, PgServer, drop_database, migration_files

from .conftest import Db
from .test_rpcs import clk, rows, rpc

MINE = "20261129001000_project_entities.sql"


def push(db: Db, uid: str, *changes: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = rpc(db, uid, "sync_push", Jsonb(list(changes)))
    return out


def ent(project: str, kind: str, eid: str, fields: dict[str, Any], clock: str, op: str = "upsert") -> dict[str, Any]:
    return {"key": str(uuid.uuid4()), "kind": kind, "project": project, "id": eid, "op": op, "fields": fields,
            "clock": clock}


def project(db: Db, uid: str) -> str:
    pid = str(uuid.uuid4())
    [r] = push(db, uid, {"key": str(uuid.uuid4()), "kind": "project", "id": pid, "op": "upsert",
                         "fields": {"title": "p"}, "clock": clk(1)})
    assert r["status"] == "accepted", r
    return pid


def test_fields_are_typed_and_bounded(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    pid = project(fresh_db, u)
    res = push(fresh_db, u,
               ent(pid, "clip", "c1", {"position": 4.0, "name": "ok"}, clk(2)),
               ent(pid, "clip", "c2", {"position": "four"}, clk(2)),
               ent(pid, "clip", "c3", {"hacked": 1}, clk(2)),
               ent(pid, "clip", "c4", {"name": "x" * 5000}, clk(2)),
               ent(pid, "caption", "l1", {"doc": {"segments": ["w" * 100] * 20000}}, clk(2)),
               ent(pid, "clip", "../etc", {"name": "x"}, clk(2)),
               ent(pid, "nonsense", "n1", {"name": "x"}, clk(2)),
               ent(pid, "project", "x", {"timeline": {}}, clk(2)),
               ent(pid, "clip", "c5", {"name": "x"}, "9999999999999-00000-future"))
    assert [r["status"] for r in res] == ["accepted"] + ["rejected"] * 8
    assert [r["reason"] for r in res[1:]] == ["invalid"] * 7 + ["clock_ahead"]
    assert rows(fresh_db, "select entity_id from public.project_entities") == [{"entity_id": "c1"}]


def test_only_owner_and_editors_write_and_clients_cannot_write_directly(fresh_db: Db) -> None:
    owner, stranger = fresh_db.create_user(), fresh_db.create_user()
    pid = project(fresh_db, owner)
    [r] = push(fresh_db, stranger, ent(pid, "clip", "c1", {"name": "mine now"}, clk(3)))
    assert (r["status"], r["reason"]) == ("rejected", "forbidden")
    with fresh_db.connect() as conn:
        with conn.transaction():
            conn.execute("set local role authenticated")
            conn.execute("select set_config('request.jwt.claims', %s, true)",
                         (json.dumps({"sub": owner, "role": "authenticated"}),))
            try:
                conn.execute("insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, "
                             "field_clock) values (%s, 'clip', 'c1', %s, '{}', %s)",
                             (pid, owner, Jsonb({"name": "9999999999999-00000-x"})))
            except psycopg.errors.InsufficientPrivilege:
                pass
            else:
                raise AssertionError("a client wrote project_entities (and its clocks) directly")


def test_per_field_lww_in_any_order_and_tombstones(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    pid = project(fresh_db, u)
    a = ent(pid, "clip", "c1", {"position": 1.0, "gain_db": -3.0, "track_id": "t1"}, clk(10))
    b = ent(pid, "clip", "c1", {"gain_db": -9.0}, clk(20))
    d = ent(pid, "clip", "c1", {}, clk(15), op="delete")
    m = ent(pid, "clip", "c1", {"position": 5.0}, clk(30))  # a later move does not undelete
    for order in ([a, b, d, m], [m, d, b, a]):
        pid2 = project(fresh_db, u)
        for c in order:
            push(fresh_db, u, {**c, "project": pid2, "key": str(uuid.uuid4())})
        [row] = rows(fresh_db, "select fields, deleted from public.project_entities where project_id = %s", pid2)
        assert row["deleted"] is True
        assert row["fields"] == {"position": 5.0, "gain_db": -9.0, "track_id": "t1"}


def test_entity_pull_pages_with_its_cursor(fresh_db: Db) -> None:
    u, other = fresh_db.create_user(), fresh_db.create_user()
    pid = project(fresh_db, u)
    project(fresh_db, other)
    push(fresh_db, u, *[ent(pid, "marker", f"m{i}", {"position": float(i)}, clk(40 + i)) for i in range(7)])
    seen: list[str] = []
    cursor = ""
    while True:
        page = rpc(fresh_db, u, "sync_pull_entities", cursor, 3)
        seen += [c["id"] for c in page["changes"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert sorted(seen) == [f"m{i}" for i in range(7)]
    assert rpc(fresh_db, other, "sync_pull_entities", "", 100)["changes"] == []


def test_whole_timeline_rows_are_upgraded_into_entities(pg_server: PgServer) -> None:
    name = f"ms_upgrade_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        files = migration_files()
        cut = next(i for i, f in enumerate(files) if f.name == MINE)
        with psycopg.connect(pg_server.dsn(name), autocommit=True) as conn:
            conn.execute(BOOTSTRAP.read_text())
            for f in files[:cut]:
                conn.execute(f.read_text())
            uid = conn.execute("insert into auth.users (email) values ('old@example.test') returning id").fetchone()
            assert uid is not None
            pid = str(uuid.uuid4())
            timeline = {"id": "project-old", "title": "Old", "artist": "", "tempo": 121.5, "key": None,
                        "time_signature": [4, 4], "sample_rate": 44100, "notes": [],
                        "tracks": [{"id": "t1", "name": "A", "gain_db": 0.0, "pan": 0.0, "mute": False, "solo": False,
                                    "clips": [{"id": "c1", "media": "a" * 64, "position": 2.0, "source_in": 0.0,
                                               "source_out": 3.0}]}],
                        "markers": [{"id": "m1", "position": 4.0, "name": "drop"}],
                        "caption_lanes": [],
                        "media": {"a" * 64: {"hash": "a" * 64, "name": "song", "ext": ".flac"}}}
            conn.execute("insert into public.projects (id, owner_id, title, timeline, field_clock) "
                         "values (%s, %s, 'Old', %s, %s)",
                         (pid, uid[0], Jsonb(timeline), Jsonb({"timeline": clk(5)})))
            for f in files[cut:]:
                conn.execute(f.read_text())
            got = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(
                "select kind, entity_id, fields, field_clock from public.project_entities where project_id = %s",
                (pid,)).fetchall()}
            left = conn.execute("select timeline, field_clock from public.projects where id = %s", (pid,)).fetchone()
        assert set(got) == {("props", "project"), ("track", "t1"), ("clip", "c1"), ("marker", "m1"),
                            ("media", "a" * 64)}
        assert got[("clip", "c1")][0]["track_id"] == "t1" and got[("clip", "c1")][0]["position"] == 2.0
        assert got[("props", "project")][0]["tempo"] == 121.5 and got[("props", "project")][0]["model_id"] == "project-old"
        assert got[("track", "t1")][0]["order"] == 0
        assert set(got[("clip", "c1")][1].values()) == {clk(5)}  # the timeline's clock carries over
        assert left is not None and left[0] == {} and "timeline" not in left[1]
    finally:
        drop_database(pg_server, name)


def test_server_catalogue_lists_every_client_entity_field(db: Db) -> None:
    """A field added to the project model needs a migration adding it to
    private.entity_fields; without it, every change carrying it is refused."""
    from audio_engine.project.entities import FIELDS

    with db.connect() as conn:
        got = {(r["kind"], r["field"]) for r in conn.execute("select kind, field from private.entity_fields")}
    want = {(k, f) for k, fs in FIELDS.items() for f in fs}
    assert want - got == set(), f"add these to private.entity_fields in a new migration: {sorted(want - got)}"


LINES = "20261130000300_caption_lines.sql"


def test_caption_lanes_are_upgraded_into_lines_with_the_ids_the_studio_gives(pg_server: PgServer) -> None:
    """A lane synced as one document becomes line rows whose ids are the ones the
    studio gives the same lines when it opens the old project, carrying the
    document's clock; the lane keeps the document's meta."""
    from audio_engine.project.entities import compose
    from audio_engine.project.model import Project

    name = f"ms_lines_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    lane = {"id": "lane-old", "name": "Lyrics", "clip_id": None,
            "doc": {"language": "en", "model": "small", "segments": [
                {"start": 0.5, "end": 1.5, "text": "first line", "words": [
                    {"start": 0.5, "end": 1.0, "text": "first", "probability": 0.9},
                    {"start": 1.0, "end": 1.5, "text": "line", "probability": 0.8}]},
                {"start": 2.0, "end": 3.0, "text": "second", "words": []}]}}
    try:
        files = migration_files()
        cut = next(i for i, f in enumerate(files) if f.name == LINES)
        with psycopg.connect(pg_server.dsn(name), autocommit=True) as conn:
            conn.execute(BOOTSTRAP.read_text())
            for f in files[:cut]:
                conn.execute(f.read_text())
            uid = conn.execute("insert into auth.users (email) values ('lines@example.test') returning id").fetchone()
            assert uid is not None
            pid = str(uuid.uuid4())
            conn.execute("insert into public.projects (id, owner_id, title) values (%s, %s, 'Old')", (pid, uid[0]))
            conn.execute("insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, "
                         "field_clock) values (%s, 'caption', 'lane-old', %s, %s, %s)",
                         (pid, uid[0], Jsonb({k: v for k, v in lane.items() if k != "id"}),
                          Jsonb({"name": clk(3), "clip_id": clk(3), "doc": clk(7)})))
            for f in files[cut:]:
                conn.execute(f.read_text())
            got = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(
                "select kind, entity_id, fields, field_clock from public.project_entities where project_id = %s",
                (pid,)).fetchall()}
        studio = Project.from_dict({"tempo": 120.0, "caption_lanes": [lane]}).caption_lanes[0]
        assert {eid for k, eid in got if k == "caption_line"} == {s["id"] for s in studio.lines()}
        fields, clocks = got[("caption", "lane-old")]
        assert fields == {"name": "Lyrics", "clip_id": None, "meta": {"language": "en", "model": "small"}}
        assert clocks == {"name": clk(3), "clip_id": clk(3), "meta": clk(7)}
        assert all(set(c.values()) == {clk(7)} for (k, _), (_, c) in got.items() if k == "caption_line")
        composed = compose({k: f for k, (f, _) in got.items()}).caption_lanes[0]
        assert composed.doc == studio.doc  # the cloud copy and the opened old file hold the same lines
    finally:
        drop_database(pg_server, name)


def test_caption_lines_are_entities_with_per_line_lww(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    pid = project(fresh_db, u)
    res = push(fresh_db, u,
               ent(pid, "caption", "l1", {"name": "Lyrics", "clip_id": None, "meta": {"language": "en"}}, clk(2)),
               ent(pid, "caption_line", "ln-a", {"lane_id": "l1", "start": 0.0, "end": 1.0, "text": "a", "words": []},
                   clk(2)),
               ent(pid, "caption_line", "ln-b", {"lane_id": "l1", "start": 1.0, "end": 2.0, "text": "b", "words": []},
                   clk(2)),
               # two computers edit different lines: both kept; the same line: the later clock wins
               ent(pid, "caption_line", "ln-a", {"text": "A from laptop"}, clk(5)),
               ent(pid, "caption_line", "ln-b", {"text": "B from desktop"}, clk(4)),
               ent(pid, "caption_line", "ln-b", {"text": "B older"}, clk(3)))
    assert [r["status"] for r in res] == ["accepted"] * 6
    texts = {r["entity_id"]: r["text"] for r in rows(
        fresh_db, "select entity_id, fields ->> 'text' as text from public.project_entities "
                  "where project_id = %s and kind = 'caption_line'", pid)}
    assert texts == {"ln-a": "A from laptop", "ln-b": "B from desktop"}
