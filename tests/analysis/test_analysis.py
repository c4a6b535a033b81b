from __future__ import annotations

import json
import math
import time
from pathlib import Path

import mir_eval
import numpy as np
import pytest

from audio_engine import io
from audio_engine.analysis import ANALYZER_VERSION, Analysis, analyze, analyze_file
from audio_engine.analysis import core as analysis_core
from audio_engine.audio import Audio
from audio_engine.cache import JsonCache
from audio_engine.errors import AudioDecodeError, AudioTooLargeError, Cancelled, InvalidAudioError
from audio_engine.keys import parse_key
from audio_engine.progress import CancelToken, Progress
from tests.analysis.synth import pulse_song
from tests.corpus import Song


def _f(ref: list[float] | np.ndarray, est: list[float]) -> float:
    return float(mir_eval.beat.f_measure(np.asarray(ref, dtype=float), np.asarray(est, dtype=float)))


# --- corpus songs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analysed(songs: list[Song]) -> list[tuple[Song, Analysis]]:
    return [(s, analyze_file(s.mix)) for s in songs]


def test_corpus_tempo_beats_downbeats_key(analysed: list[tuple[Song, Analysis]]) -> None:
    key_scores, downbeat_f = [], []
    for song, a in analysed:
        t = song.truth
        assert abs(a.bpm - t["bpm"]) <= 0.1, (song.name, a.bpm, t["bpm"])
        assert a.bpm == round(a.bpm, 2)
        assert a.bpm_alternative in (pytest.approx(a.bpm * 2, abs=0.02), pytest.approx(a.bpm / 2, abs=0.02))
        assert _f(t["beats"], a.beats) >= 0.9, song.name
        downbeat_f.append(_f(t["downbeats"], a.downbeats))
        key_scores.append(mir_eval.key.weighted_score(t["key"]["name"], a.key.name))
        # The grid is constant-tempo: successive beats one period apart.
        assert np.allclose(np.diff(a.beats), 60.0 / a.bpm, atol=2e-3)
        assert set(a.downbeats) <= set(a.beats)
        assert a.beats_per_bar == 4
        # Bar 1 is where the music starts (after a lead-in), not at 0 s.
        assert abs(a.downbeats[0] - t["downbeats"][0]) < 0.1 or _f(t["downbeats"], a.downbeats) >= 0.9
        assert a.duration == pytest.approx(30.0, abs=0.05) and a.sample_rate == 44100
        assert -40.0 < a.lufs < -3.0
        assert -20.0 < a.true_peak_db < 3.0
        assert 0.0 <= a.bpm_confidence <= 1.0 and 0.0 <= a.key.confidence <= 1.0
    assert float(np.mean(downbeat_f)) >= 0.8
    assert float(np.mean(key_scores)) >= 0.8


def test_loudness_matches_the_loudness_module(analysed: list[tuple[Song, Analysis]]) -> None:
    from audio_engine.loudness import integrated_lufs, true_peak_db

    song, a = analysed[0]
    audio = io.load(song.mix)
    assert a.lufs == pytest.approx(integrated_lufs(audio), abs=0.01)
    assert a.true_peak_db == pytest.approx(true_peak_db(audio), abs=0.01)


def test_analyze_in_memory_agrees_with_analyze_file(analysed: list[tuple[Song, Analysis]]) -> None:
    song, a = analysed[1]
    b = analyze(io.load(song.mix))
    assert b.path is None and a.path == str(song.mix)
    assert b.bpm == pytest.approx(a.bpm, abs=0.02)
    assert b.key.name == a.key.name
    assert b.lufs == pytest.approx(a.lufs, abs=0.05)
    assert _f(a.beats, b.beats) >= 0.99


def test_streamed_loudness_segments_combine(monkeypatch: pytest.MonkeyPatch, analysed: list[tuple[Song, Analysis]]) -> None:
    # Force the segment-wise path a long file takes (10 s segments of a 30 s song).
    song, whole = analysed[2]
    monkeypatch.setattr(analysis_core, "LOUDNESS_SEGMENT_S", 10.0)
    a = analyze_file(song.mix)
    assert a.lufs == pytest.approx(whole.lufs, abs=0.5)
    assert a.true_peak_db == pytest.approx(whole.true_peak_db, abs=0.05)
    assert a.bpm == pytest.approx(whole.bpm, abs=0.02)  # streamed resampling has no seams
    assert a.key.name == whole.key.name


