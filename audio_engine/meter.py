"""Level metering (Qt-free): peak and RMS with a clip latch, per track and
for the master sum.

Blocks of what is heard are fed in as they play (``feed``); each meter keeps

- **peak**: the block's largest absolute sample, held and then falling at
  ``PEAK_FALL_DB_S`` (a PPM-like fall, so a transient stays readable);
- **RMS**: the mean square smoothed exponentially over ``RMS_WINDOW_S``
  (300 ms, the usual VU-like integration), so a steady sine at peak ``A``
  reads ``A / sqrt(2)`` (-3 dB below its peak);
- **clip**: latched once any sample reaches full scale (``CLIP_LEVEL``),
  until :meth:`LevelMeter.reset_clip`.

:class:`MixMeter` meters a mix from its tracks *before* their fader and the
per-channel gains the mixer applies (what playback does live): each track
post-fader, and the master as the sum, exactly as the mixer sums them. The
work is a few numpy reductions per block, done by whoever reads the levels
(never the audio callback).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: dBFS shown for silence (and the bottom of a meter's scale).
FLOOR_DB = -90.0
RMS_WINDOW_S = 0.3
PEAK_HOLD_S = 0.6
PEAK_FALL_DB_S = 24.0
#: A sample at or above this (about -0.004 dBFS: a 16-bit file's full scale
#: is 32767/32768) counts as clipping.
CLIP_LEVEL = 0.9995


def to_db(linear: float) -> float:
    return FLOOR_DB if linear <= 10 ** (FLOOR_DB / 20) else max(FLOOR_DB, 20.0 * math.log10(linear))


@dataclass(frozen=True)
class MeterReading:
    peak_db: float
    rms_db: float
    clipped: bool


class LevelMeter:
    """One meter (all its channels together: the loudest channel is shown)."""

    def __init__(self, sample_rate: int, *, rms_window_s: float = RMS_WINDOW_S) -> None:
        if sample_rate <= 0:
            raise ValueError(f"A meter needs a positive sample rate, not {sample_rate}.")
        self.sample_rate = int(sample_rate)
        self.rms_window_s = float(rms_window_s)
        self._ms = 0.0  # smoothed mean square
        self._peak_db = FLOOR_DB
        self._held_s = 0.0  # how long the shown peak has been held
        self.clipped = False

    def reset(self) -> None:
        self._ms, self._peak_db, self._held_s, self.clipped = 0.0, FLOOR_DB, 0.0, False

    def reset_clip(self) -> None:
        self.clipped = False

    def feed_stats(self, peak: float, mean_square: float, frames: int) -> None:
        """Advance by ``frames`` of audio whose largest absolute sample is
        ``peak`` and mean square (loudest channel) ``mean_square``."""
        if frames <= 0:
            return
        dt = frames / self.sample_rate
        a = math.exp(-dt / self.rms_window_s)
        self._ms = a * self._ms + (1.0 - a) * float(mean_square)
        p = to_db(float(peak))
        if p >= self._peak_db:
            self._peak_db, self._held_s = p, 0.0
        else:
            self._held_s += dt
            if self._held_s > PEAK_HOLD_S:
                self._peak_db = max(p, self._peak_db - PEAK_FALL_DB_S * dt)
        if peak >= CLIP_LEVEL:
            self.clipped = True

    def feed(self, block: np.ndarray) -> None:
        """``block``: float samples ``(channels, frames)``."""
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        if x.shape[1] == 0:
            return
        peak = float(np.max(np.abs(x)))
        ms = float(np.max(np.mean(np.square(x, dtype=np.float64), axis=1)))
        self.feed_stats(peak, ms, x.shape[1])

    def reading(self) -> MeterReading:
        return MeterReading(self._peak_db, to_db(math.sqrt(max(self._ms, 0.0))), self.clipped)


class MixMeter:
    """Meters for ``tracks`` tracks and their master sum."""

    def __init__(self, tracks: int, sample_rate: int) -> None:
        self.sample_rate = int(sample_rate)
        self.tracks = [LevelMeter(sample_rate) for _ in range(tracks)]
        self.master = LevelMeter(sample_rate)

    def resize(self, tracks: int) -> None:
        """Keep the first meters (and their clip latches); add or drop the rest."""
        self.tracks = self.tracks[:tracks] + [LevelMeter(self.sample_rate) for _ in range(tracks - len(self.tracks))]

    def feed(self, blocks: np.ndarray, gains: np.ndarray, *, frames: int | None = None) -> None:
        """``blocks``: ``(tracks, n, channels)`` before the faders;
        ``gains``: ``(tracks, channels)`` linear gains (fader, pan, mute and
        solo folded in, as the playback mixer applies them). ``frames``: the
        time the block stands for (default ``n``; more when a reader only
        looks at the latest part of what played since it last looked)."""
        t = min(len(self.tracks), blocks.shape[0])
        if blocks.shape[1] == 0:
            return
        # channels before frames, contiguous: reductions over the last axis run ~40x
        # faster than over the middle axis of (t, frames, 2)
        post = np.ascontiguousarray((blocks[:t] * gains[:t, None, :]).transpose(0, 2, 1))  # (t, channels, n)
        n = post.shape[2]
        frames = n if frames is None else frames
        peaks = np.abs(post).max(axis=2)  # (t, channels)
        ms = np.einsum("tcn,tcn->tc", post, post) / n
        for i in range(t):
            self.tracks[i].feed_stats(float(peaks[i].max()), float(ms[i].max()), frames)
        bus = post.sum(axis=0) if t else np.zeros((blocks.shape[2], n), np.float32)  # (channels, n)
        self.master.feed_stats(float(np.abs(bus).max()), float((np.einsum("cn,cn->c", bus, bus) / n).max()), frames)

    def silence(self, frames: int) -> None:
        """Nothing played for ``frames``: the meters fall."""
        for m in (*self.tracks, self.master):
            m.feed_stats(0.0, 0.0, frames)
