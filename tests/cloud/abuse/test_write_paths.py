"""Class 3: writes that bypass the rules. Project rows (each field paired with
its clock) and sync receipts are written only by sync_push; every remaining
client write grant is listed here with the rule that guards it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .conftest import N_CONCURRENT, Cast, attempt, race, rpc, scalar, sql_as

FAR = "9999999999999-99999-attacker"


def change(kind: str, id_: str, fields: dict[str, Any], clock: str, op: str = "upsert") -> dict[str, Any]:
    return {"key": str(uuid.uuid4()), "kind": kind, "id": id_, "op": op, "fields": fields, "clock": clock}


def now_clock(n: int = 0, dev: str = "owner") -> str:
    return f"{int(time.time() * 1000):013d}-{n:05d}-{dev}"


def test_nobody_writes_field_clocks_directly(cast: Cast) -> None:
    db = cast.db
    for uid in (cast.editor, cast.viewer, cast.stranger, cast.owner):
        err = attempt(lambda uid=uid: sql_as(db, "authenticated", uid,
                                             "update public.projects set title = 'frozen', field_clock = %s "
                                             "where id = %s", Jsonb({"title": FAR}), cast.project))
        assert isinstance(err, psycopg.errors.InsufficientPrivilege)
    row = sql_as(db, "service_role", None, "select title, field_clock from public.projects where id = %s", cast.project)
    assert row[0]["title"] == "owned" and FAR not in json.dumps(row[0]["field_clock"])
    # the owner's next edit through sync still lands
    res = rpc(db, cast.owner, "sync_push", Jsonb([change("project", cast.project, {"title": "fixed"}, now_clock())]))
    assert res[0]["status"] == "accepted"
    assert scalar(db, "select title from public.projects where id = %s", cast.project) == "fixed"


def test_no_direct_inserts_of_projects_or_media(cast: Cast) -> None:
    db = cast.db
    total = "select (select count(*) from public.projects) + (select count(*) from public.project_media)"
    before = scalar(db, total)
    for who in (cast.editor, cast.stranger, cast.owner):
        for q, args in (
            ("insert into public.projects (id, title, field_clock) values (%s, 'x', %s)",
             (str(uuid.uuid4()), Jsonb({"title": FAR}))),
            ("insert into public.project_media (id, project_id, name, size_bytes, field_clock) "
             "values (%s, %s, 'm', 1, %s)", (str(uuid.uuid4()), cast.project, Jsonb({"name": FAR}))),
        ):
            err = attempt(lambda who=who, q=q, args=args: sql_as(db, "authenticated", who, q, *args))
            assert isinstance(err, psycopg.errors.InsufficientPrivilege)
    assert scalar(db, total) == before


def test_forged_sync_receipt_cannot_make_a_change_look_applied(cast: Cast) -> None:
    db = cast.db
    key = "forged-key-0001"
    err = attempt(lambda: sql_as(db, "authenticated", cast.owner, "insert into public.sync_receipts "
                                 "(idempotency_key, result) values (%s, %s)", key,
                                 Jsonb({"key": key, "status": "accepted"})))
    assert isinstance(err, psycopg.errors.InsufficientPrivilege)
    c = change("project", cast.project, {"title": "real"}, now_clock())
    c["key"] = key
    res = rpc(db, cast.owner, "sync_push", Jsonb([c]))
    assert res[0]["status"] == "accepted" and res[0]["replayed"] is False
    assert scalar(db, "select title from public.projects where id = %s", cast.project) == "real"


def test_editor_syncs_viewer_and_stranger_cannot(cast: Cast) -> None:
    db = cast.db
    ok = rpc(db, cast.editor, "sync_push", Jsonb([change("project", cast.project, {"title": "e"}, now_clock(1, "e"))]))
    assert ok[0]["status"] == "accepted"
    for uid in (cast.viewer, cast.stranger):
        no = rpc(db, uid, "sync_push", Jsonb([change("project", cast.project, {"title": "x"}, now_clock(2, "x"))]))
        assert no[0]["status"] == "rejected" and no[0]["reason"] == "forbidden"
    assert scalar(db, "select title from public.projects where id = %s", cast.project) == "e"
    assert str(scalar(db, "select owner_id from public.projects where id = %s", cast.project)) == cast.owner


def test_concurrent_pushes_of_owner_and_editor_converge_by_clock(cast: Cast) -> None:
    db = cast.db
    calls = []
    for i in range(N_CONCURRENT):
        who = cast.owner if i % 2 else cast.editor
        calls.append(("authenticated", who, "select public.sync_push(%s) r",
                      (Jsonb([change("project", cast.project, {"title": f"t{i:02d}"}, f"{1_700_000_000_000 + i:013d}-00000-d{i}")]),)))
    results = race(db, calls)
    assert all(not isinstance(r, Exception) and r[0]["r"][0]["status"] == "accepted" for r in results)
    assert scalar(db, "select title from public.projects where id = %s", cast.project) == f"t{N_CONCURRENT - 1:02d}"


# Every INSERT/UPDATE the API roles hold, and what guards it. A new grant must
# be added here deliberately (with its rule) or the test fails.
REVIEWED = {
    ("captions", "INSERT"): "id,language,mashup_id,project_id,words",  # own rows; refs checked (captions_refs_guard)
    ("captions", "UPDATE"): "language,words",  # own rows, size-bounded
    ("collaboration_participants", "INSERT"): "role,session_id,user_id",  # host only; per-project limit
    ("collaboration_participants", "UPDATE"): "role",  # host only
    ("collaboration_sessions", "INSERT"): "id,project_id,status",  # project owner only
    ("collaboration_sessions", "UPDATE"): "status",  # host only; reopening cannot exceed the limit
    ("mashups", "INSERT"): "audio_path,description,id,project_id,title,visibility",  # quota + XP triggers
    ("mashups", "UPDATE"): "audio_path,description,title,visibility",  # counters guarded; XP follows visibility
    ("profiles", "UPDATE"): "avatar_url,bio,display_name,username",  # own profile, bounded
    ("recommendation_events", "INSERT"): "context,event_type,mashup_id,position",  # own rows; visible mashups
    ("revenue_split_recipients", "INSERT"): "id,recipient_email,recipient_id,share_bps,split_id",  # total <= 100 %
    ("revenue_split_recipients", "UPDATE"): "recipient_email,recipient_id,share_bps",  # split owner; total locked
    ("revenue_splits", "INSERT"): "id,mashup_id",  # own mashup
    ("voice_rooms", "INSERT"): "id,is_live,title",  # own rooms
    ("voice_rooms", "UPDATE"): "is_live,title",
}


def test_every_client_write_grant_is_reviewed(cast: Cast) -> None:
    with cast.db.connect() as conn:
        rows = conn.execute(
            "select table_name t, privilege_type p, string_agg(distinct column_name, ',' order by column_name) c "
            "from information_schema.column_privileges where table_schema = 'public' "
            "and grantee in ('anon', 'authenticated', 'PUBLIC') and privilege_type in ('INSERT', 'UPDATE') "
            "group by 1, 2").fetchall()
    assert {(r["t"], r["p"]): r["c"] for r in rows} == REVIEWED
