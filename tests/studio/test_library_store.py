from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from audio_engine.errors import AudioDecodeError
from audio_engine.library import Library, LibraryError, iter_audio_files, read_tags
from studio.resources import demo_songs


def test_add_dedupes_by_content_and_keeps_tags(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib.sqlite3")
    demo = demo_songs()[0]
    a = lib.add(demo)
    assert a.title == "Sunrise Drive" and a.artist == "Mashups Demo Band"
    assert 23.5 < a.duration < 24.5
    copy = tmp_path / "Someone - Another Name.flac"
    copy.write_bytes(demo.read_bytes())
    b = lib.add(copy)  # same bytes -> same song
    assert b.id == a.id and len(lib) == 1
    assert read_tags(tmp_path / "Artist X - Title Y.wav") == ("Title Y", "Artist X")


def test_analysis_stems_captions_persist_across_reopen(tmp_path: Path) -> None:
    db = tmp_path / "lib.sqlite3"
    lib = Library(db)
    s = lib.add(demo_songs()[1])
    lib.set_analysis(s.id, {"bpm": 125.7, "key": "C minor", "camelot": "5A", "lufs": -11.2})
    lib.set_stems(s.id, {"vocals": tmp_path / "v.wav"})
    lib.set_captions(s.id, tmp_path / "c.json")
    lib.close()
    again = Library(db).get(s.id)
    assert again.bpm == 125.7 and again.key_name == "C minor" and again.camelot == "5A" and again.lufs == -11.2
    assert again.stems == {"vocals": str(tmp_path / "v.wav")} and again.captions == str(tmp_path / "c.json")


def test_wal_and_full_sync(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib.sqlite3")
    lib.add(demo_songs()[0])
    con = sqlite3.connect(tmp_path / "lib.sqlite3")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert lib._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_bad_input_is_a_typed_error_and_loses_nothing(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib.sqlite3")
    good = lib.add(demo_songs()[0])
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(AudioDecodeError):
        lib.add(junk)
    with pytest.raises(LibraryError):
        lib.get(999)
    with pytest.raises(LibraryError):
        lib.set_tags(good.id, title="  ", artist="x")
    assert [s.id for s in lib.all()] == [good.id]
    newer = tmp_path / "newer.sqlite3"
    con = sqlite3.connect(newer)
    con.execute("PRAGMA user_version=99")
    con.close()
    with pytest.raises(LibraryError, match="newer version"):
        Library(newer)


def test_search_and_folder_expansion(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib.sqlite3")
    for p in demo_songs():
        lib.add(p)
    assert [s.title for s in lib.search("midnight")] == ["Midnight Circuit"]
    assert len(lib.search("demo band")) == 2
    files = list(iter_audio_files([demo_songs()[0].parent]))
    assert [f.name for f in files] == ["demo1.flac", "demo2.flac"]
    assert lib.remove(lib.all()[0].id) and len(lib) == 1
