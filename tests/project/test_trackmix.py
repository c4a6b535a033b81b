"""The produced mix as track settings (audio_engine.project.trackmix): real
rendered samples, through the one render export and playback share."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from audio_engine.app.edit import set_track_mix
from audio_engine.app.render import BlockRenderer, ClipMemo, track_buffers
from audio_engine.audio import Audio
from audio_engine.errors import ProjectEditError, ProjectFileError
from audio_engine.io import save
from audio_engine.master import master
from audio_engine.mixer import mix
from audio_engine.project import (
    AddClip,
    CommandStack,
    MediaRef,
    MediaStore,
    Project,
    Track,
    command_from_dict,
)
from audio_engine.project.entities import command_changes, compose, decompose
from audio_engine.project.fileformat import open_project, save_project
from audio_engine.project.media import MediaResolver, add_song
from audio_engine.project.render import clip_placement, render_clip, render_project

SR = 44100
SECONDS = 6.0
SUNG = (2.0, 4.0)  # the "vocal" sounds here only


def _sine(freq: float, amp: float, n: int) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(n) / SR)).astype(np.float32)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> tuple[MediaStore, MediaRef]:
    """An instrumental (200 Hz + 2 kHz tones) and a vocal stem that sings
    (1 kHz) with a 60 Hz hum, only between 2 and 4 s."""
    tmp = tmp_path_factory.mktemp("trackmix")
    n = int(SECONDS * SR)
    inst = _sine(200.0, 0.15, n) + _sine(2000.0, 0.15, n)
    voc = np.zeros(n, np.float32)
    a, b = int(SUNG[0] * SR), int(SUNG[1] * SR)
    voc[a:b] = _sine(1000.0, 0.2, b - a) + _sine(60.0, 0.2, b - a)
    save(Audio(np.stack([inst, inst]), SR), tmp / "inst.flac")
    save(Audio(np.stack([voc, voc]), SR), tmp / "voc.flac")
    store = MediaStore(tmp / "store")
    ref = add_song(store, tmp / "inst.flac", stems={"vocals": tmp / "voc.flac"}, bpm=120.0, title="Inst")
    return store, ref


def _project(media: tuple[MediaStore, MediaRef]) -> tuple[Project, CommandStack]:
    h = media[1].hash
    p = Project(title="Mix", tempo=120.0)
    p.media[h] = copy.deepcopy(media[1])
    p.tracks += [Track(id="voc", name="vocal"), Track(id="inst", name="instrumental")]
    stack = CommandStack(p)
    for tid, stem in (("voc", "vocals"), ("inst", None)):
        stack.push(AddClip(track_id=tid, clip={"id": f"c-{tid}", "media": h, "stem": stem, "source_in": 0.0,
                                               "source_out": SECONDS, "position": 0.0, "stretch_mode": "fixed",
                                               "stretch_ratio": 1.0}))
    return p, stack


def _level_db(x: np.ndarray, t0: float, t1: float, freq: float | None = None) -> float:
    seg = x[0, int(t0 * SR) : int(t1 * SR)].astype(np.float64)
    if freq is not None:  # the level of one tone (projection on it)
        t = np.arange(seg.size) / SR
        amp = 2 * np.hypot((seg * np.sin(2 * np.pi * freq * t)).mean(), (seg * np.cos(2 * np.pi * freq * t)).mean())
        return float(20 * np.log10(amp / np.sqrt(2) + 1e-12))
    return float(10 * np.log10((seg**2).mean() + 1e-20))


def _mixed(p: Project, stack: CommandStack, **values: object) -> None:
    cmd = set_track_mix(p, "inst", **values)  # type: ignore[arg-type]
    assert cmd is not None
    stack.push(cmd)


def test_ducking_lowers_the_instrumental_by_the_set_amount_only_where_the_vocal_sings(media) -> None:  # type: ignore[no-untyped-def]
    p, stack = _project(media)
    plain = track_buffers(p, MediaResolver([media[0]]), sample_rate=SR)[1]
    _mixed(p, stack, duck_source="voc", duck_db=6.0, duck_attack_ms=30.0, duck_release_ms=300.0)
    stack.push(command_from_dict({"type": "set_track_property", "track_id": "voc", "name": "mute", "value": True}))
    # the export with the vocal muted: the instrumental alone, ducked by the vocal (a pre-fader key)
    r = render_project(p, media=[media[0]], target_lufs=None)
    out = r.audio.samples
    sung = _level_db(out, 2.5, 3.5) - _level_db(plain, 2.5, 3.5)
    before = _level_db(out, 0.3, 1.8) - _level_db(plain, 0.3, 1.8)
    after = _level_db(out, 4.4, 5.8) - _level_db(plain, 4.4, 5.8)
    assert sung == pytest.approx(-6.0, abs=0.3)
    assert abs(before) < 0.05 and abs(after) < 0.05
    # the duck is fully down when the voice enters (look-ahead) and back within the release
    assert _level_db(out, 2.0, 2.05) - _level_db(plain, 2.0, 2.05) < -5.0
    assert abs(_level_db(out, 4.35, 4.4) - _level_db(plain, 4.35, 4.4)) < 0.1


def test_presence_dip_cuts_the_presence_band_while_the_vocal_sings(media) -> None:  # type: ignore[no-untyped-def]
    p, stack = _project(media)
    resolver = MediaResolver([media[0]])
    plain = track_buffers(p, resolver, sample_rate=SR)[1]
    _mixed(p, stack, duck_source="voc", presence_dip_db=6.0, presence_hz=2000.0)
    dipped = track_buffers(p, resolver, sample_rate=SR)[1]
    d2k = _level_db(dipped, 2.5, 3.5, 2000.0) - _level_db(plain, 2.5, 3.5, 2000.0)
    d200 = _level_db(dipped, 2.5, 3.5, 200.0) - _level_db(plain, 2.5, 3.5, 200.0)
    assert d2k == pytest.approx(-6.0, abs=0.3)
    assert abs(d200) < 0.3  # far below the band: kept
    assert abs(_level_db(dipped, 0.5, 1.5, 2000.0) - _level_db(plain, 0.5, 1.5, 2000.0)) < 0.05


def test_highpass_removes_a_60_hz_hum_from_the_vocal(media) -> None:  # type: ignore[no-untyped-def]
    p, stack = _project(media)
    resolver = MediaResolver([media[0]])
    plain = track_buffers(p, resolver, sample_rate=SR)[0]
    cmd = set_track_mix(p, "voc", highpass_hz=100.0)
    assert cmd is not None
    stack.push(cmd)
    hp = track_buffers(p, resolver, sample_rate=SR)[0]
    assert _level_db(hp, 2.5, 3.5, 60.0) - _level_db(plain, 2.5, 3.5, 60.0) < -20.0
    assert abs(_level_db(hp, 2.5, 3.5, 1000.0) - _level_db(plain, 2.5, 3.5, 1000.0)) < 0.3
    stack.undo()
    assert p.track("voc").highpass_hz == 0.0


def _full(p: Project, stack: CommandStack) -> None:
    _mixed(p, stack, duck_source="voc", duck_db=4.0, presence_dip_db=3.0, duck_release_ms=150.0)
    cmd = set_track_mix(p, "voc", highpass_hz=120.0)
    assert cmd is not None
    stack.push(cmd)


def test_export_and_playback_render_equal_samples_with_mix_settings_on(media, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p, stack = _project(media)
    _full(p, stack)
    resolver = MediaResolver([media[0]])
    memo = ClipMemo()
    bufs = np.stack(track_buffers(p, resolver, sample_rate=SR, memo=memo))
    r = render_project(p, media=resolver, target_lufs=None)  # quiet: the limiter leaves it untouched
    assert r.master is not None and r.master.true_peak_db < -1.0
    assert np.array_equal(r.audio.samples, bufs[0] + bufs[1])
    blocks = BlockRenderer(p, resolver, sample_rate=SR, memo=memo)
    got = np.zeros_like(bufs)
    out = np.empty((2, 2, 3000), np.float32)
    for start in range(0, blocks.length, 3000):  # blocks that straddle the processing chunks
        n = min(3000, blocks.length - start)
        got[:, :, start : start + n] = blocks.render(start, 3000, out)[:, :, :n]
    assert np.array_equal(got, bufs)
    whole = render_project(p, media=resolver, out=tmp_path / "whole.wav")
    streamed = render_project(p, media=resolver, out=tmp_path / "streamed.wav", stream_above_bytes=0)
    assert streamed.streamed and whole.master is not None and streamed.master is not None
    from audio_engine import io

    a, b = io.load(tmp_path / "whole.wav"), io.load(tmp_path / "streamed.wav")
    assert float(np.abs(a.samples - b.samples).max()) < 1e-6


def test_default_off_projects_render_as_before_the_mix_existed(media) -> None:  # type: ignore[no-untyped-def]
    """Without settings the render is the old arithmetic exactly: clips placed
    with track gain and pan, summed by the mixer, mastered."""
    p, stack = _project(media)
    p.track("inst").gain_db, p.track("inst").pan = -2.0, 0.3
    r = render_project(p, media=[media[0]])
    resolver = MediaResolver([media[0]])
    placements = [clip_placement(p, c, render_clip(p, c, media=resolver, sample_rate=SR)[0], sample_rate=SR,
                                 track_gain_db=t.gain_db, pan=t.pan) for t in p.tracks for c in t.clips]
    old, _ = master(mix(placements, sample_rate=SR, channels=2), target_lufs=-14.0, ceiling_db=-1.0)
    assert np.array_equal(r.audio.samples, old.samples)
    # settings that cannot act (amounts with no source, or a source that is gone) change nothing either
    _mixed(p, stack, duck_db=6.0, presence_dip_db=4.0)
    assert np.array_equal(render_project(p, media=[media[0]]).audio.samples, old.samples)
    p.track("inst").duck_source = "a-track-a-peer-deleted"
    assert np.array_equal(render_project(p, media=[media[0]]).audio.samples, old.samples)


def test_settings_survive_save_open_and_the_sync_entity_round_trip(media, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p, stack = _project(media)
    _full(p, stack)
    want = {k: getattr(p.track("inst"), k) for k in ("duck_source", "duck_db", "duck_release_ms", "presence_dip_db")}
    assert want == {"duck_source": "voc", "duck_db": 4.0, "duck_release_ms": 150.0, "presence_dip_db": 3.0}
    path = save_project(p, tmp_path / "mix.mashup", media_sources=[media[0]])
    opened = open_project(path).project
    assert opened.to_dict()["tracks"] == p.to_dict()["tracks"]
    assert compose(decompose(p)).to_dict()["tracks"] == p.to_dict()["tracks"]
    # the change stream a collaborator receives carries the fields, and applies as JSON
    cmd = set_track_mix(p, "inst", duck_db=9.0, duck_source=None)
    assert cmd is not None
    wire = cmd.to_dict()
    stack.push(cmd)
    [change] = command_changes(cmd, p)
    assert change.kind == "track" and change.fields == {"duck_db": 9.0, "duck_source": None}
    other = open_project(path).project
    command_from_dict(wire).apply(other)
    assert other.track("inst").duck_db == 9.0 and other.track("inst").duck_source is None


def test_bad_values_are_refused_on_edit_and_on_load(media, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p, stack = _project(media)
    for bad in ({"duck_db": -3.0}, {"duck_db": 1e9}, {"highpass_hz": 5.0}, {"presence_hz": float("nan")},
                {"duck_attack_ms": True}, {"duck_source": ""}):
        with pytest.raises(ProjectEditError):
            cmd = set_track_mix(p, "inst", **bad)  # type: ignore[arg-type]
            assert cmd is not None
            stack.push(cmd)
    assert p.track("inst").duck_db == 0.0 and p.track("inst").highpass_hz == 0.0  # nothing half-applied
    d = p.to_dict()
    d["tracks"][1]["duck_release_ms"] = 1e12
    with pytest.raises(ProjectFileError, match="release"):
        Project.from_dict(d)
    d = p.to_dict()  # a version-4 track (no mix fields) reads with the mix off
    for k in ("duck_source", "duck_db", "highpass_hz"):
        d["tracks"][0].pop(k)
    assert Project.from_dict(d).tracks[0].highpass_hz == 0.0
