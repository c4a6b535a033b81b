"""Caption lines as entities (migration 20261130000300): the new kind follows
the rules of every other entity. Only owners and editors write lines, only
through sync_push; every field is typed and bounded (a flood of huge words or
text is refused whole and stores nothing); nobody writes line rows or their
clocks directly; an older studio's whole-lane document is refused with a
reason a person can act on."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .conftest import Cast, attempt, rpc, scalar, sql_as
from .test_write_paths import now_clock


def line(project: str, lid: str, fields: dict[str, Any], clock: str) -> dict[str, Any]:
    return {"key": str(uuid.uuid4()), "kind": "caption_line", "project": project, "id": lid, "op": "upsert",
            "fields": fields, "clock": clock}


def lines_of(cast: Cast) -> int:
    return int(scalar(cast.db, "select count(*) from public.project_entities where project_id = %s "
                      "and kind = 'caption_line'", cast.project))


def test_only_owner_and_editor_write_lines(cast: Cast) -> None:
    ok = {"lane_id": "lane-1", "start": 1.0, "end": 2.0, "text": "hello", "words": []}
    got = {who: rpc(cast.db, uid, "sync_push", Jsonb([line(cast.project, f"ln-{who}", ok, now_clock(1, who))]))[0]
           for who, uid in (("owner", cast.owner), ("editor", cast.editor), ("viewer", cast.viewer),
                            ("stranger", cast.stranger))}
    assert {w: (r["status"], r.get("reason")) for w, r in got.items()} == {
        "owner": ("accepted", None), "editor": ("accepted", None),
        "viewer": ("rejected", "forbidden"), "stranger": ("rejected", "forbidden")}
    assert lines_of(cast) == 2


def test_line_fields_are_typed_and_bounded(cast: Cast) -> None:
    word = {"start": 0.0, "end": 0.1, "text": "w" * 40, "probability": 1.0}
    bad = [
        {"words": [word] * 4000},  # ~300 kB of words > 200 kB
        {"text": "x" * 30_000},  # > 20 kB
        {"start": "soon"},
        {"words": "not a list"},
        {"lane_id": {"id": "x"}},
        {"speaker": "forged"},  # no such field
    ]
    res = rpc(cast.db, cast.owner, "sync_push",
              Jsonb([line(cast.project, f"ln-{i}", f, now_clock(i)) for i, f in enumerate(bad)]))
    assert [(r["status"], r["reason"]) for r in res] == [("rejected", "invalid")] * len(bad)
    assert lines_of(cast) == 0
    # a whole caption document from an older studio: refused, and it says what to do
    doc = {"key": str(uuid.uuid4()), "kind": "caption", "project": cast.project, "id": "lane-1", "op": "upsert",
           "fields": {"doc": {"segments": []}}, "clock": now_clock(9)}
    [r] = rpc(cast.db, cast.owner, "sync_push", Jsonb([doc]))
    assert (r["status"], r["reason"]) == ("rejected", "invalid") and "update Mashups Studio" in r["detail"]


def test_nobody_writes_line_rows_or_their_clocks_directly(cast: Cast) -> None:
    rpc(cast.db, cast.owner, "sync_push", Jsonb([line(cast.project, "ln-1", {"text": "mine"}, now_clock(1))]))
    for uid in (cast.owner, cast.editor, cast.stranger):
        ins = attempt(lambda uid=uid: sql_as(
            cast.db, "authenticated", uid,
            "insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, field_clock) "
            "values (%s, 'caption_line', 'ln-2', %s, '{}', '{}')", cast.project, cast.owner))
        upd = attempt(lambda uid=uid: sql_as(
            cast.db, "authenticated", uid,
            "update public.project_entities set field_clock = %s where entity_id = 'ln-1'",
            Jsonb({"text": "9999999999999-00000-forged"})))
        assert isinstance(ins, psycopg.errors.InsufficientPrivilege), ins
        assert isinstance(upd, psycopg.errors.InsufficientPrivilege), upd
    assert scalar(cast.db, "select field_clock ->> 'text' from public.project_entities where entity_id = 'ln-1'") \
        != "9999999999999-00000-forged"
    # a stranger does not even see the line
    assert sql_as(cast.db, "authenticated", cast.stranger,
                  "select entity_id from public.project_entities where kind = 'caption_line'") == []
