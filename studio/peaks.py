"""Waveform overviews: multi-resolution min/max peak levels.

Level 0 holds the min and max of every ``BASE`` frames (mono); each next
level merges ``FACTOR`` bins of the one below. A view picks the coarsest
level that still has at least one bin per pixel, so drawing costs the same
at any zoom: about two numbers per pixel. Peaks are computed once per file
(streamed, bounded memory) and stored as ``.npz`` under the cache, named by
the file's content hash. Qt-free.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_engine import io as audio_io
from audio_engine.atomic import atomic_path
from audio_engine.progress import CancelToken, ProgressCallback, ProgressReporter, check

BASE = 256
FACTOR = 4
VERSION = 1


@dataclass(frozen=True)
class Peaks:
    sample_rate: int
    frames: int
    levels: tuple[np.ndarray, ...]  # each (2, bins): row 0 min, row 1 max

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate

    def bin_frames(self, level: int) -> int:
        return BASE * FACTOR**level

    def level_for(self, seconds_per_pixel: float) -> int:
        frames_per_px = seconds_per_pixel * self.sample_rate
        lvl = 0
        while lvl + 1 < len(self.levels) and self.bin_frames(lvl + 1) <= frames_per_px:
            lvl += 1
        return lvl

    def slice(self, start_s: float, end_s: float, pixels: int) -> tuple[np.ndarray, np.ndarray]:
        """(mins, maxs) with ``pixels`` values covering ``start_s..end_s``."""
        pixels = max(1, int(pixels))
        if end_s <= start_s:
            z = np.zeros(pixels, dtype=np.float32)
            return z, z
        lvl = self.level_for((end_s - start_s) / pixels)
        data = self.levels[lvl]
        bf = self.bin_frames(lvl)
        edges = np.linspace(start_s * self.sample_rate / bf, end_s * self.sample_rate / bf, pixels + 1)
        a = np.clip(np.floor(edges[:-1]).astype(np.int64), 0, data.shape[1])
        b = np.clip(np.maximum(np.ceil(edges[1:]).astype(np.int64), a + 1), 0, data.shape[1])
        valid = b > a
        mins = np.zeros(pixels, dtype=np.float32)
        maxs = np.zeros(pixels, dtype=np.float32)
        if data.shape[1] and valid.any():
            # reduceat needs increasing indices; compute per-pixel with the valid ranges.
            idx = np.nonzero(valid)[0]
            starts = a[idx]
            # reduceat spans each start up to the next one; a closing index keeps the
            # last pixel from running to the end of the data. Pixels narrower than a
            # bin get that bin (reduceat's rule for non-increasing indices).
            last = int(b[idx][-1])
            ext = np.append(starts, last) if last < data.shape[1] else starts
            mins[idx] = np.minimum.reduceat(data[0], ext)[: len(starts)]
            maxs[idx] = np.maximum.reduceat(data[1], ext)[: len(starts)]
        return mins, maxs


def _reduce(level: np.ndarray) -> np.ndarray:
    n = level.shape[1] // FACTOR * FACTOR
    if n == 0:
        return np.stack([level[0].min(keepdims=True), level[1].max(keepdims=True)]) if level.shape[1] else level
    head = level[:, :n].reshape(2, -1, FACTOR)
    out = np.stack([head[0].min(axis=1), head[1].max(axis=1)])
    if level.shape[1] > n:
        tail = np.array([[level[0, n:].min()], [level[1, n:].max()]], dtype=np.float32)
        out = np.concatenate([out, tail], axis=1)
    return out.astype(np.float32)


def compute_peaks(
    path: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Peaks:
    """Stream the file once and build every level."""
    info = audio_io.info(path)
    rep = ProgressReporter(progress, stage="waveform")
    parts: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float32)
    done = 0
    for block in audio_io.stream(path, block_seconds=20):
        check(cancel)
        mono = block.samples.mean(axis=0) if block.channels > 1 else block.samples[0]
        data = np.concatenate([carry, mono.astype(np.float32)])
        n = data.shape[0] // BASE * BASE
        if n:
            b = data[:n].reshape(-1, BASE)
            parts.append(np.stack([b.min(axis=1), b.max(axis=1)]).astype(np.float32))
        carry = data[n:]
        done += block.frames
        rep(done / max(1, info.frames))
    if carry.size:
        parts.append(np.array([[carry.min()], [carry.max()]], dtype=np.float32))
    base = np.concatenate(parts, axis=1) if parts else np.zeros((2, 0), dtype=np.float32)
    levels = [base]
    while levels[-1].shape[1] > 64:
        levels.append(_reduce(levels[-1]))
    rep(1.0, force=True)
    return Peaks(info.sample_rate, done, tuple(levels))


class PeakStore:
    """Peaks on disk under ``root``, one ``.npz`` per content hash."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._mem: dict[str, Peaks] = {}

    def _file(self, content_hash: str) -> Path:
        return self.root / f"{content_hash}-v{VERSION}.npz"

    def cached(self, content_hash: str) -> Peaks | None:
        if content_hash in self._mem:
            return self._mem[content_hash]
        f = self._file(content_hash)
        if not f.is_file():
            return None
        try:
            with np.load(f) as z:
                n = int(z["n_levels"])
                peaks = Peaks(int(z["sample_rate"]), int(z["frames"]), tuple(z[f"l{i}"] for i in range(n)))
        except Exception:  # noqa: BLE001 - a damaged peak file is rebuilt
            f.unlink(missing_ok=True)
            return None
        self._mem[content_hash] = peaks
        return peaks

    def build(
        self,
        content_hash: str,
        path: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Peaks:
        got = self.cached(content_hash)
        if got is not None:
            return got
        peaks = compute_peaks(path, progress=progress, cancel=cancel)
        self.root.mkdir(parents=True, exist_ok=True)
        f = self._file(content_hash)
        arrays = {f"l{i}": lv for i, lv in enumerate(peaks.levels)}
        with atomic_path(f, durable=False) as tmp:  # the engine's one atomic-write helper
            np.savez(tmp, sample_rate=peaks.sample_rate, frames=peaks.frames, n_levels=len(peaks.levels), **arrays)  # type: ignore[arg-type]
        self._mem[content_hash] = peaks
        return peaks
