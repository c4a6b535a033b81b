"""Issue 16, engine side: fingerprints, project credits, credits in rendered
files (tags + sidecar), lineage, the CLI. Real corpus songs, real fpcalc,
real renders and mutagen re-reads."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from audio_engine import io
from audio_engine.cache import JsonCache
from audio_engine.cli.main import main
from audio_engine.credits import Credits, project_credits
from audio_engine.credits_tags import (
    read_credits,
    read_embedded,
    read_riff_info,
    sidecar_path,
    write_riff_info,
)
from audio_engine.errors import MashupsError, ProjectFileError
from audio_engine.fingerprint import MATCH_THRESHOLD, FingerprintError, compute, fingerprint_file, similarity
from audio_engine.project import Clip, MediaStore, Project, Track, save_project
from audio_engine.project.entities import compose, decompose
from audio_engine.project.media import add_song
from audio_engine.project.render import render_project
from tests.corpus import Song

pytestmark = pytest.mark.skipif(shutil.which("fpcalc") is None, reason="fpcalc (libchromaprint-tools) not installed")


def tagged_copy(song: Song, dest: Path, *, title: str, artist: str, album: str, isrc: str) -> Path:
    from mutagen.flac import FLAC

    out = dest / f"{song.name}.flac"
    shutil.copyfile(song.mix, out)
    f = FLAC(str(out))
    f["TITLE"], f["ARTIST"], f["ALBUM"], f["ISRC"] = title, artist, album, isrc
    f.save()
    return out


def test_same_song_matches_across_formats_and_different_songs_do_not(songs: list[Song], tmp_path: Path) -> None:
    a = io.load(songs[0].mix)
    io.save(a, tmp_path / "a.wav", bit_depth=16)
    io.save(a, tmp_path / "a.mp3", mp3_bitrate_kbps=128)
    fps = {ext: compute(tmp_path / f"a{ext}") for ext in (".wav", ".mp3")}
    fps[".flac"] = compute(songs[0].mix)
    for x in fps.values():
        for y in fps.values():
            assert similarity(x, y) >= MATCH_THRESHOLD
    assert similarity(fps[".flac"], fps[".wav"]) > 0.99  # lossless: the same samples
    for other in songs[1:4]:
        assert similarity(fps[".flac"], compute(other.mix)) < MATCH_THRESHOLD - 0.1


def test_fingerprint_cached_by_content_hash(songs: list[Song], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = JsonCache(tmp_path / "analysis.sqlite3")
    first = fingerprint_file(songs[0].mix, cache=cache)
    copy = tmp_path / "renamed.flac"
    shutil.copyfile(songs[0].mix, copy)
    monkeypatch.setenv("MASHUPS_FPCALC", str(tmp_path / "no-such-fpcalc"))
    assert fingerprint_file(copy, cache=cache) == first  # same bytes: from the cache, fpcalc not run
    with pytest.raises(FingerprintError, match="could not run"):
        fingerprint_file(songs[1].mix, cache=cache)  # new content needs fpcalc


def test_unreadable_file_gives_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.flac"
    bad.write_text("not audio")
    with pytest.raises(FingerprintError, match="notes.flac could not be fingerprinted"):
        compute(bad)
    with pytest.raises(FingerprintError, match="is not a file"):
        compute(tmp_path / "missing.flac")


@pytest.fixture()
def credited(songs: list[Song], tmp_path: Path) -> tuple[Project, MediaStore]:
    from audio_engine.credits import credit_media

    src = tmp_path / "src"
    src.mkdir()
    store = MediaStore(tmp_path / "store")
    cache = JsonCache(tmp_path / "analysis.sqlite3")
    p = Project(title="Night Drive Mashup", artist="DJ Test", tempo=120.0)
    tracks = [Track(id="t1"), Track(id="t2")]
    p.tracks.extend(tracks)
    meta = [("Night Drive", "Band A", "Roads", "USRC17607839"), ("Glass", "Singer B", "Clear", "")]
    for i, (title, artist, album, isrc) in enumerate(meta):
        path = tagged_copy(songs[i], src, title=title, artist=artist, album=album, isrc=isrc)
        ref = add_song(store, path, bpm=120.0, title="", artist="")
        ref.title, ref.artist = "", ""
        ref = credit_media(ref, path, cache=cache)
        p.media[ref.hash] = ref
        tracks[i].clips.append(Clip(f"c{i}a", ref.hash, None, 2.0, 4.0, position=0.0, source_bpm=120.0))
        tracks[i].clips.append(Clip(f"c{i}b", ref.hash, None, 3.5, 6.0, position=4.0, source_bpm=120.0))
    unused = tagged_copy(songs[2], src, title="Unused", artist="Nobody", album="", isrc="")
    ref = add_song(store, unused, title="Unused", artist="Nobody")
    p.media[ref.hash] = ref
    return p, store


def test_project_credits_record_tags_fingerprint_and_used_range(credited: tuple[Project, MediaStore]) -> None:
    p, _ = credited
    c = project_credits(p)
    assert [(s.title, s.artist, s.album, s.isrc) for s in c.sources] == [
        ("Night Drive", "Band A", "Roads", "USRC17607839"), ("Glass", "Singer B", "Clear", "")]
    assert all(s.fingerprint.startswith("AQAA") for s in c.sources)
    assert c.sources[0].used == ((2.0, 6.0),)  # 2-4 and 3.5-6 joined
    assert "Unused" not in c.summary() and "ISRC USRC17607839" in c.summary()


@pytest.mark.parametrize("ext", [".wav", ".flac", ".mp3"])
def test_credits_survive_render_tags_reread(credited: tuple[Project, MediaStore], tmp_path: Path, ext: str) -> None:
    p, store = credited
    out = tmp_path / f"mix{ext}"
    render_project(p, media=store, out=out, workers=1)
    want = project_credits(p)
    assert read_embedded(out) == want
    side = sidecar_path(out)
    assert side.name == f"mix{ext}.credits.json" and Credits.from_json(side.read_text()) == want
    assert io.load(out).duration > 3.0  # still a playable file after the tag writes
    if ext == ".wav":
        info = read_riff_info(out)
        assert info["INAM"] == "Night Drive Mashup" and info["IART"] == "DJ Test"
        assert info["ICMT"] == "Mashup of: Band A - Night Drive; Singer B - Glass"
        import soundfile

        assert soundfile.info(str(out)).frames > 0


def test_sidecar_is_read_when_the_file_has_no_tags(credited: tuple[Project, MediaStore], tmp_path: Path) -> None:
    p, store = credited
    out = tmp_path / "mix.wav"
    render_project(p, media=store, out=out, tag=False, workers=1)
    assert read_credits(out) is None
    from audio_engine.credits_tags import write_sidecar

    write_sidecar(out, project_credits(p))
    assert read_credits(out) == project_credits(p)


def test_riff_info_is_replaced_not_duplicated(tmp_path: Path) -> None:
    from tests.project.helpers import tone

    w = tmp_path / "t.wav"
    io.save(io.load(tone(tmp_path / "t.flac", seconds=1.0)), w, bit_depth=16)
    before = io.load(w).samples
    write_riff_info(w, {"INAM": "one", "ICMT": "odd"})
    write_riff_info(w, {"INAM": "twö", "IART": "x"})
    assert read_riff_info(w) == {"INAM": "twö", "IART": "x"}
    data = w.read_bytes()
    assert data.count(b"INFO") == 1 and struct.unpack("<I", data[4:8])[0] == len(data) - 8
    assert (io.load(w).samples == before).all()
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFX" + b"\0" * 40)
    with pytest.raises(ProjectFileError, match="not a RIFF WAVE"):
        write_riff_info(bad, {"INAM": "x"})


def test_three_level_lineage_through_remix_this(credited: tuple[Project, MediaStore], tmp_path: Path) -> None:
    from audio_engine.project import open_project
    from sync.remix import RemixNotAllowedError, remix_into_folder, remix_this

    a, store = credited
    a_dir = save_project(a, tmp_path / "A.mashup", media_sources=store)
    prev = open_project(a_dir)
    chain = []
    for level, who in enumerate(("Second", "Third", "Fourth"), start=1):
        folder = remix_into_folder(prev.project, prev.media, tmp_path / f"L{level}.mashup",
                                   mashup_id=f"m-{level}", licence="remix-with-credit", remixer=who)
        prev = open_project(folder)
        if level == 1:  # the first remixer drops A's second song; it stays credited through A
            prev.project.tracks[1].clips.clear()
            save_project(prev.project, folder)
            prev = open_project(folder)
        chain.append(prev.project)
    d = chain[-1]
    assert d.id not in {a.id, chain[0].id, chain[1].id} and d.title == "Night Drive Mashup (remix) (remix) (remix)"
    got = project_credits(d)
    assert [(w.id, w.depth, w.artist) for w in got.lineage] == [
        ("m-3", 1, "Third"), ("m-2", 2, "Second"), ("m-1", 3, "DJ Test")]
    assert [s.title for s in got.lineage[2].sources] == ["Night Drive", "Glass"]
    assert [s.title for s in got.sources] == ["Night Drive"]
    assert {s.title for s in got.all_sources()} == {"Night Drive", "Glass"}  # Glass still credited via A
    assert "[level 3]" in got.summary()
    # the whole project came along: media present and verified in the last folder
    assert all(prev.media.verify(h, ref.ext) for h, ref in d.media.items())
    assert project_credits(compose(decompose(d))) == got  # and through the sync entities
    with pytest.raises(RemixNotAllowedError, match="not allowed remixes"):
        remix_this(a, mashup_id="m-x", licence="", remixer="Nobody")


@pytest.mark.parametrize("lineage, message", [
    ([{"kind": "song", "id": "x", "title": "t"}], "kind"),
    ([{"kind": "mashup", "id": "x", "title": "t", "depth": 0}], "depth"),
    ("not a list", "list"),
    ([{"kind": "mashup", "id": "x", "title": "t", "sources": [{"hash": "h", "title": "t", "used": [["a", 1]]}]}],
     "malformed"),
])
def test_hostile_lineage_is_refused(lineage: object, message: str) -> None:
    d = Project(title="x").to_dict()
    d["lineage"] = lineage
    with pytest.raises(ProjectFileError, match=message):
        Project.from_dict(d)


def test_cli_fingerprint_and_credits(credited: tuple[Project, MediaStore], songs: list[Song], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASHUPS_HOME", str(tmp_path / "home"))
    assert main(["fingerprint", str(songs[0].mix), "--compare", str(songs[1].mix), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fingerprint"].startswith("AQAA") and out["same_recording"] is False
    p, store = credited
    saved = save_project(p, tmp_path / "P.mashup", media_sources=store)
    assert main(["credits", str(saved)]) == 0
    text = capsys.readouterr().out
    assert "Band A - Night Drive; album Roads; ISRC USRC17607839; uses 0:02.0-0:06.0" in text
    render_project(p, media=store, out=tmp_path / "m.flac", workers=1)
    assert main(["credits", str(tmp_path / "m.flac"), "--json"]) == 0
    assert Credits.from_json(capsys.readouterr().out) == project_credits(p)
    (tmp_path / "plain.wav").write_bytes((tmp_path / "m.flac").read_bytes()[:0])
    assert main(["credits", str(tmp_path / "plain.wav")]) == 1
    assert "error:" in capsys.readouterr().err


def test_credits_document_rejects_foreign_json() -> None:
    with pytest.raises(ProjectFileError, match="not a Mashups Studio credits"):
        Credits.from_json('{"title": "x"}')
    with pytest.raises(MashupsError, match="not valid JSON"):
        Credits.from_json("{")
