"""One per-track/clip render for export and playback.

Export (:func:`audio_engine.project.render.render_project`) and playback
both turn a clip into sound with :func:`~audio_engine.project.render.render_clip`
(stretch/pitch, disk-cached) and :func:`~audio_engine.project.render.clip_placement`
(fades, gain, position), and a track's mix settings with one
:class:`~audio_engine.project.trackmix.TrackProcessor`. Playback keeps each
track separate and leaves the track's gain/pan/mute/solo to the transport, so
they change live; with track gain 0 dB and pan centre a track's playback
buffer is bit-identical to its export mix before mastering (tested).

:class:`BlockRenderer` renders the same sound in bounded blocks (playback
memory does not grow with the project's length): it keeps the stretched
clips it needs (bounded by the clip memo), never a whole-project buffer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from audio_engine.audio import Audio
from audio_engine.cache import FileCache
from audio_engine.mixer import Placement, mix, mix_into
from audio_engine.progress import CancelToken, check
from audio_engine.project.media import MediaResolver
from audio_engine.project.model import Clip, Project
from audio_engine.project.render import DEFAULT_QUALITY, clip_cache_key, clip_placement, render_clip
from audio_engine.project.trackmix import TrackProcessor
from audio_engine.transform import Quality


class ClipMemo:
    """In-memory LRU of stretched clips (the disk cache keeps them too),
    bounded by bytes: an edit that only moves, fades or re-gains a clip
    re-places it without stretching it again."""

    def __init__(self, max_bytes: int = 512 << 20) -> None:
        self._items: OrderedDict[str, Audio] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.max_bytes = max_bytes

    def get(self, key: str) -> Audio | None:
        with self._lock:
            a = self._items.get(key)
            if a is not None:
                self._items.move_to_end(key)
            return a

    def put(self, key: str, audio: Audio) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = audio
            self._bytes += audio.samples.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._bytes -= old.samples.nbytes

    @property
    def nbytes(self) -> int:
        return self._bytes


def stretched_clip(project: Project, clip: Clip, *, media: MediaResolver, sample_rate: int,
                   memo: ClipMemo | None = None, disk_cache: FileCache | None = None,
                   quality: Quality = DEFAULT_QUALITY) -> Audio:
    """The clip's stretched/pitched audio, from the memo, the disk cache or Rubber Band."""
    key = clip_cache_key(project, clip, sample_rate=sample_rate, quality=quality)
    if memo is not None and (hit := memo.get(key)) is not None:
        return hit
    audio, _ = render_clip(project, clip, media=media, sample_rate=sample_rate, quality=quality, cache=disk_cache)
    if memo is not None:
        memo.put(key, audio)
    return audio


def placed_clip(project: Project, clip: Clip, *, media: MediaResolver, sample_rate: int, memo: ClipMemo | None = None,
                disk_cache: FileCache | None = None) -> Placement:
    """:func:`clip_placement` of the stretched clip, the faded audio memoised
    too (keyed by the sound and the fades), so a block costs a slice."""
    key = clip_cache_key(project, clip, sample_rate=sample_rate, quality=DEFAULT_QUALITY) + f"|fades:{clip.fade_in!r}:{clip.fade_out!r}"
    faded = memo.get(key) if memo is not None else None
    if faded is None:
        audio = stretched_clip(project, clip, media=media, sample_rate=sample_rate, memo=memo, disk_cache=disk_cache)
        p = clip_placement(project, clip, audio, sample_rate=sample_rate)
        if memo is not None:
            memo.put(key, p.audio)
        return p
    return Placement(faded, project.beats_to_samples(clip.position, sample_rate), clip.gain_db, 0.0)


