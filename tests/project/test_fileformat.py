from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from audio_engine.errors import ChecksumError, ProjectFileError
from audio_engine.project import (
    FORMAT_VERSION,
    AddClip,
    CommandStack,
    Project,
    autosave,
    backups,
    export_archive,
    import_archive,
    load_project,
    open_project,
    recover,
    save_project,
)
from audio_engine.project.commands import snapshot
from audio_engine.project.media import MediaStore
from tests.project.helpers import simple_project

REPO = Path(__file__).resolve().parents[2]


def _with_clip(tmp: Path) -> tuple[Project, MediaStore]:
    p, store, ref = simple_project(tmp)
    CommandStack(p).push(AddClip(track_id="t1", clip={
        "id": "c1", "media": ref.hash, "stem": "vocals", "source_in": 0.0, "source_out": 3.0, "position": 4.0,
        "source_bpm": 120.0}))
    return p, store


def test_save_and_open_roundtrip_with_media(tmp_path: Path) -> None:
    p, store = _with_clip(tmp_path)
    folder = save_project(p, tmp_path / "Song", media_sources=store)
    assert folder.name == "Song.mashup"
    opened = open_project(folder)
    assert snapshot(opened.project) == snapshot(p)
    assert opened.recovery is None and opened.upgraded_from is None
    ref = next(iter(p.media.values()))
    # Media stored once, under content-hash names, and verifiable.
    names = sorted(f.name for f in opened.media.files())
    assert names == sorted([ref.hash + ref.ext, ref.stems["vocals"] + ".flac"])
    assert opened.media.verify(ref.hash, ref.ext)
    envelope = json.loads((folder / "project.json").read_text())
    assert envelope["format"] == "mashups-project" and envelope["version"] == FORMAT_VERSION


def test_save_without_media_source_refuses(tmp_path: Path) -> None:
    p, _ = _with_clip(tmp_path)
    with pytest.raises(ProjectFileError):
        save_project(p, tmp_path / "X.mashup")
    assert not (tmp_path / "X.mashup" / "project.json").exists()


def test_rotating_backups(tmp_path: Path) -> None:
    p, store = _with_clip(tmp_path)
    folder = tmp_path / "B.mashup"
    for i in range(8):
        p.title = f"v{i}"
        save_project(p, folder, media_sources=store, keep_backups=3)
    bs = backups(folder)
    assert len(bs) == 3
    titles = [json.loads(b.read_text())["project"]["title"] for b in bs]
    assert titles == ["v4", "v5", "v6"]  # the three saves before the current one
    assert load_project(folder).title == "v7"


def test_autosave_recovery(tmp_path: Path) -> None:
    p, store = _with_clip(tmp_path)
    folder = save_project(p, tmp_path / "R", media_sources=store)
    time.sleep(0.01)
    p.title = "unsaved edits"
    autosave(p, folder)
    opened = open_project(folder)
    assert opened.project.title != "unsaved edits"
    assert opened.recovery is not None
    assert recover(opened).title == "unsaved edits"
    # A later proper save supersedes (and removes) the autosave.
    p.title = "saved"
    save_project(p, folder)
    opened = open_project(folder)
    assert opened.recovery is None and opened.project.title == "saved"
    # An autosave older than the save is not offered.
    autosave(p, folder)
    os.utime(folder / "project.json")
    env = json.loads((folder / "autosave.json").read_text())
    env["saved_at"] = 1.0
    (folder / "autosave.json").write_text(json.dumps(env))
    assert open_project(folder).recovery is None


V1_PROJECT = {
    "format": "mashups-project",
    "version": 1,
    "project": {
        "title": "Old",
        "bpm": 100.0,
        "tracks": [{"id": "t1", "name": "vox", "volume": 0.5,
                    "clips": [{"id": "c1", "media": "MEDIA", "stem": "vocals", "source_in": 1.0, "source_out": 3.0,
                               "start": 3.0, "source_bpm": 120.0}]}],
        "media": {},
    },
}


def test_upgrade_v1_file(tmp_path: Path) -> None:
    p, _, ref = simple_project(tmp_path)
    old = json.loads(json.dumps(V1_PROJECT).replace("MEDIA", ref.hash))
    old["project"]["media"] = {ref.hash: ref.__dict__}
    folder = tmp_path / "Old.mashup"
    folder.mkdir()
    (folder / "project.json").write_text(json.dumps(old))
    opened = open_project(folder)
    assert opened.upgraded_from == 1
    q = opened.project
    assert q.tempo == 100.0
    clip = q.clip("c1")
    assert clip.position == pytest.approx(5.0)  # 3 s at 100 BPM = 5 beats
    assert clip.stretch_mode == "tempo"
    assert q.tracks[0].gain_db == pytest.approx(-6.0206, abs=1e-3)
    assert q.markers == [] and q.caption_lanes == []
    # Saving writes the current version; the upgrade is then permanent.
    store = MediaStore(tmp_path / "store")
    save_project(q, folder, media_sources=store)
    assert json.loads((folder / "project.json").read_text())["version"] == FORMAT_VERSION
    assert open_project(folder).upgraded_from is None


