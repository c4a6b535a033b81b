"""Streaming playback material (studio/stream_playback.py): the ring the
callback reads holds the same samples as the whole pre-render, stays the
same size whatever the project's length, and an edit is heard within
EDIT_LATENCY_S of the playhead."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from audio_engine.app.render import BlockRenderer, ClipMemo, track_buffers
from audio_engine.project import AddClip, CommandStack, SetClipProperty
from audio_engine.project.media import MediaResolver
from studio.stream_playback import EDIT_LATENCY_S, FEED_BLOCK, Feeder, StreamMaterial
from tests.project.helpers import simple_project


class _Head:
    position = 0


def _project(tmp: Path, length_beats: float = 16.0):  # type: ignore[no-untyped-def]
    p, store, ref = simple_project(tmp)
    stack = CommandStack(p)
    k = 0
    while k * 8.0 < length_beats:
        stack.push(AddClip(track_id="t1" if k % 2 == 0 else "t2", clip={
            "id": f"c{k}", "media": ref.hash, "source_in": 0.0, "source_out": 4.0, "position": k * 8.0,
            "source_bpm": 120.0, "fade_in": 0.1}))
        k += 1
    return p, MediaResolver([store]), stack


def _play_through(m: StreamMaterial) -> np.ndarray:
    head = _Head()
    got = np.zeros((m.tracks, m.frames, 2), np.float32)
    while head.position < m.frames:
        while m.feed(head.position):
            pass
        n = m.ready(head.position)
        assert n > 0
        for t in range(m.tracks):
            got[t, head.position : head.position + n] = m.slice(t, head.position, n)
        head.position += n
    return got


def test_ring_holds_the_pre_rendered_samples(tmp_path: Path) -> None:
    p, res, _ = _project(tmp_path)
    whole = np.stack(track_buffers(p, res, sample_rate=44100, memo=ClipMemo())).transpose(0, 2, 1)
    m = StreamMaterial(BlockRenderer(p, res, sample_rate=44100, memo=ClipMemo()), sample_rate=44100)
    assert m.frames > m.capacity  # the project is longer than the ring: it wraps
    assert np.array_equal(_play_through(m), whole)


def test_ring_size_does_not_grow_with_the_project(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    short, r1, _ = _project(tmp_path / "a", 16.0)
    long, r2, _ = _project(tmp_path / "b", 2400.0)  # 20 minutes
    m1 = StreamMaterial(BlockRenderer(short, r1, sample_rate=44100, memo=ClipMemo()), sample_rate=44100)
    m2 = StreamMaterial(BlockRenderer(long, r2, sample_rate=44100, memo=ClipMemo()), sample_rate=44100)
    assert m2.frames > 40 * m1.frames
    assert m1.ring.nbytes == m2.ring.nbytes < 4 << 20


def test_an_edit_is_heard_within_the_edit_latency(tmp_path: Path) -> None:
    p, res, stack = _project(tmp_path, 32.0)
    memo = ClipMemo()
    head = _Head()
    m = StreamMaterial(BlockRenderer(p, res, sample_rate=44100, memo=memo), sample_rate=44100)
    feeder = Feeder(head, m, block=512)
    try:
        head.position = 44100  # playing, 1 s in, the ring full ahead
        deadline = time.monotonic() + 10
        while m.end < head.position + m.capacity - 2 * FEED_BLOCK and time.monotonic() < deadline:
            time.sleep(0.01)
        before = m.slice(0, head.position + 4410, 1).copy()
        stack.push(SetClipProperty(clip_id="c0", name="gain_db", value=-20.0))
        t0 = time.monotonic()
        feeder.edited(BlockRenderer(p, res, sample_rate=44100, memo=memo))
        at = head.position + int(EDIT_LATENCY_S * 44100)
        while m.ready(at) == 0 and time.monotonic() - t0 < 5:
            time.sleep(0.001)
        waited = time.monotonic() - t0
        after = m.slice(0, head.position + 4410, 1)
        assert np.allclose(after, before * np.float32(10 ** (-20 / 20)), atol=1e-6)
        assert waited < 0.5  # rendered again at once (the clips are memoised)
    finally:
        feeder.stop()