def test_json_round_trip(analysed: list[tuple[Song, Analysis]]) -> None:
    _, a = analysed[0]
    d = json.loads(json.dumps(a.to_dict()))
    for k in ("path", "duration", "sample_rate", "bpm", "beats", "downbeats", "key", "camelot", "lufs", "true_peak_db"):
        assert k in d
    assert d["key"] == a.key.name and parse_key(d["key"]).camelot == d["camelot"]
    b = Analysis.from_dict(d)
    assert b.bpm == a.bpm and b.beats == a.beats and b.key.same_key(a.key)
    assert b.analyzer_version == ANALYZER_VERSION


# --- synthetic signals with known answers ---------------------------------------------------


def test_synthetic_tempo_to_hundredths_and_offset_downbeat() -> None:
    audio, beats, downbeats = pulse_song(128.37, 30.0, first_downbeat=0.73, sub_level=0.3)
    a = analyze(audio)
    assert a.bpm == pytest.approx(128.37, abs=0.03)
    assert _f(beats, a.beats) >= 0.98
    assert _f(downbeats, a.downbeats) >= 0.95
    assert a.downbeats[0] == pytest.approx(0.73, abs=0.07)
    assert a.key.name == "C major"


def test_three_four_when_the_harmony_says_so() -> None:
    audio, _, downbeats = pulse_song(96.0, 30.0, first_downbeat=0.6, beats_per_bar=3, sub_level=0.3)
    a = analyze(audio)
    assert a.beats_per_bar == 3
    assert _f(downbeats, a.downbeats) >= 0.95


def test_weak_subdivisions_are_not_taken_for_the_beat() -> None:
    # 80 BPM with hats on the off-beats: 160 is inside the range, but the
    # off-beats are subdivisions, not beats.
    audio, beats, _ = pulse_song(80.0, 30.0, first_downbeat=1.1, sub_level=0.5)
    a = analyze(audio)
    assert a.bpm == pytest.approx(80.0, abs=0.05)
    assert a.bpm_alternative == pytest.approx(160.0, abs=0.1)
    assert _f(beats, a.beats) >= 0.98


def test_half_double_follows_the_preferred_range() -> None:
    audio, beats, _ = pulse_song(150.0, 30.0, first_downbeat=0.4)
    fast = analyze(audio)
    assert fast.bpm == pytest.approx(150.0, abs=0.05)
    assert fast.bpm_alternative == pytest.approx(75.0, abs=0.05)
    assert _f(beats, fast.beats) >= 0.98
    slow = analyze(audio, tempo_range=(60.0, 125.0))
    assert slow.bpm == pytest.approx(75.0, abs=0.05)
    assert slow.bpm_alternative == pytest.approx(150.0, abs=0.1)
    # Every other beat of the fast grid.
    assert _f(beats[::2], slow.beats) >= 0.95 or _f(beats[1::2], slow.beats) >= 0.95


def test_confidence_drops_when_the_tempo_is_not_constant() -> None:
    a, _, _ = pulse_song(120.0, 15.0, first_downbeat=0.5)
    b, _, _ = pulse_song(128.0, 15.0, seed=1)
    changing = analyze(Audio(np.concatenate([a.samples, b.samples], axis=1), a.sample_rate))
    steady = analyze(pulse_song(120.0, 30.0, first_downbeat=0.5)[0])
    assert steady.bpm_confidence >= 0.9
    assert changing.bpm_confidence < 0.6


def test_bad_tempo_range_is_rejected() -> None:
    audio, _, _ = pulse_song(120.0, 5.0)
    with pytest.raises(ValueError):
        analyze(audio, tempo_range=(100.0, 150.0))  # less than an octave: half/double ambiguous


def test_silence_gives_an_empty_grid() -> None:
    a = analyze(Audio.silence(6.0, 44100))
    assert a.bpm == 0.0 and a.beats == [] and a.downbeats == []
    assert a.bpm_confidence == 0.0 and a.key.confidence == 0.0
    assert a.lufs == -70.0
    assert a.true_peak_db <= -100.0
    assert a.duration == pytest.approx(6.0)


