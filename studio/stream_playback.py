"""Streaming playback material: a project played from a ring of blocks the
engine's :class:`~audio_engine.app.render.BlockRenderer` renders a little
ahead of the playhead, instead of whole pre-rendered tracks. Memory is the
ring (a few seconds per track) plus the stretched clips that sound, whatever
the project's length; an edit re-renders only what lies ahead of the
playhead, so it is heard within ``EDIT_LATENCY_S``.

Real-time rules (Qt-free, as :mod:`studio.playback`): the audio callback only
reads slices of the preallocated ring; the feeder thread is the only writer.
They share two integers (``start``/``end``: the ring holds timeline frames
``[start, end)``), each written by one side only or under the feeder's
re-seek, and Python int assignment is atomic.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

#: Ring length (seconds of audio per track held ahead).
RING_SECONDS = 4.0
#: Frames rendered per feeder step.
FEED_BLOCK = 4096
#: An edit is heard after at most this much already-rendered audio.
EDIT_LATENCY_S = 0.05


class StreamMaterial:
    """What the callback reads: ``ready(pos)`` frames are available from
    timeline frame ``pos`` as one contiguous ring slice."""

    def __init__(self, renderer: Any, *, sample_rate: int, channels: int = 2) -> None:
        self.renderer = renderer
        self.tracks = int(renderer.tracks)
        self.frames = int(renderer.length)
        self.capacity = max(FEED_BLOCK * 4, int(RING_SECONDS * sample_rate) // FEED_BLOCK * FEED_BLOCK)
        self.ring = np.zeros((self.tracks, self.capacity, channels), dtype=np.float32)
        self._block = np.zeros((self.tracks, 2, FEED_BLOCK), dtype=np.float32)
        self.start = 0  # first timeline frame held
        self.end = 0  # one past the last timeline frame held
        self.sample_rate = sample_rate

    # -- the callback side ----------------------------------------------------
    def ready(self, pos: int) -> int:
        """Contiguous frames available from ``pos`` (0 while the feeder catches up)."""
        start, end = self.start, self.end
        if pos < start or pos >= end:
            return 0
        return min(end - pos, self.capacity - pos % self.capacity)

    def slice(self, track: int, pos: int, n: int) -> np.ndarray:
        i = pos % self.capacity
        return self.ring[track, i : i + n]

    # -- the feeder side ------------------------------------------------------
    def restart(self, pos: int) -> None:
        """Hold nothing; refill from ``pos`` (a seek)."""
        self.end = self.start = max(0, min(pos, self.frames))

    def keep_until(self, frame: int) -> None:
        """Forget what lies after ``frame`` (an edit: it is rendered again)."""
        if frame < self.end:
            self.end = max(self.start, frame)

    def feed(self, playhead: int) -> bool:
        """Render one block ahead if there is room; False when the ring is full
        or the project ends."""
        if playhead < self.start or playhead > self.end:
            self.restart(playhead)
        if self.end >= self.frames:
            return False
        n = min(FEED_BLOCK, self.frames - self.end)
        # Writing [end, end + n) reuses the slots of frames [end + n - capacity, ...): only
        # frames a block behind the playhead (which nobody reads any more) may be reused.
        if self.end + n > max(self.start, playhead - FEED_BLOCK) + self.capacity:
            return False
        block = self.renderer.render(self.end, FEED_BLOCK, self._block)
        i = self.end % self.capacity
        m = min(n, self.capacity - i)
        self.ring[:, i : i + m, :] = block[:, :, :m].transpose(0, 2, 1)
        if m < n:
            self.ring[:, : n - m, :] = block[:, :, m:n].transpose(0, 2, 1)
        new_end = self.end + n
        self.start = max(self.start, new_end - self.capacity)  # those frames' slots now hold new ones
        self.end = new_end
        return True


class Feeder:
    """The thread that keeps a :class:`StreamMaterial` filled ahead of the
    playhead of ``engine`` (anything with ``position``)."""

    def __init__(self, engine: Any, material: StreamMaterial, *, block: int = 512) -> None:
        self.engine = engine
        self.material = material
        self.block = block  # the output's frames per callback: never rewritten under a callback
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # swaps and edits vs a feed step (never taken by the callback)
        self._thread = threading.Thread(target=self._loop, name="playback-feeder", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                # idle while the engine plays something else (a song preview)
                active = getattr(self.engine, "material", self.material) is self.material
                more = active and self.material.feed(int(self.engine.position))
            if not more:
                self._wake.wait(0.01)
                self._wake.clear()

    def wake(self) -> None:
        self._wake.set()

    def replace(self, material: StreamMaterial) -> None:
        with self._lock:
            self.material = material
        self.wake()

    def edited(self, renderer: Any) -> None:
        """The project changed: render with ``renderer`` from just after the
        playhead on (what is about to play stays, so nothing drops out)."""
        with self._lock:
            m = self.material
            m.renderer = renderer
            m.frames = int(renderer.length)
            keep = int(self.engine.position) + max(int(EDIT_LATENCY_S * m.sample_rate), 2 * self.block)
            m.keep_until(keep)
        self.wake()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=2.0)
