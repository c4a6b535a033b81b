"""Issue 15 property: any interleaving of commands from two editors, with
their live messages delivered late, out of order or never, converges to the
same project on both once all changes are pulled (each side merges the
other's entity rows with their clocks, as a pull from the server does).

Runs on real local stores (SQLite) and the real LiveProject; no network is
involved: the channel is the list of messages in flight that the strategy
delivers or drops."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_engine.project import MoveClip, SetClipProperty, SetTrackProperty, open_project
from audio_engine.project.commands import Command
from audio_engine.project.entities import FIELDS, EntityChange, canonical, compose, decompose
from audio_engine.project.model import Project
from sync.cloud import open_cloud
from sync.collab import LiveProject, UndoConflictError
from sync.config import CloudConfig
from sync.projects import ProjectSync
from sync.store import LocalStore

from .test_project_sync import two_song_project

PID = "00000000-0000-4000-8000-000000000015"
A, B = "a" * 8 + "-0000-4000-8000-000000000001", "b" * 8 + "-0000-4000-8000-000000000002"
_counter = itertools.count()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return open_project(two_song_project(tmp_path_factory.mktemp("collab-prop"))).project


def all_rows(store: LocalStore) -> list[dict[str, Any]]:
    with store._lock:
        keys = store._db.execute("select kind, entity_id from entities where project_id = ?", (PID,)).fetchall()
    out = []
    for k in keys:
        row = store.entity_row(PID, k["kind"], k["entity_id"])
        assert row is not None
        out.append({"project": PID, "kind": k["kind"], "id": k["entity_id"], "row": row})
    return out


def editor(tmp: Path, name: str, uid: str, project: Project, seed: list[dict[str, Any]] | None) -> LiveProject:
    cloud = open_cloud(CloudConfig("http://127.0.0.1:9", "anon"), data_dir=tmp / name)
    assert cloud is not None
    ps = ProjectSync(cloud.store, cloud.engine, cloud.media, cache_dir=tmp / name / "cache", user_id=lambda: uid)
    if seed is None:
        cloud.store.edit_entities(PID, [EntityChange(k, i, f) for (k, i), f in decompose(project).items()],
                                  full_fields=FIELDS)
    else:
        cloud.store.apply_remote_entities(seed, "")
    return LiveProject(ps, PID, compose(cloud.store.entities(PID)), uid, {A: "editor", B: "editor"},
                       {A: "Ann", B: "Bob"})


def command(kind: int, clip: int, value: float) -> Command:
    cid = f"c{clip}"
    if kind == 0:
        return MoveClip(clip_id=cid, position=value)
    if kind == 1:
        return MoveClip(clip_id=cid, position=value, track_id=("t1", "t2")[clip % 2])
    if kind == 2:
        return SetClipProperty(clip_id=cid, name="gain_db", value=-value)
    return SetTrackProperty(track_id=("t1", "t2")[clip % 2], name="mute", value=value > 8)


step = st.tuples(
    st.sampled_from(["a", "b"]),          # who acts
    st.integers(0, 4),                    # 0-3: a command kind, 4: undo own
    st.integers(1, 3),                    # which clip
    st.floats(0, 16, allow_nan=False, allow_subnormal=False).map(lambda x: round(x, 2)),
    st.lists(st.integers(0, 20), max_size=3),  # in-flight messages to deliver now (indices, mod len)
    st.booleans(),                        # drop the oldest in-flight message
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_any_interleaving_with_delays_and_drops_converges_after_pull(base: Project, steps: list[Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="h15-prop-") as d:
        tmp = Path(d)
        a = editor(tmp, "a", A, base, None)
        b = editor(tmp, "b", B, base, all_rows(a.projects.store))
        in_flight: list[tuple[LiveProject, dict[str, Any]]] = []
        a.send = lambda m, _n: in_flight.append((b, m))
        b.send = lambda m, _n: in_flight.append((a, m))
        for who, kind, clip, value, deliver, drop in steps:
            me = a if who == "a" else b
            try:
                if kind == 4:
                    if me.can_undo:
                        me.undo()
                else:
                    me.edit(command(kind, clip, value))
            except UndoConflictError:
                pass
            for i in deliver:
                if in_flight:
                    target, msg = in_flight.pop(i % len(in_flight))
                    target.receive(msg)
            if drop and in_flight:
                in_flight.pop(0)
        # live copies agree with their own merged store at every point
        for x in (a, b):
            assert canonical(x.project).to_dict() == canonical(compose(x.projects.store.entities(PID))).to_dict()
        # the pull: each side merges every row the other holds
        ra, rb = all_rows(a.projects.store), all_rows(b.projects.store)
        a.projects.store.apply_remote_entities(rb, "")
        b.projects.store.apply_remote_entities(ra, "")
        a.rebuild()
        b.rebuild()
        assert canonical(a.project).to_dict() == canonical(b.project).to_dict()
        for x in (a, b):
            x.projects.store.close()


def test_an_edit_from_a_viewer_is_held_until_the_members_are_read_again(base: Project, tmp_path: Path) -> None:
    """b still knows A as a viewer when A's first edit after a promotion arrives:
    b holds it (changes nothing, drops nothing) and applies it once the
    members say A edits; edits from someone who stays a viewer are dropped
    then, and at most MAX_HELD are held."""
    from sync.collab import MAX_HELD

    a = editor(tmp_path, "a", A, base, None)
    b = editor(tmp_path, "b", B, base, all_rows(a.projects.store))
    sent: list[dict[str, Any]] = []
    a.send = lambda m, _n: sent.append(m)
    b.roles = {A: "viewer", B: "editor"}
    a.edit(MoveClip(clip_id="c1", position=5.0))
    assert b.receive(sent[-1]) is False
    assert b.project.clip("c1").position != 5.0 and b.dropped == 0
    b.members_changed({A: "editor", B: "editor"}, {A: "Ann", B: "Bob"})
    assert b.project.clip("c1").position == 5.0 and b.dropped == 0
    b.members_changed({A: "viewer", B: "editor"}, b.names)  # demoted again
    for k in range(MAX_HELD + 5):
        a.edit(MoveClip(clip_id="c1", position=6.0 + k))
        b.receive(sent[-1])
    assert b.dropped == 5  # over the bound: dropped at once
    b.members_changed({A: "viewer", B: "editor"}, b.names)  # still a viewer: the held ones are dropped
    assert b.dropped == MAX_HELD + 5 and b.project.clip("c1").position == 5.0
    for x in (a, b):
        x.projects.store.close()