def track_buffers(project: Project, media: MediaResolver, *, sample_rate: int, memo: ClipMemo | None = None,
                  disk_cache: FileCache | None = None, cancel: CancelToken | None = None) -> list[np.ndarray]:
    """One whole stereo buffer per track (clips placed with their fades and
    gain, the track's mix settings applied; the track's own gain/pan/mute/solo
    *not* applied)."""
    length = int(round(project.end_seconds() * sample_rate))
    raw: list[list[Placement]] = []
    for track in project.tracks:
        placements = []
        for clip in track.clips:
            check(cancel)
            placements.append(placed_clip(project, clip, media=media, sample_rate=sample_rate, memo=memo,
                                          disk_cache=disk_cache))
        raw.append(placements)
    proc = TrackProcessor(project, lambda ti, start, n: mix_into(raw[ti], np.zeros((2, n), np.float32), start),
                          sample_rate=sample_rate)
    out = []
    for ti, placements in enumerate(raw):
        check(cancel)
        if proc.active(ti):
            out.append(proc.block(ti, 0, length))
        else:
            out.append(mix(placements, sample_rate=sample_rate, channels=2, length=length).samples)
    return out


@dataclass(frozen=True)
class _Span:
    clip: Clip
    start: int  # first timeline frame
    frames: int


class BlockRenderer:
    """Per-track audio of any timeline range ``[start, start + frames)``,
    rendered on demand: memory is the block plus the stretched clips that
    sound in it (memoised, bounded), never the project's length."""

    def __init__(self, project: Project, media: MediaResolver, *, sample_rate: int, memo: ClipMemo,
                 disk_cache: FileCache | None = None) -> None:
        self.project = project
        self.media = media
        self.sample_rate = sample_rate
        self.memo = memo
        self.disk_cache = disk_cache
        self.length = int(round(project.end_seconds() * sample_rate))
        self._spans: list[list[_Span]] = []
        for track in project.tracks:
            spans = []
            for c in track.clips:
                start = project.beats_to_samples(c.position, sample_rate)
                n = int(round(c.length_seconds(project.tempo) * sample_rate)) + 2
                spans.append(_Span(c, start, n))
            self._spans.append(spans)
        self.processor = TrackProcessor(project, self._raw, sample_rate=sample_rate)
        self._active = [self.processor.active(ti) for ti in range(len(self._spans))]

    def _raw(self, ti: int, start: int, frames: int) -> np.ndarray:
        """Track ``ti``'s clips over any range (before its mix settings)."""
        end = start + frames
        placements = [placed_clip(self.project, sp.clip, media=self.media, sample_rate=self.sample_rate,
                                  memo=self.memo, disk_cache=self.disk_cache)
                      for sp in self._spans[ti] if sp.start < end and sp.start + sp.frames > start]
        return mix_into(placements, np.zeros((2, frames), np.float32), start)

    @property
    def tracks(self) -> int:
        return len(self._spans)

    def clips_between(self, start: int, frames: int) -> list[Clip]:
        return [s.clip for spans in self._spans for s in spans if s.start < start + frames and s.start + s.frames > start]

    def render(self, start: int, frames: int, out: np.ndarray | None = None) -> np.ndarray:
        """``(tracks, 2, frames)`` float32: each track's sound in the range
        (the same samples :func:`track_buffers` holds there)."""
        if out is None:
            out = np.zeros((self.tracks, 2, frames), dtype=np.float32)
        else:
            out[:] = 0.0
        end = start + frames
        inside = max(0, min(frames, self.length - start))  # nothing sounds past the project's end
        for ti, spans in enumerate(self._spans):
            if self._active[ti]:  # mix settings: the processor's chunks (the same samples export hears)
                if inside > 0:
                    out[ti, :, :inside] = self.processor.block(ti, start, inside)
                continue
            placements = [placed_clip(self.project, sp.clip, media=self.media, sample_rate=self.sample_rate,
                                      memo=self.memo, disk_cache=self.disk_cache)
                          for sp in spans if sp.start < end and sp.start + sp.frames > start]
            mix_into(placements, out[ti, :, :inside], start)  # the mixer's own arithmetic: blocks equal whole buffers
        return out