def test_very_short_audio() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 100, 4410):
        a = analyze(Audio((0.1 * rng.standard_normal((1, n))).astype(np.float32), 44100))
        assert a.bpm == 0.0 and a.beats == []
        assert math.isfinite(a.lufs) and math.isfinite(a.true_peak_db)


def test_empty_and_non_finite_audio_are_rejected() -> None:
    with pytest.raises(InvalidAudioError):
        analyze(Audio(np.zeros((2, 0), np.float32), 44100))
    x = np.zeros((2, 44100), np.float32)
    x[1, 500] = np.nan
    with pytest.raises(InvalidAudioError):
        analyze(Audio(x, 44100))
    x[1, 500] = np.inf
    with pytest.raises(InvalidAudioError):
        analyze(Audio(x, 44100))


def test_bad_files_give_typed_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"this is not audio" * 100)
    with pytest.raises(AudioDecodeError):
        analyze_file(junk)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError):
        analyze_file(empty)
    with pytest.raises(AudioDecodeError):
        analyze_file(tmp_path / "missing.flac")


def test_too_long_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    audio, _, _ = pulse_song(120.0, 12.0)
    path = io.save(audio, tmp_path / "long.flac")
    monkeypatch.setattr(analysis_core, "MAX_ANALYSIS_SECONDS", 10.0)
    with pytest.raises(AudioTooLargeError):
        analyze_file(path)
    with pytest.raises(AudioTooLargeError):
        analyze(audio)


# --- cache, progress, cancel ----------------------------------------------------------------


def test_cache_hit_returns_at_once(tmp_path: Path) -> None:
    audio, _, _ = pulse_song(100.0, 20.0, first_downbeat=0.5)
    path = io.save(audio, tmp_path / "song.flac")
    cache = JsonCache(tmp_path / "analysis.sqlite3")
    t = time.perf_counter()
    first = analyze_file(path, cache=cache)
    compute_s = time.perf_counter() - t
    assert len(cache) == 1
    t = time.perf_counter()
    again = analyze_file(path, cache=cache)
    assert time.perf_counter() - t < min(0.5, compute_s / 4)
    assert again == first
    # The same content under another name is a hit too, reported under the new path.
    copy = tmp_path / "copy.flac"
    copy.write_bytes(path.read_bytes())
    other = analyze_file(copy, cache=cache)
    assert other.path == str(copy) and other.bpm == first.bpm and len(cache) == 1
    # In-memory analysis is cached by the decoded content.
    mem = analyze(audio, cache=cache)
    assert len(cache) == 2
    assert analyze(audio, cache=cache) == mem
    # A different tempo range is a different result.
    analyze(audio, cache=cache, tempo_range=(50.0, 110.0))
    assert len(cache) == 3
    cache.close()


def test_damaged_cache_entry_is_recomputed(tmp_path: Path) -> None:
    audio, _, _ = pulse_song(100.0, 8.0)
    cache = JsonCache(tmp_path / "analysis.sqlite3")
    a = analyze(audio, cache=cache)
    key = analysis_core._key(io.audio_hash(audio), "analysis", (70.0, 180.0))
    cache.put(key, {"garbage": True})
    assert analyze(audio, cache=cache) == a
    cache.close()


def test_progress_is_ordered_and_cancel_stops(tmp_path: Path) -> None:
    audio, _, _ = pulse_song(110.0, 10.0)
    seen: list[Progress] = []
    analyze(audio, progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"loudness", "rhythm", "key"} <= {p.stage for p in seen}
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        analyze(audio, cancel=token)
    path = io.save(audio, tmp_path / "x.wav")
    with pytest.raises(Cancelled):
        analyze_file(path, cancel=token)


def test_analysis_does_not_load_librosa_or_numba(tmp_path: Path) -> None:
    """Start-up guard: librosa's numba compilation costs seconds in every new
    process; the analysis path must not import it."""
    import subprocess
    import sys

    audio, _, _ = pulse_song(120.0, 6.0)
    path = io.save(audio, tmp_path / "x.wav")
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        "from audio_engine.analysis import analyze_file\n"
        f"a = analyze_file({str(path)!r})\n"
        "assert a.bpm > 0\n"
        "print(sorted(m for m in ('librosa', 'numba') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
