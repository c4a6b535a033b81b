"""Damaged and hostile projects, media and archives are refused with an
error in words, at load, before any value is used (issue 18)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from audio_engine import io
from audio_engine.atomic import atomic_path
from audio_engine.cache import FileCache
from audio_engine.cli.main import main as cli_main
from audio_engine.errors import AudioTooLargeError, ProjectFileError
from audio_engine.project import AddClip, CommandStack, Project, export_archive, open_project, save_project
from audio_engine.project.media import MediaStore
from audio_engine.project.render import render_project
from tests.project.helpers import simple_project

REPO = Path(__file__).resolve().parents[2]


def _saved(tmp: Path, **clip: object) -> tuple[Path, Project, MediaStore]:
    p, store, ref = simple_project(tmp)
    c = {"id": "c1", "name": "hook", "media": ref.hash, "stem": "vocals", "source_in": 0.0, "source_out": 3.0,
         "position": 4.0, "source_bpm": 120.0}
    CommandStack(p).push(AddClip(track_id="t1", clip=c))
    folder = save_project(p, tmp / "song.mashup", media_sources=store)
    return folder, p, store


def _edit_json(folder: Path, edit: object) -> None:
    f = folder / "project.json"
    d = json.loads(f.read_text())
    edit(d["project"])  # type: ignore[operator]
    f.write_text(json.dumps(d))


def _clip(d: dict) -> dict:  # type: ignore[type-arg]
    return d["tracks"][0]["clips"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("position", 1e9, r"Clip 'hook' \(c1\) position is 1e\+09 beats; it must be between 0 and"),
        ("gain_db", 1e6, r"Clip 'hook' \(c1\) gain is 1e\+06 dB"),
        ("source_out", 1e12, r"Clip 'hook' \(c1\) source end"),
        ("source_out", 50.0, r"Clip 'hook' \(c1\) plays its source up to 50.0 s but 'song' is only 4.0 s long"),
        ("fade_in", 1e7, r"Clip 'hook' \(c1\) fade-in"),
        ("stem", "../../etc", r"not a stem name"),
    ],
)
def test_unbounded_clip_values_refused_on_load_naming_the_clip(tmp_path: Path, field: str, value: object, match: str) -> None:
    folder, _, _ = _saved(tmp_path)
    _edit_json(folder, lambda d: _clip(d).__setitem__(field, value))
    with pytest.raises(ProjectFileError, match=match):
        open_project(folder)


def test_track_gain_and_media_names_refused(tmp_path: Path) -> None:
    folder, p, _ = _saved(tmp_path)
    _edit_json(folder, lambda d: d["tracks"][0].__setitem__("gain_db", -1e6))
    with pytest.raises(ProjectFileError, match="Track one gain"):
        open_project(folder)
    (tmp_path / "b").mkdir()
    folder2, p2, _ = _saved(tmp_path / "b")
    h = next(iter(p2.media))

    def evil(d: dict) -> None:  # type: ignore[type-arg]
        ref = d["media"].pop(h)
        ref["hash"] = "../../../tmp/x"
        d["media"]["../../../tmp/x"] = ref
        _clip(d)["media"] = "../../../tmp/x"

    _edit_json(folder2, evil)
    with pytest.raises(ProjectFileError, match="not a media content hash"):
        open_project(folder2)


def test_deeply_nested_json_refused_without_recursion_error(tmp_path: Path) -> None:
    folder, _, _ = _saved(tmp_path)
    raw = json.loads((folder / "project.json").read_text())
    deep = "[" * 100_000 + "]" * 100_000
    text = json.dumps(raw).replace('"caption_lanes": []', f'"caption_lanes": [{{"id": "x", "doc": {deep}}}]')
    (folder / "project.json").write_text(text)
    with pytest.raises(ProjectFileError, match="levels deep"):
        open_project(folder)
    text = json.dumps(raw).replace('"caption_lanes": []', '"caption_lanes": [{"id": "x", "doc": ' + "[" * 200 + "]" * 200 + "}]")
    (folder / "project.json").write_text(text)
    with pytest.raises(ProjectFileError, match="nests its data 20[0-9] levels deep"):
        open_project(folder)


def test_long_project_refused_before_allocating(tmp_path: Path) -> None:
    # 10^4 beats at 120 BPM: 83 minutes, within the 3-hour timeline limit,
    # but more than the render's memory budget allows: refused up front.
    folder, _, store = _saved(tmp_path)
    _edit_json(folder, lambda d: _clip(d).__setitem__("position", 1e4))
    opened = open_project(folder)
    tracemalloc.start()
    with pytest.raises(AudioTooLargeError, match=r"83 minutes long \(because Clip 'hook' \(c1\) ends there\)"):
        render_project(opened.project, media=[opened.media, store], max_bytes=1 << 30)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 << 20


def test_media_replaced_under_its_hash_or_linked_is_refused(tmp_path: Path) -> None:
    folder, p, store = _saved(tmp_path)
    opened = open_project(folder)
    assert opened.damaged == []
    assert (folder / "media" / ".verified.json").is_file()
    ref = next(iter(p.media.values()))
    vocals = folder / "media" / f"{ref.stems['vocals']}.flac"
    io.save(io.load(vocals).__class__(np.zeros((2, 44100), np.float32), 44100), vocals)  # other bytes, same name
    opened = open_project(folder)
    assert [(h, e) for h, e, _ in opened.damaged] == [(ref.stems["vocals"], ".flac")]
    with pytest.raises(ProjectFileError, match="does not match its content hash"):
        render_project(opened.project, media=opened.media)
    # A link to a file outside the project is refused, not followed.
    outside = tmp_path / "outside.flac"
    shutil.copy(store.path(ref.stems["vocals"], ".flac"), outside)
    vocals.unlink()
    vocals.symlink_to(outside)
    opened = open_project(folder)
    assert "is a link" in opened.damaged[0][2]
    with pytest.raises(ProjectFileError, match="is a link"):
        render_project(opened.project, media=opened.media)


def test_verification_is_cached_by_stamp_and_redone_for_a_copied_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from audio_engine.project import media as media_mod

    folder, p, _ = _saved(tmp_path)
    open_project(folder)
    calls: list[str] = []
    real = media_mod.file_hash
    monkeypatch.setattr(media_mod, "file_hash", lambda path: calls.append(str(path)) or real(path))
    open_project(folder)
    assert calls == []  # unchanged since the last check: nothing hashed
    copy = shutil.copytree(folder, tmp_path / "elsewhere.mashup")
    assert open_project(copy).damaged == []
    assert len(calls) == len(list((copy / "media").glob("*.flac")))  # opened from elsewhere: hashed once


def test_many_copies_of_one_clip_render_once_in_parallel(tmp_path: Path) -> None:
    p, store, ref = simple_project(tmp_path)
    stack = CommandStack(p)
    for i in range(12):
        stack.push(AddClip(track_id="t1", clip={
            "id": f"c{i}", "media": ref.hash, "source_in": 0.0, "source_out": 2.0, "position": float(i),
            "stretch_mode": "fixed", "stretch_ratio": 1.1}))
    cache = FileCache(tmp_path / "renders")
    r = render_project(p, media=store, cache=cache, workers=4, target_lufs=None)
    assert (r.clips_rendered, r.clips_cached) == (1, 11)
    assert len(cache.entries()) == 1 and not list(cache.root.glob(".tmp-*"))


def test_concurrent_builds_of_one_key_share(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "c")
    built: list[int] = []
    errors: list[BaseException] = []

    def build(tmp: Path) -> None:
        built.append(1)
        time.sleep(0.2)
        (tmp / "x").write_text("done")

    def user() -> None:
        try:
            path, _ = cache.get_or_build("k-1", build)
            assert (path / "x").read_text() == "done"
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=user) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and built == [1]
    # A raw build over an existing entry keeps the entry (never removed under a reader).
    with cache.build("k-1") as tmp:
        (tmp / "x").write_text("other")
    assert (cache.root / "k-1" / "x").read_text() == "done"


def test_two_separations_of_one_song_into_one_cache(tmp_path: Path) -> None:
    from audio_engine.separation import separate
    from tests.project.helpers import tone
    from tests.separation.tinymodel import build_tiny_model

    models = tmp_path / "models"
    models.mkdir()
    build_tiny_model(models)
    song = tone(tmp_path / "song.flac", seconds=2.0)
    cache = FileCache(tmp_path / "stems")
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(separate(song, model="tiny", model_dir=models, cache=cache, in_worker=False, threads=1))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.cached for r in results) == [False, True]  # type: ignore[attr-defined]
    assert len(cache.entries()) == 1


def test_killed_writer_leaves_no_part_file_after_the_next_write(tmp_path: Path) -> None:
    out = tmp_path / "stems-out"
    out.mkdir()
    code = (
        "import sys, time\nfrom audio_engine.atomic import atomic_path\n"
        f"with atomic_path({str(out / 'vocals.wav')!r}) as tmp:\n"
        "    tmp.write_bytes(b'x' * 100000)\n    print('writing', flush=True)\n    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = [p.name for p in out.iterdir()]
    assert len(left) == 1 and ".part" in left[0]  # what a killed separation used to leave forever
    with atomic_path(out / "drums.wav") as tmp:
        tmp.write_bytes(b"y")
    assert sorted(p.name for p in out.iterdir()) == ["drums.wav"]


def test_archive_opened_into_cache_not_beside_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 studio_home: Path) -> None:
    folder, p, store = _saved(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    z = export_archive(p, inbox / "share.mashup", media_sources=store)
    assert cli_main(["render", str(z), "-o", str(tmp_path / "mix.wav"), "--quiet", "--no-normalize"]) == 0
    assert [x.name for x in inbox.iterdir()] == ["share.mashup"]
    assert list((studio_home / "cache" / "unpacked").glob("*.mashup"))


def _zip_with(path: Path, base: Path, extra: dict[str, bytes], *, compress: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w") as dst:
        for n in src.namelist():
            dst.writestr(n, src.read(n), compress_type=zipfile.ZIP_STORED if n.startswith("media/") else compress)
        for n, data in extra.items():
            dst.writestr(n, data, compress_type=compress)
    return path


def test_archive_bomb_and_corrupt_member_refused_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          studio_home: Path) -> None:
    folder, p, store = _saved(tmp_path)
    good = export_archive(p, tmp_path / "good.zip", media_sources=store)
    bomb = _zip_with(tmp_path / "bomb.zip", good, {"media/" + "ab" * 20 + ".wav": b"\0" * (64 << 20)})
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(ProjectFileError, match="zip bomb"):
        open_project(bomb, unpack_to=tmp_path / "u1")
    assert not (tmp_path / "u1.mashup").exists()
    # Corrupt the deflated project.json inside the archive: a CRC/inflate error in words.
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("project.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 20, start + 60):
        data[k] ^= 0x5A
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    with pytest.raises(ProjectFileError, match="damaged"):
        open_project(broken, unpack_to=tmp_path / "u2")
    assert cli_main(["render", str(broken), "-o", str(tmp_path / "x.wav"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "Traceback" not in err
    assert not (tmp_path / "x.wav").exists()
