"""Beat grids and beat-synchronous features for matching two songs.

The analysis gives a constant-tempo beat grid; :func:`grid_from_analysis`
refits it by least squares (period and phase to well under a millisecond) and
:func:`refine_phase` moves the phase onto the attacks of a fine-hop
(2.9 ms) onset envelope, preferably of the drum stem (the analyser's frame
hop leaves a systematic lag of a few tens of milliseconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from audio_engine.audio import Audio

FEATURE_VERSION = "1"
FEATURE_RATE = 22050
ONSET_HOP = 64
SUBDIV = 4  # onset pattern resolution: 4 steps per beat


@dataclass(frozen=True)
class Grid:
    """A constant-tempo grid: beat k at ``phase + k * period`` seconds (k may be
    negative); beat ``downbeat_index`` (mod ``beats_per_bar``) starts a bar."""

    period: float
    phase: float
    beats_per_bar: int
    downbeat_index: int
    duration: float

    @property
    def bpm(self) -> float:
        return 60.0 / self.period

    def beat_time(self, k: float) -> float:
        return self.phase + k * self.period

    def bar_time(self, bar: int) -> float:
        """Start of bar ``bar`` (bar 0 = the first bar starting at or after 0 s)."""
        return self.beat_time(self.first_bar_beat() + bar * self.beats_per_bar)

    def first_bar_beat(self) -> int:
        k = self.downbeat_index
        while self.beat_time(k - self.beats_per_bar) >= -1e-9:
            k -= self.beats_per_bar
        while self.beat_time(k) < -1e-9:
            k += self.beats_per_bar
        return k

    def n_bars(self) -> int:
        """Whole bars between bar 0 and the end."""
        start = self.bar_time(0)
        return max(0, int(math.floor((self.duration - start) / (self.period * self.beats_per_bar) + 1e-9)))

    def bar_of(self, t: float) -> int:
        """Index of the bar containing ``t`` (floor)."""
        return int(math.floor((t - self.bar_time(0)) / (self.period * self.beats_per_bar) + 1e-9))

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "phase": self.phase, "beats_per_bar": self.beats_per_bar,
                "downbeat_index": self.downbeat_index, "duration": self.duration}


def grid_from_analysis(beats: list[float], downbeats: list[float], beats_per_bar: int, duration: float,
                       bpm: float, *, period: float = 0.0, phase: float = 0.0) -> Grid:
    """Magic's grid from an analysis: the analysis's own fitted grid
    (``period``/``phase``) when it carries one, else fitted to ``beats``."""
    b = np.asarray(beats, dtype=np.float64)
    if period > 0:
        pass  # the analyser's fit, not fitted again
    elif b.size >= 4:
        period0 = float(np.median(np.diff(b)))
        idx = np.round((b - b[0]) / period0)
        period, phase = np.polyfit(idx, b, 1)
    elif bpm > 0:
        period, phase = 60.0 / bpm, (float(b[0]) if b.size else 0.0)
        idx = np.zeros(0)
    else:
        from audio_engine.errors import MashupsError

        raise MashupsError("No steady beat was found in the song, so it cannot be tempo-matched.",
                           hint="Magic mashup needs songs with a beat.")
    bpb = max(1, int(beats_per_bar))
    db = np.asarray(downbeats, dtype=np.float64)
    if db.size:
        k = np.round((db - phase) / period).astype(int) % bpb
        vals, counts = np.unique(k, return_counts=True)
        down = int(vals[np.argmax(counts)])
    else:
        down = 0
    return Grid(float(period), float(phase), bpb, down, float(duration))


def onset_envelope(audio: Audio) -> tuple[np.ndarray, float]:
    """A fine-hop spectral-flux onset envelope and its frame rate."""
    import librosa

    y = audio.mono().resample(FEATURE_RATE).samples[0]
    env = librosa.onset.onset_strength(y=y, sr=FEATURE_RATE, hop_length=ONSET_HOP, n_fft=512, lag=1, max_size=1)
    return np.asarray(env, dtype=np.float64), FEATURE_RATE / ONSET_HOP


def refine_phase(grid: Grid, env: np.ndarray, frame_rate: float, *, search_s: float = 0.08) -> Grid:
    """Shift the grid's phase (within +/- ``search_s``) to where the onset
    envelope, sampled on the grid, is strongest."""
    n_beats = int(grid.duration / grid.period) + 2
    k = np.arange(-2, n_beats)
    ft = np.arange(env.size) / frame_rate
    best_d, best_v = 0.0, -1.0
    for d in np.arange(-search_s, search_s + 1e-9, 0.0005):
        g = grid.phase + d + k * grid.period
        g = g[(g >= 0) & (g < ft[-1])] if ft.size else g[:0]
        v = float(np.interp(g, ft, env).sum()) if g.size else 0.0
        if v > best_v:
            best_v, best_d = v, float(d)
    return replace(grid, phase=grid.phase + best_d)


@dataclass(frozen=True)
class SongFeatures:
    """Bar-synchronous description used by the mashability score."""

    bpm: float
    key_tonic: int
    key_mode: str
    key_confidence: float
    chroma_profile: list[float]  # 12, mean of the normalised bar chroma
    rhythm_pattern: list[float]  # beats_per_bar * SUBDIV onset pattern
    bar_rms_db: list[float]  # loudness per bar (dBFS)
    activity: float  # fraction of bars with content (within 30 dB of the loudest)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SongFeatures:
        return cls(**d)


def bar_rms_db(audio: Audio, grid: Grid) -> np.ndarray:
    x = audio.mono().samples[0].astype(np.float64)
    sr = audio.sample_rate
    out = []
    for bar in range(grid.n_bars()):
        a, b = int(grid.bar_time(bar) * sr), int(grid.bar_time(bar + 1) * sr)
        seg = x[max(0, a):max(0, min(b, x.size))]
        rms = math.sqrt(float(np.mean(seg * seg))) if seg.size else 0.0
        out.append(20 * math.log10(max(rms, 1e-9)))
    return np.asarray(out)


def active_bars(levels_db: np.ndarray, *, below_max_db: float = 30.0, floor_db: float = -60.0) -> np.ndarray:
    if levels_db.size == 0:
        return np.zeros(0, dtype=bool)
    top = float(np.percentile(levels_db, 95))
    return (levels_db > top - below_max_db) & (levels_db > floor_db)


def song_features(audio: Audio, grid: Grid, *, key_tonic: int, key_mode: str, key_confidence: float,
                  env: tuple[np.ndarray, float] | None = None) -> SongFeatures:
    import librosa

    y = audio.mono().resample(FEATURE_RATE).samples[0]
    hop = 512
    chroma = librosa.feature.chroma_stft(y=y, sr=FEATURE_RATE, hop_length=hop)
    frame_t = np.arange(chroma.shape[1]) * hop / FEATURE_RATE
    bars = grid.n_bars()
    prof = np.zeros(12)
    levels = bar_rms_db(audio, grid)
    act = active_bars(levels)
    for bar in range(bars):
        if not act[bar]:
            continue
        m = (frame_t >= grid.bar_time(bar)) & (frame_t < grid.bar_time(bar + 1))
        if m.any():
            c = chroma[:, m].mean(axis=1)
            prof += c / (np.linalg.norm(c) + 1e-9)
    prof = prof / (np.linalg.norm(prof) + 1e-9)
    e, fr = env if env is not None else onset_envelope(audio)
    ft = np.arange(e.size) / fr
    steps = grid.beats_per_bar * SUBDIV
    pattern = np.zeros(steps)
    for bar in range(bars):
        t = grid.bar_time(bar) + np.arange(steps) * grid.period / SUBDIV
        pattern += np.interp(t, ft, e) if e.size else 0.0
    pattern = pattern / (np.linalg.norm(pattern) + 1e-9)
    return SongFeatures(
        bpm=grid.bpm,
        key_tonic=key_tonic,
        key_mode=key_mode,
        key_confidence=key_confidence,
        chroma_profile=[float(v) for v in prof],
        rhythm_pattern=[float(v) for v in pattern],
        bar_rms_db=[float(v) for v in levels],
        activity=float(act.mean()) if act.size else 0.0,
    )


DOWNBEAT_CHECK_VERSION = "1"
DOWNBEAT_MARGIN = 1.0


def check_downbeat(grid: Grid, drums: Audio, harmonic: Audio) -> tuple[Grid, str | None]:
    """Cross-check which beat starts the bars on the drum stem (kick on the
    strong beats) and the harmonic stems (bars of steady harmony), so that
    bars never land a beat off. Returns the grid (its ``downbeat_index``
    moved when the stems disagree with the analysis) and a note when moved."""
    from audio_engine.analysis.features import SR, chroma_features
    from audio_engine.analysis.structure import beat_chroma, beat_values, downbeat_phase, low_band_onsets

    bpb = grid.beats_per_bar
    if bpb < 2:
        return grid, None
    k0 = int(math.ceil(-grid.phase / grid.period - 1e-9))
    k1 = int(math.floor((grid.duration - grid.phase) / grid.period))
    if k1 - k0 < 4 * bpb:
        return grid, None
    beats = [grid.beat_time(k) for k in range(k0, k1 + 1)]
    d = drums.mono().resample(SR).samples[0]
    h = harmonic.mono().resample(SR).samples[0]
    env, rate = low_band_onsets(d)
    ch = chroma_features(h)
    phase, scores = downbeat_phase(beat_values(env, rate, beats), beat_chroma(ch.chroma.astype(np.float64), ch.times, beats), bpb)
    index = (k0 + phase) % bpb
    current = (grid.downbeat_index - k0) % bpb
    # Move only on clear evidence: the stems' phase must beat the analysis'
    # by at least one standard deviation of the combined z-scores.
    if index == grid.downbeat_index % bpb or scores[phase] - scores[current] < DOWNBEAT_MARGIN:
        return grid, None
    moved = (index - grid.downbeat_index) % bpb
    return replace(grid, downbeat_index=index), (
        f"bar lines moved {moved} beat{'s' if moved != 1 else ''} on the drum and harmonic stems")
