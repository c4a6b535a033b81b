"""Loudness (ITU-R BS.1770 via pyloudnorm) and true peak."""

from __future__ import annotations

import math

import numpy as np

from audio_engine.audio import Audio

#: Reported for silence or audio too short to gate (BS.1770's absolute gate).
SILENCE_LUFS = -70.0
SILENCE_DBTP = -120.0
_BLOCK = 1 << 20


def integrated_lufs(audio: Audio) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4); :data:`SILENCE_LUFS` for
    silence or audio shorter than one 400 ms gating block.

    The K-weighting filters are pyloudnorm's own (``Meter._filters``); the
    gating is the same algorithm as ``Meter.integrated_loudness`` but
    vectorised, because pyloudnorm's per-block Python loop costs about 2 s per
    30 s of stereo audio. A test checks both agree."""
    import pyloudnorm
    from scipy.signal import lfilter

    rate = audio.sample_rate
    block = int(round(0.4 * rate))
    if audio.frames < block + 1:
        return SILENCE_LUFS
    meter = pyloudnorm.Meter(rate)
    channels = min(audio.channels, 5)
    gains = np.array([1.0, 1.0, 1.0, 1.41, 1.41])[:channels]
    step = int(round(0.1 * rate))
    n_blocks = int(np.round((audio.frames / rate - 0.4) / 0.1)) + 1
    starts = np.arange(n_blocks) * step
    ends = np.minimum(starts + block, audio.frames)
    z = np.empty((channels, n_blocks))
    for ch in range(channels):  # one channel at a time: bounded memory on long files
        y = np.asarray(audio.samples[ch], dtype=np.float64)
        for stage in meter._filters.values():
            y = stage.passband_gain * lfilter(stage.b, stage.a, y)
        csum = np.empty(y.size + 1)
        csum[0] = 0.0
        np.cumsum(y * y, out=csum[1:])
        del y
        z[ch] = (csum[ends] - csum[starts]) / block
        del csum
    return gated_lufs(z, gains)


def gated_lufs(z: np.ndarray, gains: np.ndarray) -> float:
    """BS.1770's gating over the mean-square energies ``z`` (channels x
    400 ms blocks, K-weighted) with channel ``gains``: absolute gate at
    -70 LUFS, then the relative gate 10 LU below (shared with the streamed
    meter of audio_engine.master_stream)."""
    power = (gains[:, None] * z).sum(axis=0)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10.0 * np.log10(power)
    gated = loud >= -70.0
    if not gated.any():
        return SILENCE_LUFS
    rel = -0.691 + 10.0 * np.log10(float((gains * z[:, gated].mean(axis=1)).sum())) - 10.0
    keep = gated & (loud > rel)
    if not keep.any():
        return SILENCE_LUFS
    value = -0.691 + 10.0 * math.log10(float((gains * z[:, keep].mean(axis=1)).sum()))
    return value if math.isfinite(value) and value >= SILENCE_LUFS else SILENCE_LUFS


def true_peak_envelope(samples: np.ndarray, *, oversample: int = 4) -> np.ndarray:
    """Per-sample true-peak magnitude (max over channels and the ``oversample``
    interpolated points after each sample), computed in blocks."""
    import soxr

    n = samples.shape[1]
    env = np.empty(n, dtype=np.float32)
    pad = 64
    for a in range(0, n, _BLOCK):
        b = min(n, a + _BLOCK)
        lo, hi = max(0, a - pad), min(n, b + pad)
        up = soxr.resample(np.ascontiguousarray(samples[:, lo:hi].T), 1, oversample, quality="HQ").T
        up = np.abs(up[:, (a - lo) * oversample : (b - lo) * oversample])
        env[a:b] = up.reshape(samples.shape[0], b - a, oversample).max(axis=(0, 2))
        np.maximum(env[a:b], np.abs(samples[:, a:b]).max(axis=0), out=env[a:b])
    return env


def true_peak_db(audio: Audio, *, oversample: int = 4) -> float:
    """True peak in dBTP (4x oversampled, as BS.1770-4 Annex 2)."""
    if audio.frames == 0:
        return SILENCE_DBTP
    peak = float(true_peak_envelope(audio.samples, oversample=oversample).max())
    return SILENCE_DBTP if peak <= 10 ** (SILENCE_DBTP / 20) else 20.0 * math.log10(peak)
