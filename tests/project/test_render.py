from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_engine import io
from audio_engine.cache import FileCache
from audio_engine.errors import Cancelled
from audio_engine.loudness import integrated_lufs, true_peak_db
from audio_engine.progress import CancelToken, Progress
from audio_engine.project import Clip, Project, Track
from audio_engine.project.media import add_song
from audio_engine.project.render import render_project
from tests.project.helpers import SR, click_track, simple_project, tone


def _onsets(x: np.ndarray, thresh: float = 0.02) -> np.ndarray:
    """Sample indices where the signal first rises above ``thresh`` after quiet."""
    above = np.abs(x) > thresh
    idx = np.flatnonzero(above & ~np.concatenate([[False], above[:-1]]))
    out: list[int] = []
    for i in idx:
        if not out or i - out[-1] > SR // 20:
            out.append(int(i))
    return np.asarray(out)


@pytest.fixture()
def proj(tmp_path: Path) -> tuple[Project, object, object]:
    p, store, ref = simple_project(tmp_path)
    return p, store, ref


def test_sample_accurate_placement(proj: tuple[Project, object, object]) -> None:
    p, store, ref = proj
    p.tempo = 100.0
    p.tracks[0].clips.append(Clip("c", ref.hash, "vocals", 0.0, 2.0, position=3.0, stretch_mode="fixed"))  # type: ignore[attr-defined]
    r = render_project(p, media=store, target_lufs=None, ceiling_db=0.0)  # type: ignore[arg-type]
    x = r.audio.samples[0]
    on = _onsets(x, thresh=1e-3)
    start = p.beats_to_samples(3.0)
    assert start == round(1.8 * SR)
    # The burst's first samples are sin(0)=0, sin(w)...: its onset is within 3 samples of the placement.
    assert 0 <= on[0] - start <= 3
    # Four 120-BPM clicks, 0.5 s apart, unstretched.
    assert np.allclose(np.diff(on[:4]), 0.5 * SR, atol=3)


