"""Render a project ahead of playback, one buffer per track (Qt-free).

Each track's clips are stretched/pitched with the engine's Rubber Band
transforms and placed sample-accurately with the engine's mixer; the track
gain/pan/mute/solo are *not* baked in, so the playback engine can apply them
live. Rendered clips are memoised by their sound-affecting settings, so an
edit that only moves a clip re-places audio without re-stretching it.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from audio_engine.audio import Audio
from audio_engine.mixer import Placement, mix
from audio_engine.progress import CancelToken, check
from audio_engine.transform import fade
from studio.playback import TrackMix


class ClipRenderCache:
    """In-memory memo of stretched clips (the engine's FileCache keeps them on disk too)."""

    def __init__(self, max_items: int = 64) -> None:
        self._items: dict[str, Audio] = {}
        self._lock = threading.Lock()
        self.max_items = max_items

    def get(self, key: str) -> Audio | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: str, audio: Audio) -> None:
        with self._lock:
            if len(self._items) >= self.max_items:
                self._items.pop(next(iter(self._items)))
            self._items[key] = audio


def render_clip(project: Any, clip: Any, resolver: Any, *, sample_rate: int, cache: ClipRenderCache | None = None,
                disk_cache: Any = None) -> Audio:
    """The clip as it sounds on its track (stretch, pitch, clip gain, fades):
    the engine's renderer does the stretch/pitch (and caches it on disk)."""
    from audio_engine.project.render import DEFAULT_QUALITY, clip_cache_key
    from audio_engine.project.render import render_clip as engine_render_clip

    key = clip_cache_key(project, clip, sample_rate=sample_rate, quality=DEFAULT_QUALITY) + f"|{clip.gain_db}|{clip.fade_in}|{clip.fade_out}"
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    audio, _ = engine_render_clip(project, clip, media=resolver, sample_rate=sample_rate, cache=disk_cache)
    if clip.fade_in or clip.fade_out:
        audio = fade(audio, fade_in_s=float(clip.fade_in), fade_out_s=float(clip.fade_out))
    if clip.gain_db:
        audio = Audio(audio.samples * np.float32(10 ** (clip.gain_db / 20.0)), audio.sample_rate)
    if cache is not None:
        cache.put(key, audio)
    return audio


def render_tracks(
    project: Any,
    resolver: Any,
    *,
    sample_rate: int = 44100,
    cache: ClipRenderCache | None = None,
    disk_cache: Any = None,
    cancel: CancelToken | None = None,
) -> tuple[list[np.ndarray], list[TrackMix]]:
    """One buffer per track (clips placed, track gain/pan/mute/solo *not*
    applied: the playback engine applies those live)."""
    length = int(round(project.end_seconds() * sample_rate))
    buffers: list[np.ndarray] = []
    mixes: list[TrackMix] = []
    for track in project.tracks:
        placements = []
        for clip in track.clips:
            check(cancel)
            audio = render_clip(project, clip, resolver, sample_rate=sample_rate, cache=cache, disk_cache=disk_cache)
            placements.append(Placement(audio, project.beats_to_samples(clip.position, sample_rate)))
        bus = mix(placements, sample_rate=sample_rate, channels=2, length=length)
        buffers.append(bus.samples)
        mixes.append(TrackMix(track.gain_db, track.pan, track.mute, track.solo))
    return buffers, mixes


def track_mix(project: Any) -> list[TrackMix]:
    return [TrackMix(t.gain_db, t.pan, t.mute, t.solo) for t in project.tracks]
