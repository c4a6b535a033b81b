"""Cloud projects end to end: two computers (two homes) and one account over
the real HTTP gateway and PostgreSQL with the migrations. A project with two
songs is saved to the cloud on one computer and opened on the other; edits
made on both (one of them offline) merge per entity, field by field; renders
of the two copies are identical; tombstones stay; media transfers resume
and are checked by hash; another user sees nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from audio_engine.project import (
    AddClip,
    MoveClip,
    Project,
    RemoveTrack,
    SetCaptions,
    SetClipProperty,
    TrimClip,
    open_project,
    save_project,
)
from audio_engine.project.entities import canonical
from audio_engine.project.media import MediaStore, add_song
from audio_engine.project.render import render_project
from backend.devserver.gateway import ANON_KEY, Gateway
from sync.auth import MemoryTokenStore
from sync.config import CloudConfig
from sync.errors import IntegrityError, OfflineError, SyncError
from sync.projects import ProjectSync
from sync.session import CloudSession
from sync.transport import RetryPolicy
from tests.project.helpers import click_track, tone, two_song_tracks

from .conftest import Db

Factory = Callable[[str], CloudSession]


@pytest.fixture
def home(tmp_path: Path, gw: Gateway) -> Iterator[Factory]:
    made: list[CloudSession] = []

    def make(name: str, *, chunk_size: int | None = 64 * 1024) -> CloudSession:
        s = CloudSession(CloudConfig(gw.url, ANON_KEY, timeout_s=5), data_dir=tmp_path / name,
                         token_store=MemoryTokenStore(), retry=RetryPolicy(attempts=2, initial_s=0.01, max_s=0.02),
                         chunk_size=chunk_size)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def email(tag: str) -> str:
    return f"{tag}-{time.monotonic_ns()}@example.test"


@dataclass
class TwoHomes:
    """Two computers signed in to one (pro) account; A has the two-song project."""

    a: CloudSession
    b: CloudSession
    folder_a: Path
    tmp: Path

    @property
    def ps_a(self) -> ProjectSync:
        assert self.a.projects is not None
        return self.a.projects

    @property
    def ps_b(self) -> ProjectSync:
        assert self.b.projects is not None
        return self.b.projects

    def share(self) -> tuple[str, Path]:
        """A saves the project to the cloud, B opens it: (cloud id, B's folder)."""
        pid = self.ps_a.upload(self.folder_a)
        return pid, self.ps_b.download(pid, self.tmp / "B" / "p.mashup")


@pytest.fixture
def two(tmp_path: Path, db: Db, home: Factory) -> TwoHomes:
    folder_a = two_song_project(tmp_path)
    a, b = home("a"), home("b", chunk_size=16 * 1024)
    addr = email("two")
    uid = a.sign_up(addr, "secret-pw")
    db.set_tier(uid, "pro")
    b.sign_in(addr, "secret-pw")
    return TwoHomes(a, b, folder_a, tmp_path)


def two_song_project(tmp: Path) -> Path:
    """A saved .mashup with two songs (one with a stem) on two tracks."""
    src = tmp / "src"
    src.mkdir(parents=True, exist_ok=True)
    store = MediaStore(tmp / "lib")
    a = add_song(store, tone(src / "a.flac", seconds=6.0, freq=330.0), stems={"vocals": click_track(src / "av.flac",
                                                                                                   seconds=6.0)},
                 bpm=120.0, title="Song A")
    b = add_song(store, tone(src / "b.flac", seconds=6.0, freq=550.0), bpm=120.0, title="Song B")
    p, st = two_song_tracks("Two songs", a, b)
    st.push(AddClip(track_id="t1", clip={"id": "c3", "media": a.hash, "stem": "vocals", "source_in": 1.0,
                                         "source_out": 3.0, "position": 8.0, "source_bpm": 120.0}))
    st.push(SetCaptions(lane_id="lyrics", clip_id="c3", name="Lyrics", doc={"language": "en", "segments": [
        {"start": 1.0 + i * 0.6, "end": 1.5 + i * 0.6, "text": f"line {i}", "words": []} for i in range(3)]}))
    return save_project(p, tmp / "A" / "Two songs.mashup", media_sources=store)


def edit(session: CloudSession, pid: str, folder: Path, command: object) -> Project:
    """Apply a command to the project in ``folder`` like the editor does, save, record it for sync."""
    opened = open_project(folder)
    p = opened.project
    command.apply(p)  # type: ignore[attr-defined]
    save_project(p, folder)
    assert session.projects is not None
    session.projects.record(pid, command, p)  # type: ignore[arg-type]
    return p


def render(folder: Path) -> np.ndarray:
    opened = open_project(folder)
    return render_project(opened.project, media=opened.media, target_lufs=None, workers=1, tag=False).audio.samples


def test_two_computers_one_account_edit_offline_and_converge(gw: Gateway, two: TwoHomes) -> None:
    a, b, folder_a, tmp_path = two.a, two.b, two.folder_a, two.tmp
    assert a.projects is not None and b.projects is not None

    pid = a.projects.upload(folder_a)
    b.sync()
    listed = b.projects.list()
    assert [(x.id, x.title, x.state) for x in listed] == [(pid, "Two songs", "synced")]
    folder_b = b.projects.download(pid, tmp_path / "B" / "Two songs.mashup")
    assert canonical(open_project(folder_b).project).to_dict() == canonical(open_project(folder_a).project).to_dict()

    # B moves clip 1 while A, offline, trims clip 2
    edit(b, pid, folder_b, MoveClip(clip_id="c1", position=2.0))
    gw.stop()
    edit(a, pid, folder_a, TrimClip(clip_id="c2", source_in=0.5, source_out=3.5))
    with pytest.raises(OfflineError):
        a.sync()
    assert a.status.state == "offline" and a.status.pending >= 1
    gw.start()
    b.sync()
    a.sync()
    b.sync()
    pa, pb = a.projects.refresh_local(pid), b.projects.refresh_local(pid)
    assert pa.to_dict() == pb.to_dict()
    assert pa.clip("c1").position == 2.0 and (pa.clip("c2").source_in, pa.clip("c2").source_out) == (0.5, 3.5)
    assert np.array_equal(render(folder_a), render(folder_b))


def test_same_field_later_clock_wins_and_deleted_track_clips_stay_deleted(db: Db, two: TwoHomes) -> None:
    a, b, folder_a = two.a, two.b, two.folder_a
    assert a.projects is not None and b.projects is not None
    pid, folder_b = two.share()

    # both set the gain of clip 1 offline; B's edit is later
    edit(a, pid, folder_a, SetClipProperty(clip_id="c1", name="gain_db", value=-3.0))
    time.sleep(0.01)
    edit(b, pid, folder_b, SetClipProperty(clip_id="c1", name="gain_db", value=-9.0))
    # A deletes track 1 (clips c1 and c3); B, later, moves c3 (on the deleted track)
    edit(a, pid, folder_a, RemoveTrack(track_id="t1"))
    time.sleep(0.01)
    edit(b, pid, folder_b, MoveClip(clip_id="c3", position=12.0))
    a.sync()
    b.sync()
    a.sync()
    pa, pb = a.projects.refresh_local(pid), b.projects.refresh_local(pid)
    assert pa.to_dict() == pb.to_dict()
    assert [t.id for t in pa.tracks] == ["t2"]
    assert {c.id for c in pa.clips()} == {"c2"}  # the deleted track's clips did not come back
    row = a.require().store.entity_row(pid, "clip", "c1")
    assert row is not None and row["deleted"] and row["fields"]["gain_db"] == -9.0  # later clock won the field
    with db.connect() as conn:
        server = conn.execute("select fields ->> 'gain_db' as g, deleted from public.project_entities "
                              "where project_id = %s and kind = 'clip' and entity_id = 'c1'", (pid,)).fetchone()
    assert server == {"g": "-9.0", "deleted": True}


def edit_line(session: CloudSession, pid: str, folder: Path, index: int, text: str) -> None:
    """Change the text of one caption line the way the editor does: the lane's
    document with that line changed (ids kept), as one SetCaptions command."""
    lane = open_project(folder).project.caption_lanes[0]
    doc = json.loads(json.dumps(lane.doc))
    doc["segments"][index]["text"] = text
    edit(session, pid, folder, SetCaptions(lane_id=lane.id, clip_id=lane.clip_id, name=lane.name, doc=doc))


def test_caption_lines_edited_offline_on_two_computers_merge_line_by_line(gw: Gateway, db: Db,
                                                                          two: TwoHomes) -> None:
    """Both computers edit lines of the same lane offline: different lines both
    survive; the line both edited takes the later edit (hybrid clock), on both."""
    a, b = two.a, two.b
    pid, folder_b = two.share()
    gw.stop()
    edit_line(a, pid, two.folder_a, 0, "A wrote line 0")
    edit_line(a, pid, two.folder_a, 1, "A wrote line 1")
    time.sleep(0.002)  # B's edit of line 1 is the later one (clocks are milliseconds)
    edit_line(b, pid, folder_b, 2, "B wrote line 2")
    edit_line(b, pid, folder_b, 1, "B wrote line 1")
    gw.start()
    a.sync()
    b.sync()
    a.sync()
    pa, pb = two.ps_a.refresh_local(pid), two.ps_b.refresh_local(pid)
    assert pa.to_dict() == pb.to_dict()
    assert [s["text"] for s in pa.caption_lanes[0].lines()] == ["A wrote line 0", "B wrote line 1", "B wrote line 2"]
    assert open_project(two.folder_a).project.caption_lanes[0].doc == pa.caption_lanes[0].doc
    with db.connect() as conn:
        kinds = conn.execute("select kind, count(*) as n from public.project_entities where project_id = %s "
                             "and kind like 'caption%%' group by kind order by kind", (pid,)).fetchall()
    assert kinds == [{"kind": "caption", "n": 1}, {"kind": "caption_line", "n": 3}]


def test_upload_cut_in_the_middle_resumes(tmp_path: Path, gw: Gateway, db: Db, home: Factory) -> None:
    folder = two_song_project(tmp_path)
    a = home("a", chunk_size=16 * 1024)
    uid = a.sign_up(email("cut"), "secret-pw")
    db.set_tier(uid, "pro")
    assert a.projects is not None
    # five chunks get through, then the connection is cut in the middle of the sixth
    sent = {"n": 0}
    orig = a.require().media._put

    def flaky_put(name: str, data: bytes, content_type: str) -> None:
        sent["n"] += 1
        if sent["n"] == 6:
            gw.stop()
        orig(name, data, content_type)

    a.require().media._put = flaky_put  # type: ignore[method-assign]
    with pytest.raises(SyncError):
        a.projects.upload(folder)
    gw.start()
    a.require().media._put = orig  # type: ignore[method-assign]
    uploaded_first = sent["n"] - 1
    assert uploaded_first >= 5
    puts: list[str] = []

    def counting_put(name: str, data: bytes, content_type: str) -> None:
        puts.append(name)
        orig(name, data, content_type)

    a.require().media._put = counting_put  # type: ignore[method-assign]
    pid = a.projects.upload(folder)
    assert pid
    total_chunks = sum(len(json.loads(v)["chunks"]) for k, v in gw.objects.items() if k[1].endswith("manifest.json"))
    assert total_chunks > 10
    # the 5 chunks already there were not sent again
    assert len([p for p in puts if p.endswith(".part")]) == total_chunks - 5


def test_corrupted_download_is_rejected_and_retried(tmp_path: Path, gw: Gateway, two: TwoHomes) -> None:
    a, b = two.a, two.b
    assert a.projects is not None and b.projects is not None
    pid = a.projects.upload(two.folder_a)
    key = next(k for k in gw.objects if k[1].endswith("00000.part"))
    good = gw.objects[key]
    gw.objects[key] = b"\0" * len(good)  # bit rot on the server
    b.sync()
    with pytest.raises(IntegrityError):
        b.projects.download(pid, tmp_path / "B" / "p.mashup")
    assert not (tmp_path / "B" / "p.mashup" / "project.json").exists()
    # a transient corruption (one bad answer) is retried and the download succeeds
    real_get = b.require().media._get
    bad = {"left": 1}

    def once_bad(name: str) -> bytes:
        data = real_get(name)
        if name.endswith("00000.part") and bad["left"]:
            bad["left"] -= 1
            return b"x" + data[1:]
        return data

    gw.objects[key] = good
    b.require().media._get = once_bad  # type: ignore[method-assign]
    out = b.projects.download(pid, tmp_path / "B" / "p.mashup")
    assert bad["left"] == 0
    opened = open_project(out)
    for h, ref in opened.project.media.items():
        assert opened.media.verify(h, ref.ext)


def test_another_user_cannot_see_or_open_the_project(tmp_path: Path, gw: Gateway, db: Db, home: Factory) -> None:
    folder = two_song_project(tmp_path)
    a, eve = home("a"), home("eve")
    uid = a.sign_up(email("owner"), "secret-pw")
    db.set_tier(uid, "pro")
    eve.sign_up(email("eve"), "secret-pw")
    assert a.projects is not None and eve.projects is not None
    pid = a.projects.upload(folder)
    eve.sync()
    assert eve.projects.list() == []
    with pytest.raises(SyncError):
        eve.projects.download(pid, tmp_path / "E" / "p.mashup")
    # even knowing the blob path, Storage refuses it
    h = next(iter(open_project(folder).project.media))
    with pytest.raises(SyncError):
        eve.require().media.download(h, tmp_path / "E" / "x.flac", owner_id=uid)


def test_5xx_and_expired_token_are_absorbed_and_a_full_disk_resumes(tmp_path: Path, gw: Gateway,
                                                                     two: TwoHomes) -> None:
    import resource
    import signal

    a, b, folder = two.a, two.b, two.folder_a
    assert a.projects is not None and b.projects is not None
    # an expired access token is refreshed silently; a 503 is retried
    session = a.require().auth._session
    assert session is not None
    gw.expired.add(session.access_token)
    gw.fail_next(1, 503, prefix="/rest/")
    pid = a.projects.upload(folder)
    assert a.require().auth._session is not None and a.require().auth._session.access_token != session.access_token
    assert a.status.state == "online"

    # the disk fills up in the middle of a download: an error, a partial file kept, then a resume
    b.sync()
    assert b.projects is not None
    project = b.projects.materialize(pid)
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    gets: list[str] = []
    real_get = b.require().media._get

    def counting_get(name: str) -> bytes:
        gets.append(name)
        return real_get(name)

    b.require().media._get = counting_get  # type: ignore[method-assign]
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, old[1]))  # no file may grow past 100 kB
    try:
        with pytest.raises(OSError):
            b.projects.fetch_media(pid, project)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old)
        signal.signal(signal.SIGXFSZ, old_handler)
    partial = list((tmp_path / "b" / "media-cache").glob(".*.partial"))
    assert len(partial) == 1 and 0 < partial[0].stat().st_size <= 100_000
    kept = partial[0].stat().st_size // (64 * 1024)  # whole chunks (the uploader's chunk size) on disk
    assert kept >= 1
    first = len(gets)
    gets.clear()
    out = b.projects.download(pid, tmp_path / "B" / "p.mashup")
    opened = open_project(out)
    for h, ref in opened.project.media.items():
        assert opened.media.verify(h, ref.ext)
    chunks_again = [g for g in gets if g.endswith(".part")]
    total = sum(len(json.loads(v)["chunks"]) for k, v in gw.objects.items() if k[1].endswith("manifest.json"))
    assert first > 0 and len(chunks_again) == total - kept  # the chunks kept on disk were not fetched again


