"""Tempo, beat grid and downbeats.

1. Beats are tracked with Ellis's dynamic-programming beat tracker (2007),
   as librosa.beat.beat_track implements it, on librosa's spectral-flux onset
   strength, and each beat is refined to the sub-frame peak of the onset
   envelope. (Written against numpy: importing librosa.beat compiles numba
   gufuncs in every new process, seconds of start-up.)
2. A constant-tempo grid ``t_k = t0 + k * period`` is fitted to them by robust
   least squares (Theil-Sen start, then ordinary least squares on the
   inliers), which gives the tempo to hundredths of a BPM.
3. The metrical level (half/double tempo) is chosen deliberately: among the
   levels inside the preferred tempo range, the fastest one whose beats are
   all about equally marked (alternate beats not much weaker than the others)
   is the beat; eighth notes between beats are weaker and are rejected as
   subdivisions. The other octave is reported as the alternative.
4. Downbeats: the bar phase (and 4 or 3 beats per bar, 4/4 first) that puts
   the most harmonic change (beat-synchronous chroma novelty) and low-band
   onset energy (kick, bass) on bar starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from audio_engine.analysis.features import HOP, SR, ChromaFeatures, RhythmFeatures

F64 = npt.NDArray[np.float64]

#: Below this many tracked beats there is no usable pulse.
MIN_BEATS = 6
#: A beat further than this fraction of a period from the fitted grid is an outlier.
INLIER_FRACTION = 0.12
#: Alternate beats of a true beat level carry at least this share of the onset
#: strength of the others (above the envelope's floor); eighth-note
#: subdivisions between beats are weaker.
PULSE_BALANCE = 0.5
#: Tempo prior centre for genuinely ambiguous cases (the commonest tempo in popular music).
PRIOR_BPM = 120.0
#: Frames treated as sound: energy within this many dB of the loudest frame.
ACTIVE_DB = -60.0


@dataclass(frozen=True)
class Grid:
    t0: float  # time of beat 0 of the fitted grid (s)
    period: float  # seconds per beat
    k_first: int
    k_last: int
    inlier_ratio: float  # share of tracked beats that sit on the grid

    @property
    def bpm(self) -> float:
        return 60.0 / self.period

    def times(self) -> F64:
        k = np.arange(self.k_first, self.k_last + 1, dtype=np.float64)
        return self.t0 + k * self.period


@dataclass(frozen=True)
class Rhythm:
    bpm: float
    bpm_alternative: float
    confidence: float
    beats: list[float]
    downbeats: list[float]
    beats_per_bar: int
    #: The fitted constant-tempo grid (seconds per beat, time of the first
    #: beat), unrounded: consumers use it instead of fitting it again.
    beat_period: float = 0.0
    beat_phase: float = 0.0


EMPTY = Rhythm(0.0, 0.0, 0.0, [], [], 4)


def _frame_time(frames: F64 | float) -> F64:
    return np.asarray(frames, dtype=np.float64) * (HOP / SR)


def _refine(onset: F64, frames: npt.NDArray[np.int64]) -> F64:
    """Move each beat frame to the nearest onset-envelope peak (within 2
    frames) with parabolic sub-frame interpolation; returns times."""
    n = len(onset)
    out = np.empty(len(frames), dtype=np.float64)
    for i, f in enumerate(frames):
        a, b = max(1, int(f) - 2), min(n - 1, int(f) + 3)
        if b <= a:
            out[i] = float(f)
            continue
        m = a + int(np.argmax(onset[a:b]))
        if 1 <= m < n - 1:
            y0, y1, y2 = onset[m - 1], onset[m], onset[m + 1]
            den = y0 - 2.0 * y1 + y2
            delta = 0.5 * (y0 - y2) / den if den < 0 else 0.0
            out[i] = m + float(np.clip(delta, -0.5, 0.5))
        else:
            out[i] = float(m)
    return _frame_time(out)


def fit_grid(times: F64, period_hint: float) -> Grid | None:
    """Robust least-squares constant-tempo grid through beat ``times``."""
    if len(times) < MIN_BEATS or period_hint <= 0:
        return None
    # Beat numbers: intervals counted in periods (a missed beat is a jump of 2).
    steps = np.maximum(1, np.round(np.diff(times) / period_hint)).astype(np.int64)
    k = np.concatenate([[0], np.cumsum(steps)]).astype(np.float64)
    # Robust start (Theil-Sen style): the median slope between beats half the
    # track apart, and the median intercept.
    half = max(1, len(times) // 2)
    dk = k[half:] - k[:-half]
    period = float(np.median((times[half:] - times[:-half]) / np.maximum(dk, 1.0)))
    t0 = float(np.median(times - period * k))
    keep = np.ones(len(times), dtype=bool)
    for _ in range(4):
        if period <= 0:
            return None
        # Re-number against the current grid, then least squares on inliers.
        k = np.round((times - t0) / period)
        resid = times - (t0 + k * period)
        keep = np.abs(resid) <= INLIER_FRACTION * period
        if keep.sum() < MIN_BEATS or len(np.unique(k[keep])) < 2:
            return None
        period, t0 = (float(v) for v in np.polyfit(k[keep], times[keep], 1))
    kk = np.round((times[keep] - t0) / period).astype(np.int64)
    return Grid(t0, period, int(kk.min()), int(kk.max()), float(keep.mean()))


def _salience(env: F64, times: F64) -> F64:
    """Onset strength at ``times`` (max within +-1 frame)."""
    f = np.round(times * SR / HOP).astype(np.int64)
    f = f[(f >= 1) & (f < len(env) - 1)]
    if len(f) == 0:
        return np.zeros(0)
    return np.maximum(np.maximum(env[f - 1], env[f]), env[f + 1])


def _above_floor(x: F64) -> F64:
    """Envelope above its median, scaled so its 99th percentile is 1."""
    v = np.maximum(0.0, x - float(np.median(x)))
    top = float(np.percentile(v, 99)) if len(v) else 0.0
    return v / top if top > 0 else v


def accent_envelope(feat: RhythmFeatures) -> F64:
    """Accent strength for comparing beats: the full-band (median) flux
    favours broadband hits (snare), the low-band flux the kick and bass, so
    their sum treats a kick-snare backbeat as evenly marked beats."""
    return _above_floor(feat.onset) + _above_floor(feat.onset_low)


def _balance(env: F64, t0: float, period: float, k_first: int, k_last: int) -> float:
    """min/max of the mean onset strength on even vs odd beats of the grid
    (1.0: every beat equally marked)."""
    k = np.arange(k_first, k_last + 1)
    t = t0 + k * period
    even = _salience(env, t[k % 2 == 0])
    odd = _salience(env, t[k % 2 == 1])
    if len(even) == 0 or len(odd) == 0:
        return 0.0
    a, b = float(even.mean()), float(odd.mean())
    hi = max(a, b)
    return 0.0 if hi <= 0 else min(a, b) / hi


def estimate_tempo(onset: F64, *, start_bpm: float, std_octaves: float = 1.0) -> float:
    """Global tempo from the onset envelope's autocorrelation weighted by a
    log-normal prior (librosa.feature.tempo's method, over the whole track)."""
    x = onset - float(onset.mean())
    n = len(x)
    if n < 8 or not np.any(x):
        return 0.0
    size = 1 << int(math.ceil(math.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    ac = np.fft.irfft(spec.real**2 + spec.imag**2, size)[:n]
    ac /= max(float(ac[0]), 1e-12)
    ac *= n / np.maximum(1.0, n - np.arange(n))  # unbiased
    lags = np.arange(1, n)
    bpms = 60.0 * SR / (HOP * lags)
    ok = (bpms >= 30.0) & (bpms <= 320.0)
    if not np.any(ok):
        return 0.0
    prior = np.exp(-0.5 * ((np.log2(bpms[ok]) - math.log2(start_bpm)) / std_octaves) ** 2)
    best = int(np.argmax(ac[1:][ok] * prior))
    return float(bpms[ok][best])


def track_beats(onset: F64, bpm: float, tightness: float) -> npt.NDArray[np.int64]:
    """Ellis's dynamic-programming beat tracker (librosa.beat.beat_track with
    a given ``bpm``, ``trim=True``): beat frames."""
    n = len(onset)
    fpb = 60.0 * SR / HOP / bpm
    if n < 4 or fpb < 2:
        return np.zeros(0, dtype=np.int64)
    norm = onset / (float(onset.std(ddof=1)) + 1e-12)
    win = np.exp(-0.5 * (np.arange(-fpb, fpb + 1) * 32.0 / fpb) ** 2)
    local = np.convolve(norm, win, "same")
    near, far = int(round(fpb / 2)), int(round(2 * fpb))
    offsets = np.arange(far, near - 1, -1)  # distance back to the previous beat
    txwt = -tightness * (np.log(offsets) - math.log(fpb)) ** 2
    cum = np.zeros(n)
    back = np.full(n, -1, dtype=np.int64)
    thresh = 0.01 * float(local.max())
    first = True
    cum[0] = local[0]
    for i in range(1, n):
        lo, hi = i - far, i - near
        if hi < 0:
            cum[i] = local[i]
            loc = -1
        else:
            a = max(0, lo)
            cand = cum[a : hi + 1] + txwt[a - lo :]
            j = int(np.argmax(cand))
            cum[i] = local[i] + cand[j]
            loc = a + j
        if first and local[i] < thresh:
            back[i] = -1
        else:
            back[i] = loc
            first = False
    # Last beat: the last local maximum of the cumulative score above half the median of those maxima.
    is_max = np.zeros(n, dtype=bool)
    is_max[1:-1] = (cum[1:-1] > cum[:-2]) & (cum[1:-1] >= cum[2:])
    if not np.any(is_max):
        return np.zeros(0, dtype=np.int64)
    threshold = 0.5 * float(np.median(cum[is_max]))
    tail = int(np.flatnonzero(is_max & (cum >= threshold))[-1])
    beats = [tail]
    while back[beats[-1]] >= 0:
        beats.append(int(back[beats[-1]]))
    out = np.array(beats[::-1], dtype=np.int64)
    # Trim weak leading and trailing beats (librosa's trim=True).
    smooth = np.convolve(local[out], np.hanning(5), "same")
    thr = 0.5 * float(np.sqrt(np.mean(smooth**2)))
    strong = np.flatnonzero(smooth > thr)
    if len(strong) == 0:
        return np.zeros(0, dtype=np.int64)
    return out[strong[0] : strong[-1] + 1]


def _track(onset: F64, bpm: float, tightness: float) -> F64:
    return _refine(onset, track_beats(onset, bpm, tightness))


def _active_span(energy_db: F64) -> tuple[float, float]:
    active = np.flatnonzero(energy_db > ACTIVE_DB)
    if len(active) == 0:
        return 0.0, 0.0
    return float(_frame_time(float(active[0]))), float(_frame_time(float(active[-1])))


def analyze_rhythm(feat: RhythmFeatures, chroma: ChromaFeatures | None, *, tempo_range: tuple[float, float]) -> Rhythm:
    lo, hi = tempo_range
    onset = feat.onset
    if len(onset) < 4 or not np.any(onset > 0):
        return EMPTY
    # Envelope above its floor, for salience comparisons.
    env = accent_envelope(feat)
    if not np.any(env > 0):
        return EMPTY
    # 1. A first tempo (librosa's autocorrelation with a log-normal prior centred in the range).
    centre = math.sqrt(lo * hi)
    tempo0 = estimate_tempo(onset, start_bpm=centre)
    if not np.isfinite(tempo0) or tempo0 <= 0:
        return EMPTY
    grid = fit_grid(_track(onset, tempo0, 100.0), 60.0 / tempo0)
    if grid is None:
        return EMPTY
    # 2. Metrical level: candidates at half, same and double period.
    def level_ok(period: float) -> bool:
        return lo <= 60.0 / period <= hi

    candidates = []
    for mult in (0.5, 1.0, 2.0):
        period = grid.period * mult
        if mult == 0.5:
            bal = _balance(env, grid.t0, period, 2 * grid.k_first, 2 * grid.k_last)
        else:
            bal = _balance(env, grid.t0, period, grid.k_first // int(mult), grid.k_last // int(mult))
        candidates.append((mult, period, bal))
    in_range = [c for c in candidates if level_ok(c[1])]
    if not in_range:
        # Outside the range at every level: take the level nearest to it.
        chosen = min(candidates, key=lambda c: min(abs(math.log2(60.0 / c[1] / lo)), abs(math.log2(60.0 / c[1] / hi))))
    else:
        pulses = [c for c in in_range if c[2] >= PULSE_BALANCE]
        if pulses:
            chosen = min(pulses, key=lambda c: c[1])  # fastest well-marked level
        else:
            chosen = min(in_range, key=lambda c: abs(math.log2(60.0 / c[1] / PRIOR_BPM)))
    mult = chosen[0]
    if mult != 1.0:
        retracked = fit_grid(_track(onset, 60.0 / chosen[1], 400.0), chosen[1])
        if retracked is not None and abs(retracked.period / chosen[1] - 1.0) < 0.05:
            grid = retracked
        elif mult == 0.5:
            grid = Grid(grid.t0, grid.period / 2, 2 * grid.k_first, 2 * grid.k_last, grid.inlier_ratio)
        else:
            # Keep the stronger of the two phases.
            times = grid.times()
            s0, s1 = _salience(env, times[0::2]), _salience(env, times[1::2])
            start = 0 if (s0.mean() if len(s0) else 0.0) >= (s1.mean() if len(s1) else 0.0) else 1
            t0 = float(times[start])
            grid = Grid(t0, grid.period * 2, 0, (len(times) - 1 - start) // 2, grid.inlier_ratio)
    else:
        # Re-track with a tight constant-tempo tracker at the fitted tempo for the precise fit.
        refit = fit_grid(_track(onset, grid.bpm, 400.0), grid.period)
        if refit is not None and abs(refit.period / grid.period - 1.0) < 0.02:
            grid = refit
    # 3. Grid extent: the tracked beats' span, clipped to where there is sound.
    a, b = _active_span(feat.energy_db)
    beats = grid.times()
    tol = 0.25 * grid.period
    beats = beats[(beats >= a - tol) & (beats <= b + tol) & (beats >= 0)]
    if len(beats) < 2:
        return EMPTY
    bpm = round(grid.bpm, 2)
    alt = bpm * 2.0 if bpm < centre else bpm / 2.0
    coverage = float(np.mean(_salience(env, beats) > 0)) if len(beats) else 0.0
    confidence = float(np.clip(grid.inlier_ratio * coverage, 0.0, 1.0))
    downbeats, per_bar = find_downbeats(beats, feat, chroma)
    return Rhythm(
        bpm=bpm,
        bpm_alternative=round(alt, 2),
        confidence=round(confidence, 3),
        beats=[round(float(t), 4) for t in beats],
        downbeats=[round(float(t), 4) for t in downbeats],
        beats_per_bar=per_bar,
        beat_period=float(grid.period),
        beat_phase=float(beats[0]),
    )


def _beat_sync_chroma(beats: F64, cb: ChromaFeatures) -> F64:
    edges = np.searchsorted(cb.short_times, beats)
    edges = np.append(edges, len(cb.short_times))
    out = np.zeros((len(beats), cb.short.shape[0]), dtype=np.float64)
    for i in range(len(beats)):
        a, b = int(edges[i]), int(max(edges[i + 1], edges[i] + 1))
        seg = cb.short[:, a:b]
        if seg.shape[1]:
            out[i] = seg.mean(axis=1)
    return out


def _zscore(x: F64) -> F64:
    sd = float(np.std(x))
    return (x - float(np.mean(x))) / sd if sd > 1e-12 else np.zeros_like(x)


def _contrast(values: list[float]) -> F64:
    v = np.asarray(values, dtype=np.float64)
    m = float(v.mean())
    return v / m - 1.0 if m > 1e-12 else np.zeros_like(v)


def _bar_novelty(sync: F64, per_bar: int, phase: int) -> float:
    """Mean harmonic distance between consecutive bars when bars start at
    beat ``phase``: chords change on bar lines, so the right phase makes bars
    internally uniform and different from their neighbours."""
    n_bars = (len(sync) - phase) // per_bar
    if n_bars < 2:
        return 0.0
    bars = sync[phase : phase + n_bars * per_bar].reshape(n_bars, per_bar, -1).sum(axis=1)
    unit = bars / np.maximum(np.linalg.norm(bars, axis=1, keepdims=True), 1e-12)
    return float(np.mean(1.0 - np.sum(unit[1:] * unit[:-1], axis=1)))


#: Weight of the low-band accent cue (kick, bass) beside harmonic change.
LOW_WEIGHT = 0.25


def find_downbeats(beats: F64, feat: RhythmFeatures, cb: ChromaFeatures | None) -> tuple[F64, int]:
    """Bar phase and beats per bar (4 unless 3 is clearly better): the phase
    whose bar lines carry the most harmonic change (bar-level chroma
    novelty), with the low-band onset accent as a lighter second cue."""
    n = len(beats)
    if n < 8:
        return beats[:1], 4
    low = _salience(np.maximum(0.0, feat.onset_low - float(np.median(feat.onset_low))), beats)
    if len(low) != n:
        low = np.resize(low, n) if len(low) else np.zeros(n)
    sync = _beat_sync_chroma(beats, cb) if cb is not None and cb.short.shape[1] > 1 else None

    def best(per_bar: int) -> tuple[float, int]:
        score = LOW_WEIGHT * _contrast([float(low[j::per_bar].mean()) for j in range(per_bar)])
        harmonic = np.zeros(per_bar)
        if sync is not None:
            harmonic = _contrast([_bar_novelty(sync, per_bar, j) for j in range(per_bar)])
            score = score + harmonic
        j = int(np.argmax(score))
        return float(harmonic[j]), j

    c4, j4 = best(4)
    c3, j3 = best(3)
    per_bar, phase = (3, j3) if (n >= 24 and c3 > 1.5 * max(c4, 0.05)) else (4, j4)
    return beats[phase::per_bar], per_bar
