"""Export and playback share one per-clip render (audio_engine.app.render):
the same project gives the same samples, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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


def test_streamed_export_equals_the_in_memory_render(tmp_path: Path) -> None:
    from audio_engine import io

    p, store = _project(tmp_path)
    p.tracks[0].clips[0].gain_db = 6.0  # loud enough for the limiter to work
    whole = render_project(p, media=store, out=tmp_path / "whole.wav")
    blocks = render_project(p, media=store, out=tmp_path / "blocks.wav", stream_above_bytes=0)
    assert blocks.streamed and not whole.streamed and blocks.audio.frames == 0
    assert blocks.duration == whole.duration
    a, b = io.load(tmp_path / "whole.wav"), io.load(tmp_path / "blocks.wav")
    assert a.frames == b.frames
    assert float(np.abs(a.samples - b.samples).max()) < 1e-6  # 24-bit files of the same samples
    assert whole.master is not None and blocks.master is not None
    assert abs(whole.master.output_lufs - blocks.master.output_lufs) < 0.01
    assert blocks.master.true_peak_db <= -1.0


@pytest.mark.slow
def test_long_export_memory_is_set_by_the_block(tmp_path: Path) -> None:
    import tracemalloc

    p, store = _project(tmp_path)
    p.tracks[0].clips[1].position = 480.0  # 4 minutes into the mix
    tracemalloc.start()
    r = render_project(p, media=store, out=tmp_path / "long.wav", target_lufs=None, stream_above_bytes=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert r.streamed and r.duration > 240
    # Held whole, this mix needs ~340 MB (RENDER_BYTES_PER_FRAME); in blocks, the block and the clips.
    assert peak < 150 << 20  # measured ~115 MB at 4 and at 10 minutes
