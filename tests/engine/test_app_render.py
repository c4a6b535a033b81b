"""Export and playback share one per-clip render (audio_engine.app.render):
the same project gives the same samples, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio_engine.app.render import BlockRenderer, ClipMemo, track_buffers
from audio_engine.project import AddClip, CommandStack
from audio_engine.project.media import MediaResolver
from audio_engine.project.render import render_project
from tests.project.helpers import simple_project


def _project(tmp: Path):  # type: ignore[no-untyped-def]
    p, store, ref = simple_project(tmp)
    stack = CommandStack(p)
    stack.push(AddClip(track_id="t1", clip={"id": "a", "media": ref.hash, "source_in": 0.5, "source_out": 3.5,
                                            "position": 1.0, "source_bpm": 110.0, "gain_db": -7.0, "fade_in": 0.2,
                                            "fade_out": 0.3}))
    stack.push(AddClip(track_id="t1", clip={"id": "b", "media": ref.hash, "stem": "vocals", "source_in": 0.0,
                                            "source_out": 2.0, "position": 5.0, "stretch_mode": "fixed",
                                            "stretch_ratio": 1.0, "pitch": 2.0, "gain_db": -3.0}))
    p.tracks.pop()  # one track: its export mix before mastering is its playback buffer
    return p, store


def test_export_and_playback_render_the_same_samples(tmp_path: Path) -> None:
    p, store = _project(tmp_path)
    resolver = MediaResolver([store])
    [buf] = track_buffers(p, resolver, sample_rate=44100, memo=ClipMemo())
    r = render_project(p, media=resolver, target_lufs=None)  # quiet mix: the limiter leaves it untouched
    assert r.master is not None and r.master.true_peak_db < -1.0
    assert r.audio.samples.shape == buf.shape
    assert np.array_equal(r.audio.samples, buf)


def test_blocks_equal_the_whole_buffer_and_stay_bounded(tmp_path: Path) -> None:
    p, store = _project(tmp_path)
    resolver = MediaResolver([store])
    memo = ClipMemo()
    whole = np.stack(track_buffers(p, resolver, sample_rate=44100, memo=memo))
    blocks = BlockRenderer(p, resolver, sample_rate=44100, memo=memo)
    assert blocks.length == whole.shape[2]
    got = np.zeros_like(whole)
    out = np.empty((1, 2, 4096), np.float32)
    for start in range(0, blocks.length, 4096):
        n = min(4096, blocks.length - start)
        got[:, :, start : start + n] = blocks.render(start, 4096, out)[:, :, :n]
    assert np.array_equal(got, whole)
