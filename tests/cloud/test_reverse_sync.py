"""A reversed clip syncs through the real gateway and PostgreSQL (the clip
entity's ``reversed`` field, catalogued by migration 20261201000100): set on
one computer, it reaches the other (and the server row holds it); a
non-boolean value is refused by the server."""

from __future__ import annotations

import uuid

from audio_engine.project import SetClipProperty
from backend.devserver.gateway import Gateway

from .conftest import Db
from .test_entities_sql import ent, project, push
from .test_project_sync import TwoHomes, edit, home, two  # noqa: F401  (fixtures)
from .test_rpcs import clk


def test_reversed_clip_reaches_the_other_computer(gw: Gateway, db: Db, two: TwoHomes) -> None:  # noqa: F811
    a, b = two.a, two.b
    assert a.projects is not None and b.projects is not None
    pid, folder_b = two.share()
    assert b.projects.refresh_local(pid).clip("c1").reversed is False
    edit(a, pid, two.folder_a, SetClipProperty(clip_id="c1", name="reversed", value=True))
    a.sync()
    b.sync()
    pb = b.projects.refresh_local(pid)
    assert pb.clip("c1").reversed is True
    with db.connect() as conn:
        row = conn.execute("select fields -> 'reversed' as r from public.project_entities "
                           "where project_id = %s and kind = 'clip' and entity_id = 'c1'", (pid,)).fetchone()
    assert row == {"r": True}


def test_the_server_types_the_reversed_field(db: Db) -> None:
    u = db.create_user()
    pid = project(db, u)
    res = push(db, u, ent(pid, "clip", "c1", {"reversed": True}, clk(2)),
               ent(pid, "clip", "c2", {"reversed": "yes"}, clk(2)),
               ent(pid, "clip", str(uuid.uuid4()), {"reversed": 1}, clk(2)))
    assert [(r["status"], r.get("reason")) for r in res] == [("accepted", None), ("rejected", "invalid"),
                                                             ("rejected", "invalid")]
