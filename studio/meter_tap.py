"""Where the level meters get their audio (Qt-free): what the playback
engine has just played, read back from its material (the streaming ring
keeps the last block behind the playhead; whole buffers keep everything)
with the gains the audio callback applied, and fed to
:class:`audio_engine.meter.MixMeter`.

The audio callback does nothing for the meters: a reader (the UI's 30 Hz
timer) calls :meth:`MeterTap.poll`, which looks at the frames played since
its last call (at most ``MAX_READ`` of them, the most recent).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from audio_engine.meter import MixMeter

#: Frames read back per poll at most (the ring guarantees a feed block, 4096, behind the playhead).
MAX_READ = 2048


class MeterTap:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.meter = MixMeter(0, engine.sample_rate)
        self._material: Any = None
        self._last = 0
        self._t = time.monotonic()

    def _read(self, mat: Any, a: int, b: int) -> np.ndarray:
        """Frames ``[a, b)`` of every track, ``(tracks, n, channels)``, split
        where a ring wraps."""
        cap = int(getattr(mat, "capacity", 0)) or None
        parts = []
        pos = a
        while pos < b:
            n = b - pos if cap is None else min(b - pos, cap - pos % cap)
            parts.append(np.stack([mat.slice(t, pos, n) for t in range(mat.tracks)]))
            pos += n
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def poll(self, *, active: bool = True, now: float | None = None) -> MixMeter:
        """Meter what played since the last poll (silence while stopped or
        not ``active``: the meters fall)."""
        now = time.monotonic() if now is None else now
        elapsed = max(0, int((now - self._t) * self.meter.sample_rate))
        self._t = now
        eng = self.engine
        mat = eng.material
        pos = int(eng.position)
        if mat is not self._material:
            self._material, self._last = mat, pos
        if len(self.meter.tracks) != mat.tracks:
            self.meter.resize(mat.tracks)
        last, self._last = self._last, pos
        if not (active and eng.playing) or mat.tracks == 0:
            self.meter.silence(elapsed)
            return self.meter
        played = pos - last if pos >= last else elapsed  # a loop or seek jumped back
        a = max(pos - min(played, MAX_READ), int(getattr(mat, "start", 0)), 0)
        if played <= 0 or a >= pos:
            return self.meter
        blocks = self._read(mat, a, pos)
        gains = np.asarray(eng.gains[: mat.tracks])
        self.meter.feed(blocks, gains, frames=played)
        return self.meter
