"""Render a project ahead of playback, one buffer per track (Qt-free).

The sound comes from the engine's application layer
(:mod:`audio_engine.app.render`): the same per-clip render and placement the
export uses, so playback and export cannot drift. The track gain/pan/mute/solo
are *not* baked in, so the playback engine applies them live.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audio_engine.app.render import ClipMemo, track_buffers
from audio_engine.progress import CancelToken
from studio.playback import TrackMix

#: The transport's memo of stretched clips (an in-memory LRU, bounded by bytes).
ClipRenderCache = ClipMemo


def render_tracks(
    project: Any,
    resolver: Any,
    *,
    sample_rate: int = 44100,
    cache: ClipMemo | None = None,
    disk_cache: Any = None,
    cancel: CancelToken | None = None,
) -> tuple[list[np.ndarray], list[TrackMix]]:
    """One buffer per track (clips placed, track gain/pan/mute/solo *not*
    applied: the playback engine applies those live)."""
    buffers = track_buffers(project, resolver, sample_rate=sample_rate, memo=cache, disk_cache=disk_cache, cancel=cancel)
    return buffers, track_mix(project)


def track_mix(project: Any) -> list[TrackMix]:
    return [TrackMix(t.gain_db, t.pan, t.mute, t.solo) for t in project.tracks]
