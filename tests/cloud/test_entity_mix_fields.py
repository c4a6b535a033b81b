"""Migration 20261130000200: a track's mix settings sync as entity fields
(typed and bounded like the rest; the catalogue must know them, or the
server refuses every change that carries one)."""

from __future__ import annotations

from .conftest import Db
from .test_entities_sql import ent, project, push
from .test_rpcs import clk, rows


def test_track_mix_settings_are_accepted_typed_and_round_trip(fresh_db: Db) -> None:
    from audio_engine.project import Project, Track
    from audio_engine.project.entities import compose, decompose

    u = fresh_db.create_user()
    pid = project(fresh_db, u)
    p = Project(tracks=[Track(id="voc", highpass_hz=100.0),
                        Track(id="inst", duck_source="voc", duck_db=4.0, presence_dip_db=3.0)])
    fields = decompose(p)[("track", "inst")]
    res = push(fresh_db, u,
               ent(pid, "track", "inst", fields, clk(2)),
               ent(pid, "track", "t2", {"duck_db": "loud"}, clk(2)),
               ent(pid, "track", "t3", {"duck_source": "x" * 500}, clk(2)))
    assert [r["status"] for r in res] == ["accepted", "rejected", "rejected"]
    [row] = rows(fresh_db, "select fields from public.project_entities where entity_id = 'inst'")
    back = compose({("track", "inst"): row["fields"], ("track", "voc"): decompose(p)[("track", "voc")]})
    assert back.track("inst").duck_source == "voc" and back.track("inst").duck_db == 4.0
    assert back.track("inst").presence_dip_db == 3.0
