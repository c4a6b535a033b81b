"""Master stage: a transparent look-ahead true-peak limiter and loudness
normalisation to a target LUFS under a true-peak ceiling."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from audio_engine.audio import Audio
from audio_engine.loudness import SILENCE_LUFS, integrated_lufs, true_peak_db, true_peak_envelope
from audio_engine.progress import CancelToken, ProgressCallback, ProgressReporter, check


def _centred(size: int) -> int:
    return size | 1  # odd window, centred on each sample


def limit(
    audio: Audio,
    *,
    ceiling_db: float = -1.0,
    lookahead_ms: float = 5.0,
    release_db_per_s: float = 40.0,
    oversample: int = 4,
) -> Audio:
    """Look-ahead limiter on the true-peak envelope.

    The needed gain reduction (in dB) is spread with a centred minimum filter
    of the look-ahead length, released linearly at ``release_db_per_s``, and
    smoothed with a moving average of the same length; because the minimum
    window covers the averaging window, the smoothed gain never exceeds what
    any sample needs (no overshoot, no clipping), and it moves smoothly (no
    clicks). Offline, so the look-ahead costs no latency."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    if audio.frames == 0:
        return audio
    ceiling = 10 ** (ceiling_db / 20.0)
    env = true_peak_envelope(audio.samples, oversample=oversample)
    if float(env.max()) <= ceiling:
        return audio
    with np.errstate(divide="ignore"):
        need_db = np.minimum(0.0, ceiling_db - 20.0 * np.log10(np.maximum(env, 1e-12))).astype(np.float64)
    w = _centred(max(3, int(lookahead_ms * 1e-3 * audio.sample_rate)))
    held = minimum_filter1d(need_db, size=w, mode="nearest")
    step = release_db_per_s / audio.sample_rate
    ramp = np.arange(held.size, dtype=np.float64) * step
    released = np.minimum.accumulate(held - ramp) + ramp
    released = np.minimum(released, 0.0)
    smooth = uniform_filter1d(released, size=w, mode="nearest")
    g = np.power(10.0, smooth / 20.0).astype(np.float32)
    return Audio(audio.samples * g[None, :], audio.sample_rate)


@dataclass(frozen=True)
class MasterReport:
    input_lufs: float
    output_lufs: float
    true_peak_db: float
    gain_db: float


def master(
    audio: Audio,
    *,
    target_lufs: float | None = -14.0,
    ceiling_db: float = -1.0,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    max_iterations: int = 5,
    tolerance_lu: float = 0.1,
) -> tuple[Audio, MasterReport]:
    """Normalise to ``target_lufs`` (None: keep the level) with the true peak
    at or below ``ceiling_db``. Limiting lowers loudness, so gain and limiter
    are iterated until the result is within ``tolerance_lu`` of the target."""
    audio.check_finite()
    rep = ProgressReporter(progress, stage="mastering")
    lufs_in = integrated_lufs(audio)
    gain_db = 0.0
    if target_lufs is not None and lufs_in > SILENCE_LUFS:
        gain_db = target_lufs - lufs_in
    out = audio
    for i in range(max_iterations):
        check(cancel)
        scaled = Audio(audio.samples * np.float32(10 ** (gain_db / 20.0)), audio.sample_rate)
        out = limit(scaled, ceiling_db=ceiling_db - 0.05)
        rep((i + 1) / max_iterations)
        if target_lufs is None or lufs_in <= SILENCE_LUFS:
            break
        achieved = integrated_lufs(out)
        if abs(achieved - target_lufs) <= tolerance_lu:
            break
        gain_db += target_lufs - achieved
    tp = true_peak_db(out)
    if tp > ceiling_db:  # the gain curve itself can add a hair of inter-sample overshoot
        out = Audio(out.samples * np.float32(10 ** ((ceiling_db - tp - 0.02) / 20.0)), out.sample_rate)
        tp = true_peak_db(out)
    rep(1.0, force=True)
    lufs_out = integrated_lufs(out)
    return out, MasterReport(lufs_in, lufs_out, tp, gain_db if math.isfinite(gain_db) else 0.0)