@pytest.mark.parametrize(
    "content, match",
    [
        (b"{not json", "not valid JSON"),
        (b'{"format": "something-else"}', "not a Mashups Studio project"),
        (json.dumps({"format": "mashups-project", "version": 99, "project": {}}).encode(), "newer"),
        (json.dumps({"format": "mashups-project", "version": 2, "project": {"tempo": "fast"}}).encode(), "malformed"),
        (json.dumps({"format": "mashups-project", "version": 2, "project": {"tempo": 120,
         "tracks": [{"id": "t", "clips": [{"id": "c", "media": "ab" * 20, "source_in": 0, "source_out": 1}]}]}}).encode(),
         "does not list"),
    ],
)
def test_bad_project_files_give_clear_errors(tmp_path: Path, content: bytes, match: str) -> None:
    folder = tmp_path / "Bad.mashup"
    folder.mkdir()
    (folder / "project.json").write_bytes(content)
    with pytest.raises(ProjectFileError, match=match):
        open_project(folder)


def test_archive_export_and_import(tmp_path: Path) -> None:
    p, store = _with_clip(tmp_path)
    z = export_archive(p, tmp_path / "share.zip", media_sources=store)
    with zipfile.ZipFile(z) as zf:
        names = sorted(zf.namelist())
    ref = next(iter(p.media.values()))
    assert names == sorted(["project.json", f"media/{ref.hash}{ref.ext}", f"media/{ref.stems['vocals']}.flac"])
    opened = import_archive(z, tmp_path / "unpacked")
    assert snapshot(opened.project) == snapshot(p)
    assert opened.media.verify(ref.stems["vocals"], ".flac")
    # Opening the archive file directly unpacks it where the caller says (never beside it).
    with pytest.raises(ProjectFileError, match="unpack_to"):
        open_project(z)
    again = open_project(z, unpack_to=tmp_path / "cache" / "x")
    assert again.path == tmp_path / "cache" / "x.mashup"
    assert open_project(z, unpack_to=tmp_path / "cache" / "x").path == again.path  # unpacked once, reopened
    with pytest.raises(ProjectFileError, match="not empty"):
        import_archive(z, tmp_path / "unpacked")


def test_malicious_or_damaged_archives(tmp_path: Path) -> None:
    p, store = _with_clip(tmp_path)
    good = export_archive(p, tmp_path / "good.zip", media_sources=store)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for n in src.namelist():
            dst.writestr(n, src.read(n))
        dst.writestr("../../escape.txt", b"x")
    with pytest.raises(ProjectFileError, match="unexpected entry"):
        import_archive(evil, tmp_path / "e1")
    assert not (tmp_path.parent / "escape.txt").exists()
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for n in src.namelist():
            data = src.read(n)
            dst.writestr(n, data[:-10] + b"0123456789" if n.startswith("media/") else data)
    with pytest.raises(ProjectFileError, match="damaged"):
        import_archive(broken, tmp_path / "e2")
    assert not (tmp_path / "e2.mashup").exists()  # nothing half-unpacked
    (tmp_path / "junk.mashup").write_bytes(b"not a zip")
    with pytest.raises(ProjectFileError):
        open_project(tmp_path / "junk.mashup")


def test_media_store_rejects_wrong_hash(tmp_path: Path) -> None:
    _, store = _with_clip(tmp_path)
    f = store.files()[0]
    with pytest.raises(ChecksumError):
        MediaStore(tmp_path / "other").add_file(f, known_hash="ab" * 20)
    assert MediaStore(tmp_path / "other").files() == []


def test_kill_during_save_leaves_old_or_new(tmp_path: Path) -> None:
    """SIGKILL a process that saves in a loop at random moments, 50 times:
    every time the project opens, as a whole version at least as new as
    the one before the kill."""
    p, store = _with_clip(tmp_path)
    for i in range(300):  # a bigger file takes longer to write: more kills land mid-write
        p.markers.append(__import__("audio_engine.project", fromlist=["Marker"]).Marker(f"m{i}", float(i), "marker " * 20))
    p.title = "v0"
    folder = save_project(p, tmp_path / "Crash", media_sources=store)
    rng = random.Random(5)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    last = 0
    advanced = 0
    for _ in range(50):
        proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "project" / "save_loop.py"), str(folder)],
                                stdout=subprocess.PIPE, env=env)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        loaded = open_project(folder).project  # must never raise
        n = int(loaded.title[1:])
        assert n >= last
        assert len(loaded.markers) == 300 and loaded.clip("c1").name == "x" * (n % 5000)
        advanced += n > last
        last = n
    assert advanced >= 20  # the child really was saving when killed (most kills land mid-loop)
    for b in backups(folder):  # backups are whole files too
        json.loads(b.read_text())