def test_song_added_on_one_computer_reaches_the_other_and_rename_remove(tmp_path: Path, two: TwoHomes) -> None:
    from audio_engine.project import AddMedia, AddTrack
    from audio_engine.project.media import MediaResolver

    a, b, folder_a = two.a, two.b, two.folder_a
    assert a.projects is not None and b.projects is not None
    pid, folder_b = two.share()

    # A adds a third song in the editor (it lives in A's library store until A saves)
    lib = MediaStore(tmp_path / "A-lib")
    ref = add_song(lib, tone(tmp_path / "third.flac", seconds=5.0, freq=880.0), bpm=120.0, title="Third")
    opened = open_project(folder_a)
    p = opened.project
    add = AddMedia(media={k: v for k, v in ref.__dict__.items()})
    track = AddTrack(track={"id": "t9", "name": "Third", "clips": [
        {"id": "c9", "media": ref.hash, "source_in": 0.0, "source_out": 4.0, "position": 12.0}]})
    for cmd in (add, track):
        cmd.apply(p)
        a.projects.record(pid, cmd, p)
    assert a.projects.upload_media(pid, p, MediaResolver([opened.media, lib])) == 1
    b.sync()
    merged = b.projects.refresh_local(pid)
    assert ref.hash in merged.media and merged.clip("c9").position == 12.0
    assert open_project(folder_b).media.verify(ref.hash, ref.ext)

    # rename on B, remove from the cloud on A: the local copies stay
    b.projects.rename(pid, "Renamed on B")
    b.sync()
    a.sync()
    assert [x.title for x in a.projects.list()] == ["Renamed on B"]
    assert a.projects.materialize(pid).title == "Renamed on B"
    a.projects.remove(pid)
    a.sync()
    b.sync()
    assert a.projects.list() == [] and b.projects.list() == []
    assert open_project(folder_a).project.title == "Two songs" and (folder_b / "project.json").is_file()