@pytest.mark.parametrize("tempo", [110.0, 127.0])
def test_tempo_stretch_lands_on_project_beats(tmp_path: Path, tempo: float) -> None:
    """A 24 s clip of 120-BPM clicks following the project tempo: every click
    lands on its project beat, with no drift from the first to the last."""
    p, store, _ = simple_project(tmp_path)
    clicks = add_song(store, click_track(tmp_path / "src" / "clicks.flac", seconds=24.0, first=0.0), bpm=120.0)  # type: ignore[arg-type]
    p.media[clicks.hash] = clicks
    p.tempo = tempo
    c = Clip("c", clicks.hash, None, 0.0, 24.0, position=2.0, stretch_mode="tempo", source_bpm=120.0)
    p.tracks[0].clips.append(c)
    r = render_project(p, media=store, target_lufs=None)  # type: ignore[arg-type]
    env = np.abs(r.audio.samples[0])
    offsets = []
    for k in range(46):
        e = p.beats_to_samples(2.0 + k)
        seg = env[e - SR // 20 : e + SR // 20]
        offsets.append((int(np.argmax(seg)) - SR // 20) / SR)
    # Each click's energy peak sits at its beat (the burst peaks a few ms in) ...
    assert max(abs(o) for o in offsets) <= 0.012, offsets
    # ... and the last is where the first is: no drift.
    assert abs(np.median(offsets[-8:]) - np.median(offsets[:8])) <= 0.003
    assert r.audio.frames == p.beats_to_samples(2.0) + round(24.0 * SR / (tempo / 120))


def test_mute_solo_gain_and_loudness(tmp_path: Path) -> None:
    p, store, ref = simple_project(tmp_path)
    hi = add_song(store, tone(tmp_path / "src" / "hi.flac", freq=1000.0), bpm=120.0)  # type: ignore[arg-type]
    p.media[hi.hash] = hi
    p.tracks[0].clips.append(Clip("a", ref.hash, None, 0.0, 4.0, stretch_mode="fixed"))  # type: ignore[attr-defined]
    p.tracks[1].clips.append(Clip("b", hi.hash, None, 0.0, 4.0, stretch_mode="fixed"))

    def band(audio: np.ndarray, f: float) -> float:
        spec = np.abs(np.fft.rfft(audio[0]))
        freqs = np.fft.rfftfreq(audio.shape[1], 1 / SR)
        return float(spec[(freqs > f - 20) & (freqs < f + 20)].sum())

    both = render_project(p, media=store)  # type: ignore[arg-type]
    assert integrated_lufs(both.audio) == pytest.approx(-14.0, abs=0.5)
    assert true_peak_db(both.audio) <= -1.0 + 1e-6
    assert both.master is not None and both.master.output_lufs == pytest.approx(-14.0, abs=0.5)
    p.tracks[1].solo = True
    solo = render_project(p, media=store, target_lufs=None)  # type: ignore[arg-type]
    assert band(solo.audio.samples, 440) < 1e-3 * band(solo.audio.samples, 1000)
    p.tracks[1].solo = False
    p.tracks[1].mute = True
    muted = render_project(p, media=store, target_lufs=None)  # type: ignore[arg-type]
    assert band(muted.audio.samples, 1000) < 1e-3 * band(muted.audio.samples, 440)
    p.tracks[1].mute = False
    p.tracks[1].gain_db = -6.0
    mixed = render_project(p, media=store, target_lufs=None)  # type: ignore[arg-type]
    ratio = band(mixed.audio.samples, 1000) / band(mixed.audio.samples, 440)
    assert ratio == pytest.approx(10 ** (-6 / 20), rel=0.05)


def test_clip_cache_reuses_unchanged_clips(proj: tuple[Project, object, object], tmp_path: Path) -> None:
    p, store, ref = proj
    for i, t in enumerate(p.tracks):
        t.clips.append(Clip(f"c{i}", ref.hash, "vocals", 0.0, 3.0, position=float(i), source_bpm=120.0, pitch=float(i)))  # type: ignore[attr-defined]
    p.tempo = 110.0
    cache = FileCache(tmp_path / "renders")
    first = render_project(p, media=store, cache=cache)  # type: ignore[arg-type]
    assert (first.clips_rendered, first.clips_cached) == (2, 0)
    second = render_project(p, media=store, cache=cache)  # type: ignore[arg-type]
    assert (second.clips_rendered, second.clips_cached) == (0, 2)
    assert np.array_equal(first.audio.samples, second.audio.samples)
    p.tracks[1].clips[0].pitch = 3.0  # only this clip's sound changed
    p.tracks[0].clips[0].gain_db = -3.0  # gain is applied after the cache
    third = render_project(p, media=store, cache=cache)  # type: ignore[arg-type]
    assert (third.clips_rendered, third.clips_cached) == (1, 1)


@pytest.mark.parametrize("ext", [".flac", ".mp3", ".wav"])
def test_export_tags(proj: tuple[Project, object, object], tmp_path: Path, ext: str) -> None:
    import mutagen

    p, store, ref = proj
    p.title, p.artist, p.tempo, p.key = "My Mashup", "DJ Test", 124.0, "F# minor"
    p.tracks[0].clips.append(Clip("c", ref.hash, "vocals", 0.0, 2.0, source_bpm=120.0))  # type: ignore[attr-defined]
    out = tmp_path / f"mix{ext}"
    r = render_project(p, media=store, out=out)  # type: ignore[arg-type]
    assert r.path == out and out.is_file()
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".")] == []
    back = io.load(out)
    assert back.sample_rate == SR and back.duration == pytest.approx(2.0 * 120 / 124, abs=0.06)
    f = mutagen.File(str(out))
    tags = {k.upper(): str(v) for k, v in f.tags.items()}
    text = " ".join(tags.values())
    assert "My Mashup" in text and "DJ Test" in text and "F# minor" in text
    assert "Band - Song" in text  # attribution of the source song
    if ext == ".flac":
        assert tags["BPM"] == "['124']"
    else:
        assert tags["TBPM"] == "124"


def test_progress_and_cancel(proj: tuple[Project, object, object], tmp_path: Path) -> None:
    p, store, ref = proj
    p.tracks[0].clips.append(Clip("c", ref.hash, "vocals", 0.0, 3.0, source_bpm=120.0))  # type: ignore[attr-defined]
    seen: list[Progress] = []
    render_project(p, media=store, progress=seen.append)  # type: ignore[arg-type]
    fr = [s.fraction for s in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(Cancelled):
        render_project(p, media=store, out=tmp_path / "x.wav", cancel=tok)  # type: ignore[arg-type]
    assert not (tmp_path / "x.wav").exists()


def test_missing_media_is_a_clear_error(proj: tuple[Project, object, object], tmp_path: Path) -> None:
    from audio_engine.errors import ProjectFileError
    from audio_engine.project.media import MediaStore

    p, _, ref = proj
    p.tracks[0].clips.append(Clip("c", ref.hash, "vocals", 0.0, 3.0))  # type: ignore[attr-defined]
    with pytest.raises(ProjectFileError, match="missing"):
        render_project(p, media=MediaStore(tmp_path / "empty"))
    p.tracks[0].mute = True
    with pytest.raises(ProjectFileError, match="Nothing to render"):
        render_project(p, media=MediaStore(tmp_path / "empty"))
    assert click_track and Track


def test_parallel_split_stretch_keeps_length_and_timing(tmp_path: Path) -> None:
    from audio_engine.project.render import silent_cuts, stretch_split
    from audio_engine.transform import stretched_length, time_stretch

    clicks = io.load(click_track(tmp_path / "c.flac", seconds=24.0, bpm=120.0, first=0.25))
    assert len(silent_cuts(clicks, 2)) == 1  # the gaps between clicks are silent
    whole = time_stretch(clicks, ratio=0.9, semitones=1.0, quality="fast")
    split = stretch_split(clicks, ratio=0.9, semitones=1.0, quality="fast", parts=2)
    assert split.frames == whole.frames == stretched_length(clicks.frames, 0.9)
    on_w, on_s = _onsets(whole.samples[0], 0.05), _onsets(split.samples[0], 0.05)
    assert len(on_w) == len(on_s) == 48
    expected = np.array([round((0.25 + 0.5 * k) / 0.9 * SR) for k in range(48)])
    err_w, err_s = np.abs(on_w - expected), np.abs(on_s - expected)
    # Splitting costs no accuracy: every transient is as close to the grid as in the whole render
    # (R2 places transients to within its hop, a few ms, so the two may differ by that much).
    assert np.max(err_s) <= np.max(err_w) + int(0.001 * SR)
    assert np.max(err_s) <= int(0.010 * SR)
    # Audio without silences is never cut.
    assert silent_cuts(io.load(tone(tmp_path / "t.flac", seconds=30.0)), 2) == []
