"""Fades and crossfades as project commands (audio_engine.app.fades), and a
crossfade heard in a real render: the earlier clip's gain falls as the later
one's rises, sin/cos, their squares adding up to one over the overlap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_engine.app.fades import crossfades, move_clip, set_fades, trim_clip
from audio_engine.project import Clip, CommandStack, MoveClip, Project
from audio_engine.project.entities import command_changes
from audio_engine.project.media import MediaStore, add_song
from audio_engine.project.render import render_project
from tests.project.helpers import SR, tone


def _two_tones(tmp: Path) -> tuple[Project, MediaStore]:
    """Track 1: a 440 Hz clip at 0 s and a 1000 Hz clip at 6 s (120 BPM), each 4 s, 0.3 amplitude."""
    store = MediaStore(tmp / "store")
    (tmp / "src").mkdir()
    lo = add_song(store, tone(tmp / "src" / "lo.flac", freq=440.0), bpm=120.0)
    hi = add_song(store, tone(tmp / "src" / "hi.flac", freq=1000.0), bpm=120.0)
    p = Project(title="xfade", tempo=120.0)
    p.media[lo.hash], p.media[hi.hash] = lo, hi
    from audio_engine.project import Track

    p.tracks = [Track(id="t1", name="one"), Track(id="t2", name="two")]
    p.tracks[0].clips = [Clip("a", lo.hash, None, 0.0, 4.0, position=0.0, stretch_mode="fixed"),
                         Clip("b", hi.hash, None, 0.0, 4.0, position=12.0, stretch_mode="fixed")]
    return p, store


def test_moving_a_clip_over_another_sets_complementary_fades_in_one_undo_step(tmp_path: Path) -> None:
    p, _ = _two_tones(tmp_path)
    stack = CommandStack(p)
    cmd = move_clip(p, "b", 6.0)  # b now starts at 3 s: 1 s over a's end
    stack.push(cmd)
    a, b = p.clip("a"), p.clip("b")
    assert (a.fade_out, b.fade_in, a.fade_in, b.fade_out) == (1.0, 1.0, 0.0, 0.0)
    [xf] = crossfades(p)
    assert (xf.left, xf.right, xf.start, xf.end) == ("a", "b", 3.0, 4.0) and xf.complete(p)
    # one command, seen by sync as the move plus both fades
    changed = {(c.id, k) for c in command_changes(cmd, p) for k in c.fields}
    assert {("b", "position"), ("b", "fade_in"), ("a", "fade_out")} <= changed
    stack.undo()
    assert (p.clip("a").fade_out, p.clip("b").fade_in, p.clip("b").position) == (0.0, 0.0, 12.0)
    stack.redo()
    # dragged further over: the crossfade follows the overlap
    stack.push(move_clip(p, "b", 4.0))
    assert (a.fade_out, b.fade_in) == (2.0, 2.0)
    # dragged away: the crossfade's fades go with it
    stack.push(move_clip(p, "b", 10.0))
    assert (a.fade_out, b.fade_in) == (0.0, 0.0) and crossfades(p) == []


def test_a_hand_drawn_fade_stays_and_a_move_to_another_track_ends_the_crossfade(tmp_path: Path) -> None:
    p, _ = _two_tones(tmp_path)
    stack = CommandStack(p)
    stack.push(set_fades(p, "a", fade_in=0.5))  # type: ignore[arg-type]
    stack.push(move_clip(p, "b", 6.0))
    assert p.clip("a").fade_in == 0.5 and p.clip("a").fade_out == 1.0
    stack.push(move_clip(p, "b", 6.0, "t2"))
    assert p.clip("a").fade_out == 0.0 and p.clip("b").fade_in == 0.0 and p.clip("a").fade_in == 0.5
    # a plain move (no overlap anywhere) stays a plain MoveClip
    assert isinstance(move_clip(p, "b", 8.0), MoveClip)


def test_the_timeline_draws_fades_in_the_shape_the_renderer_applies() -> None:
    import inspect

    from audio_engine.app.fades import FADE_SHAPE
    from audio_engine.transform import fade

    assert inspect.signature(fade).parameters["shape"].default == FADE_SHAPE


def test_fades_are_clamped_to_the_clip_and_refuse_nothing_silently(tmp_path: Path) -> None:
    p, _ = _two_tones(tmp_path)
    cmd = set_fades(p, "a", fade_in=10.0)
    assert cmd is not None and cmd.text() == "Fade in"
    cmd.apply(p)
    assert p.clip("a").fade_in == 4.0  # the clip's length
    fo = set_fades(p, "a", fade_out=1.0)
    assert fo is None  # no room left: nothing to change
    set_fades(p, "a", fade_in=1.5).apply(p)  # type: ignore[union-attr]
    set_fades(p, "a", fade_out=9.0).apply(p)  # type: ignore[union-attr]
    assert (p.clip("a").fade_in, p.clip("a").fade_out) == (1.5, 2.5)
    assert set_fades(p, "a", fade_in=1.5) is None
    set_fades(p, "a", fade_in=-3.0).apply(p)  # type: ignore[union-attr]
    assert p.clip("a").fade_in == 0.0


def test_trimming_into_an_overlap_crossfades_it(tmp_path: Path) -> None:
    p, _ = _two_tones(tmp_path)
    p.clip("b").position = 8.0  # b starts at 4 s, where a ends
    assert crossfades(p) == []
    stack = CommandStack(p)
    # a's right edge dragged 0.5 s over b (a's source has no more audio: trim b's left edge instead)
    stack.push(trim_clip(p, "b", 0.0, 4.0, 7.0))  # b starts at 3.5 s
    assert (p.clip("a").fade_out, p.clip("b").fade_in) == (0.5, 0.5)
    stack.undo()
    assert (p.clip("a").fade_out, p.clip("b").fade_in, p.clip("b").position) == (0.0, 0.0, 8.0)


def _gains(x: np.ndarray, freqs: tuple[float, ...], starts: np.ndarray, win: int) -> np.ndarray:
    """Amplitude of each ``freqs`` sine in each window (one least-squares fit
    of all of them, so one tone does not leak into the other's figure)."""
    out = []
    for s in starts:
        t = (s + np.arange(win)) / SR
        basis = np.stack([f(2 * np.pi * fr * t) for fr in freqs for f in (np.sin, np.cos)], axis=1)
        coef, *_ = np.linalg.lstsq(basis, x[s : s + win].astype(np.float64), rcond=None)
        out.append([float(np.hypot(coef[2 * i], coef[2 * i + 1])) for i in range(len(freqs))])
    return np.asarray(out).T


@pytest.mark.parametrize("crossfaded", [True, False])
def test_a_crossfade_is_heard_as_complementary_gains(tmp_path: Path, crossfaded: bool) -> None:
    p, store = _two_tones(tmp_path)
    cmd = move_clip(p, "b", 6.0) if crossfaded else MoveClip(clip_id="b", position=6.0)
    cmd.apply(p)
    out = render_project(p, media=store, target_lufs=None, ceiling_db=0.0).audio.samples[0]
    win = int(0.02 * SR)
    starts = np.arange(int(3.0 * SR), int(4.0 * SR) - win, win)
    ga, gb = _gains(out, (440.0, 1000.0), starts, win) / 0.3
    u = (starts + win / 2) / SR - 3.0  # 0..1 through the overlap
    if not crossfaded:
        # without the fades the overlap just sums: both at full level (what the timeline had before)
        assert np.allclose(ga, 1.0, atol=0.02) and np.allclose(gb, 1.0, atol=0.02)
        return
    assert np.allclose(ga, np.cos(0.5 * np.pi * u), atol=0.03)
    assert np.allclose(gb, np.sin(0.5 * np.pi * u), atol=0.03)
    assert np.allclose(ga**2 + gb**2, 1.0, atol=0.03)  # constant power through the crossfade
    # outside the overlap each clip plays at full level, alone
    (a_before, a_after), (b_before, b_after) = _gains(out, (440.0, 1000.0), np.array([2 * SR, 5 * SR]), win) / 0.3
    assert a_before == pytest.approx(1.0, abs=0.02) and b_after == pytest.approx(1.0, abs=0.02)
    assert a_after < 0.01 and b_before < 0.01
