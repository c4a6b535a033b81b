"""The local SQLite store: durability settings, atomic edit+outbox, merge rules."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from sync.clock import HybridClock, parse
from sync.store import LocalStore


def test_pragmas_and_reopen(tmp_path: Path) -> None:
    s = LocalStore(tmp_path / "s.db")
    pid = s.create_project("A", bpm=100)
    dev = s.device_id
    assert s._db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert s._db.execute("pragma synchronous").fetchone()[0] == 2  # FULL
    s.close()
    s2 = LocalStore(tmp_path / "s.db")
    assert s2.device_id == dev and s2.project(pid)["title"] == "A" and s2.pending_count() == 1
    # the clock continues after the last local edit
    assert s2.clock.tick() > s2.pending()[0].clock


def test_edit_and_outbox_are_atomic(tmp_path: Path) -> None:
    s = LocalStore(tmp_path / "s.db")
    pid = s.create_project("A")
    # make the outbox insert fail: the row edit must be rolled back with it
    s._db.execute("create trigger boom before insert on outbox begin select raise(abort, 'disk full'); end")
    with pytest.raises(sqlite3.IntegrityError):
        s.update_project(pid, title="B")
    assert s.project(pid)["title"] == "A" and s.pending_count() == 1
    with pytest.raises(ValueError):
        s.update_project(pid, owner_id="someone")  # not a syncable field
    with pytest.raises(ValueError):
        s.edit("project", "not-a-uuid", {"title": "x"})


def test_remote_merge_is_per_field_by_clock(tmp_path: Path) -> None:
    s = LocalStore(tmp_path / "s.db", device_id="local")
    pid = s.create_project("mine", bpm=90)
    local_clock = s.project(pid)["field_clock"]["title"]
    ms, n, _ = parse(local_clock)
    older = f"{ms - 1:013d}-00000-remote"
    newer = f"{ms + 1000:013d}-00000-remote"
    s.apply_remote([{"kind": "project", "id": pid, "row": {
        "title": "theirs-old", "bpm": 150, "deleted": False,
        "field_clock": {"title": older, "bpm": newer}}}], cursor="c1")
    p = s.project(pid)
    assert p["title"] == "mine" and p["bpm"] == 150 and s.cursor == "c1"
    # the next local edit is later than anything seen
    s.update_project(pid, title="after")
    assert s.project(pid)["field_clock"]["title"] > newer


def test_rejected_entries_are_kept_until_the_user_acts(tmp_path: Path) -> None:
    s = LocalStore(tmp_path / "s.db")
    k1 = s.update_project(str(uuid.uuid4()), title="x")
    k2 = s.update_project(str(uuid.uuid4()), title="y")
    assert s.ack([{"key": k1, "status": "accepted"}, {"key": k2, "status": "rejected", "reason": "tier_limit"}]) \
        == (1, 1)
    (r,) = s.rejected()
    assert r.key == k2 and r.reason == "tier_limit" and s.pending_count() == 0
    k3 = s.retry_rejected(k2)
    assert s.rejected() == [] and [e.key for e in s.pending()] == [k3]
    s.ack([{"key": k3, "status": "rejected", "reason": "forbidden"}])
    s.discard_rejected(k3)
    assert s.rejected() == [] and s.pending_count() == 0


def test_hybrid_clock_is_monotonic_and_ordered() -> None:
    t = [1000]
    c = HybridClock("dev", now_ms=lambda: t[0])
    a = c.tick()
    b = c.tick()
    t[0] = 999  # wall clock goes backwards
    d = c.tick()
    assert a < b < d
    c.observe("0000000005000-00007-other")
    assert c.tick() > "0000000005000-00007-other"
    with pytest.raises(ValueError):
        HybridClock("bad device!")


def test_clock_from_a_fast_system_clock_is_dropped_on_start() -> None:
    now = 1_700_000_000_000
    far = f"{now + 10 * 86_400_000:013d}-00003-dev"
    near = f"{now + 60_000:013d}-00003-dev"
    assert HybridClock("dev", far, now_ms=lambda: now).tick() < far
    assert HybridClock("dev", near, now_ms=lambda: now).tick() > near  # small leads are kept (monotonic)


def test_store_upgrade_splits_caption_documents_into_lines(tmp_path: Path) -> None:
    """A version-2 store holds lanes as one ``doc`` field (and may have one queued):
    opening it makes the lane's lines entities of their own, with the ids the
    studio gives them and the doc's clock, and queues them in its place."""
    import json

    from audio_engine.project.model import line_id

    s = LocalStore(tmp_path / "s.db")
    pid = str(uuid.uuid4())
    doc = {"language": "en", "segments": [{"start": 0.0, "end": 1.0, "text": "one", "words": []},
                                          {"start": 1.0, "end": 2.0, "text": "two", "words": []}]}
    clock = s.clock.tick()
    with s._tx() as db:
        db.execute("insert into entities (project_id, kind, entity_id, fields, field_clock) values (?, 'caption', "
                   "'lane1', ?, ?)", (pid, json.dumps({"name": "L", "doc": doc}),
                                      json.dumps({"name": clock, "doc": clock})))
        s.queue(db, "caption", "lane1", "upsert", {"name": "L", "doc": doc}, clock, project_id=pid)
        s.set_meta("schema_version", "2", db)
    s.close()
    s = LocalStore(tmp_path / "s.db")
    ids = [line_id("lane1", 0), line_id("lane1", 1)]
    ents = s.entities(pid)
    assert ents[("caption", "lane1")] == {"name": "L", "meta": {"language": "en"}}
    assert [ents[("caption_line", i)]["text"] for i in ids] == ["one", "two"]
    row = s.entity_row(pid, "caption_line", ids[0])
    assert row is not None and set(row["field_clock"].values()) == {clock}
    queued = {(e.kind, e.entity_id): e for e in s.pending()}
    assert "doc" not in queued[("caption", "lane1")].fields
    assert queued[("caption_line", ids[1])].fields["text"] == "two" and queued[("caption_line", ids[1])].clock == clock
    assert s.get_meta("schema_version") == "3"
