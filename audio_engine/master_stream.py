"""Mastering in bounded memory: the same loudness measurement and look-ahead
limiter as :mod:`audio_engine.master`, computed block by block over a source
that can be read at any range (a project's mix), so a render's memory is set
by the block, not by the mix's length.

* :class:`LoudnessMeter` is :func:`audio_engine.loudness.integrated_lufs`
  fed in blocks (the K-weighting filters carry their state across blocks, the
  100 ms gating energies come from a running sum).
* :func:`limited_blocks` is :func:`audio_engine.master.limit` over windows of
  the source with enough context on each side that every output sample sees
  what the whole-signal limiter sees; the release recursion carries its value
  from one block to the next.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from audio_engine.loudness import SILENCE_DBTP, SILENCE_LUFS, gated_lufs, true_peak_envelope

#: Reads ``frames`` frames of the source starting at ``start`` -> (channels, frames) float32.
Reader = Callable[[int, int], np.ndarray]
BLOCK = 1 << 18
_TP_PAD = 64  # context the true-peak envelope uses on each side (as loudness.true_peak_envelope)


class LoudnessMeter:
    """Integrated loudness (ITU-R BS.1770-4) of audio fed in blocks."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        import pyloudnorm

        self.rate = sample_rate
        self.channels = min(channels, 5)
        self.gains = np.array([1.0, 1.0, 1.0, 1.41, 1.41])[: self.channels]
        self.stages = list(pyloudnorm.Meter(sample_rate)._filters.values())
        self.zi = [[np.zeros(max(len(s.a), len(s.b)) - 1) for s in self.stages] for _ in range(self.channels)]
        self.block = int(round(0.4 * sample_rate))
        self.step = int(round(0.1 * sample_rate))
        self.pos = 0
        self.total = np.zeros(self.channels)
        self.marks: dict[int, np.ndarray] = {0: np.zeros(self.channels)}

    def feed(self, x: np.ndarray) -> None:
        from scipy.signal import lfilter

        n = x.shape[1]
        if n == 0:
            return
        c = np.empty((self.channels, n))
        for ch in range(self.channels):
            y = np.asarray(x[ch], dtype=np.float64)
            for k, stage in enumerate(self.stages):
                y, self.zi[ch][k] = lfilter(stage.b, stage.a, y, zi=self.zi[ch][k])
                y = stage.passband_gain * y
            np.cumsum(y * y, out=c[ch])
            c[ch] += self.total[ch]
        p = np.arange(self.pos + 1, self.pos + n + 1)
        want = (p % self.step == 0) | ((p >= self.block) & ((p - self.block) % self.step == 0))
        for q in p[want]:
            self.marks[int(q)] = c[:, q - self.pos - 1].copy()
        self.total = c[:, -1].copy()
        self.pos += n

    def lufs(self) -> float:
        frames = self.pos
        if frames < self.block + 1:
            return SILENCE_LUFS
        self.marks[frames] = self.total.copy()
        n_blocks = int(np.round((frames / self.rate - 0.4) / 0.1)) + 1
        starts = np.arange(n_blocks) * self.step
        ends = np.minimum(starts + self.block, frames)
        z = (np.stack([self.marks[int(e)] for e in ends], axis=1) - np.stack([self.marks[int(s)] for s in starts], axis=1))
        return gated_lufs(z / self.block, self.gains)


def limited_blocks(read: Reader, total: int, *, sample_rate: int, gain_db: float = 0.0, ceiling_db: float = -1.0,
                   lookahead_ms: float = 5.0, release_db_per_s: float = 40.0, oversample: int = 4,
                   block: int = BLOCK) -> Iterator[np.ndarray]:
    """The source times ``gain_db``, through the look-ahead limiter of
    :func:`audio_engine.master.limit`, in consecutive output blocks."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    g_in = np.float32(10 ** (gain_db / 20.0))
    w = max(3, int(lookahead_ms * 1e-3 * sample_rate)) | 1
    h = w // 2
    step = release_db_per_s / sample_rate
    margin = 2 * h + 2 * _TP_PAD
    carry: float | None = None  # released gain (dB) just before the next block's released range
    for a in range(0, total, block):
        b = min(total, a + block)
        lo, hi = max(0, a - margin), min(total, b + margin)
        x = read(lo, hi - lo) * g_in
        env = true_peak_envelope(x, oversample=oversample)
        with np.errstate(divide="ignore"):
            need = np.minimum(0.0, ceiling_db - 20.0 * np.log10(np.maximum(env, 1e-12))).astype(np.float64)
        held = minimum_filter1d(need, size=w, mode="nearest")
        r0, r1 = max(0, a - h), min(total, b + h)  # released range this block needs
        hs = held[r0 - lo : r1 - lo]
        ramp = np.arange(hs.size, dtype=np.float64) * step
        released = np.minimum.accumulate(hs - ramp) + ramp
        if carry is not None:
            released = np.minimum(released, carry + step * (1.0 + np.arange(hs.size)))
        released = np.minimum(released, 0.0)
        nxt = b - h - 1  # the next block's released range starts at b - h
        if b < total:
            carry = float(released[nxt - r0])
        smooth = uniform_filter1d(released, size=w, mode="nearest")[a - r0 : b - r0]
        gain = np.power(10.0, smooth / 20.0).astype(np.float32)
        yield x[:, a - lo : b - lo] * gain[None, :]


def true_peak_db_blocks(blocks: Iterator[np.ndarray], *, oversample: int = 4) -> float:
    """True peak (dBTP) of consecutive blocks (each block's edges see
    ``_TP_PAD`` samples of its neighbours, as the whole-signal envelope does)."""
    peak = 0.0
    prev: np.ndarray | None = None
    cur = next(blocks, None)
    while cur is not None:
        nxt = next(blocks, None)
        left = prev[:, -_TP_PAD:] if prev is not None else cur[:, :0]
        right = nxt[:, :_TP_PAD] if nxt is not None else cur[:, :0]
        ctx = np.concatenate([left, cur, right], axis=1)
        env = true_peak_envelope(ctx, oversample=oversample)[left.shape[1] : left.shape[1] + cur.shape[1]]
        if env.size:
            peak = max(peak, float(env.max()))
        prev, cur = cur, nxt
    return SILENCE_DBTP if peak <= 10 ** (SILENCE_DBTP / 20) else 20.0 * math.log10(peak)
