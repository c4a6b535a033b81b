"""One content hash (SHA-256): projects, archives and libraries written with
the earlier blake2b-160 names are upgraded on open, and nothing is lost."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import numpy as np

from audio_engine.io import file_hash
from audio_engine.library import Library
from audio_engine.project import FORMAT_VERSION, open_project, recover, save_project
from audio_engine.project.hashes import legacy_file_hash
from audio_engine.project.render import render_project
from tests.project.helpers import tone


def _legacy_project(tmp: Path) -> tuple[Path, str, str, str]:
    """A format-2 project folder as the previous studio wrote it."""
    song = tone(tmp / "song.flac", seconds=3.0)
    stem = tone(tmp / "stem.flac", seconds=3.0, freq=220.0)
    b2_song, b2_stem = legacy_file_hash(song), legacy_file_hash(stem)
    folder = tmp / "Old.mashup"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / f"{b2_song}.flac").write_bytes(song.read_bytes())
    (folder / "media" / f"{b2_stem}.flac").write_bytes(stem.read_bytes())
    project = {
        "id": "project-legacy", "title": "Old", "tempo": 120.0, "time_signature": [4, 4], "sample_rate": 44100,
        "tracks": [{"id": "t1", "name": "A", "clips": [
            {"id": "c1", "media": b2_song, "source_in": 0.0, "source_out": 2.0, "position": 0.0},
            {"id": "c2", "media": b2_song, "stem": "vocals", "source_in": 0.5, "source_out": 2.5, "position": 2.0}]}],
        "markers": [], "caption_lanes": [],
        "media": {b2_song: {"hash": b2_song, "name": "song", "ext": ".flac", "stems": {"vocals": b2_stem},
                            "stem_exts": {"vocals": ".flac"}, "duration": 3.0}},
    }
    env = {"format": "mashups-project", "version": 2, "revision": 3, "saved_at": 1.0, "project": project}
    (folder / "project.json").write_text(json.dumps(env))
    return folder, file_hash(song), file_hash(stem), b2_song


def test_file_hash_is_sha256(tmp_path: Path) -> None:
    p = tmp_path / "x.bin"
    p.write_bytes(b"mashup" * 1000)
    assert file_hash(p) == hashlib.sha256(b"mashup" * 1000).hexdigest()


def test_format_2_project_gets_sha256_names_and_renders_the_same(tmp_path: Path) -> None:
    folder, sha_song, sha_stem, b2_song = _legacy_project(tmp_path)
    opened = open_project(folder)
    p = opened.project
    assert opened.upgraded_from == 2 and FORMAT_VERSION >= 3
    assert set(p.media) == {sha_song}
    assert p.media[sha_song].stems == {"vocals": sha_stem}
    assert {c.media for c in p.clips()} == {sha_song}
    assert (folder / "media" / f"{sha_song}.flac").is_file() and (folder / "media" / f"{sha_stem}.flac").is_file()
    assert opened.media.verify(sha_song, ".flac") and opened.media.verify(sha_stem, ".flac")
    assert not getattr(opened, "damaged", [])
    after = render_project(p, media=opened.media, target_lufs=None, workers=1, tag=False)
    assert after.audio.frames > 0 and float(np.abs(after.audio.samples).max()) > 0.1
    save_project(p, folder)
    env = json.loads((folder / "project.json").read_text())
    assert env["version"] == FORMAT_VERSION and b2_song not in json.dumps(env)
    again = open_project(folder)
    assert again.upgraded_from is None and set(again.project.media) == {sha_song}


def test_format_2_autosave_is_upgraded_on_recovery(tmp_path: Path) -> None:
    folder, sha_song, _, _ = _legacy_project(tmp_path)
    auto = json.loads((folder / "project.json").read_text())
    auto["saved_at"] = 2.0
    auto["project"]["title"] = "Unsaved"
    (folder / "autosave.json").write_text(json.dumps(auto))
    opened = open_project(folder)
    assert opened.recovery is not None
    rec = recover(opened)
    assert rec.title == "Unsaved" and set(rec.media) == {sha_song}


def test_format_2_archive_is_verified_with_its_old_hash_and_upgraded(tmp_path: Path) -> None:
    folder, sha_song, sha_stem, b2_song = _legacy_project(tmp_path)
    arc = tmp_path / "old.zip"
    with zipfile.ZipFile(arc, "w") as z:
        z.write(folder / "project.json", "project.json")
        for f in (folder / "media").iterdir():
            z.write(f, f"media/{f.name}")
    opened = open_project(arc, unpack_to=tmp_path / "unpacked")
    assert set(opened.project.media) == {sha_song}
    assert opened.media.verify(sha_stem, ".flac")
    # a damaged legacy member is still caught, by the old hash
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.write(folder / "project.json", "project.json")
        z.writestr(f"media/{b2_song}.flac", b"not the song")
    try:
        open_project(bad, unpack_to=tmp_path / "bad-unpacked")
    except Exception as e:  # ProjectFileError
        assert "damaged" in str(e)
    else:
        raise AssertionError("a damaged legacy archive member was accepted")


def test_library_schema_1_rows_are_rehashed(tmp_path: Path) -> None:
    song = tone(tmp_path / "lib.flac", seconds=2.0)
    db = tmp_path / "library.sqlite3"
    lib = Library(db)
    rec = lib.add(song)
    lib.close()
    con = sqlite3.connect(db)
    con.execute("update songs set content_hash = ? where id = ?", (legacy_file_hash(song), rec.id))
    con.execute("pragma user_version=1")
    con.commit()
    con.close()
    lib = Library(db)
    try:
        assert lib.get(rec.id).content_hash == file_hash(song)
        assert lib.add(song).id == rec.id  # the same file is still recognised
    finally:
        lib.close()
