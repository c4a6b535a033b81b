"""Fingerprints are made with the library's background analysis and reach the
project's credits when a song is added to the editor."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audio_engine.app.songs import SongToAdd, add_songs
from audio_engine.cache import JsonCache
from audio_engine.credits import project_credits
from audio_engine.project import CommandStack, Macro, Project
from studio.tasks import song_fingerprint
from tests.corpus import Song

pytestmark = pytest.mark.skipif(shutil.which("fpcalc") is None, reason="fpcalc (libchromaprint-tools) not installed")


def test_analysis_job_fingerprint_is_cached_and_optional(songs: list[Song], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cache = JsonCache(tmp_path / "analysis.sqlite3")
    fp = song_fingerprint(str(songs[0].mix), cache)
    assert fp.startswith("AQAA") and len(cache) == 1
    monkeypatch.setenv("MASHUPS_FPCALC", str(tmp_path / "missing-fpcalc"))
    assert song_fingerprint(str(songs[0].mix), cache) == fp  # cached: no fpcalc needed
    assert song_fingerprint(str(songs[1].mix), cache) == ""  # no fpcalc: analysis goes on without one


def test_added_song_carries_its_credits_into_the_project() -> None:
    p = Project()
    song = SongToAdd(hash="a" * 64, ext=".flac", title="Night Drive", duration=12.0, artist="Band A", bpm=100.0,
                     album="Roads", isrc="USRC17607839", fingerprint="AQAAfp")
    CommandStack(p).push(Macro(commands=add_songs(p, [song]), name="Add"))
    (src,) = project_credits(p).sources
    assert (src.title, src.artist, src.album, src.isrc, src.fingerprint) == (
        "Night Drive", "Band A", "Roads", "USRC17607839", "AQAAfp")
    assert src.used == ((0.0, 12.0),)
