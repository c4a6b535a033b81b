"""Split at the playhead (S) through the editor: one clip becomes two that
play exactly what it played; undo restores it."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from audio_engine.app.render import ClipMemo, track_buffers
from tests.studio.conftest import wait_jobs
from tests.studio.helpers import demo_project


def test_split_at_playhead_with_s(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    p = ed.doc.project
    track = p.tracks[0]
    clip = track.clips[0]
    orig_out = clip.source_out
    before = np.stack(track_buffers(p, ed.doc.resolver(), sample_rate=44100, memo=ClipMemo()))
    start = p.clip_start_seconds(clip)
    cut = start + clip.length_seconds(p.tempo) / 2
    window.s.transport.seek(cut)
    window.activateWindow()
    ed.timeline.setFocus()
    qtbot.keyClick(ed.timeline, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: len(track.clips) == 2, timeout=5000)
    left, right = sorted(track.clips, key=lambda c: c.position)
    assert abs(p.clip_start_seconds(right) - window.s.transport.seconds) < 1e-6
    assert abs(left.source_out - right.source_in) < 1e-9 and right.source_out == orig_out
    after = np.stack(track_buffers(p, ed.doc.resolver(), sample_rate=44100, memo=ClipMemo()))
    assert after.shape == before.shape
    diff = np.abs(after - before).max(axis=(0, 1))
    k = int(window.s.transport.seconds * 44100)
    # The same sound, except right at the cut, where Rubber Band starts the second piece afresh.
    assert float(np.delete(diff, np.s_[k - 2205 : k + 13230]).max()) < 1e-3
    ed.doc.undo_stack.undo()
    assert len(track.clips) == 1 and track.clips[0].source_out == orig_out
    wait_jobs(qtbot, window.s.jobs, 60)


def test_duplicate_with_ctrl_d_after_a_click_on_the_clip(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    p = ed.doc.project
    track = p.tracks[0]
    clip = track.clips[0]
    item = ed.timeline.items_by_id[clip.id]
    centre = ed.timeline.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(ed.timeline.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert ed.timeline.selected_clip_ids() == [clip.id]
    window.activateWindow()
    ed.timeline.setFocus()
    qtbot.keyClick(ed.timeline, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(track.clips) == 2, timeout=5000)
    copy = next(c for c in track.clips if c.id != clip.id)
    end = p.clip_start_seconds(clip) + clip.length_seconds(p.tempo)
    assert abs(p.clip_start_seconds(copy) - end) < 1e-6
    assert (copy.media, copy.source_in, copy.source_out, copy.gain_db) == (clip.media, clip.source_in, clip.source_out,
                                                                          clip.gain_db)
    ed.doc.undo_stack.undo()
    assert [c.id for c in track.clips] == [clip.id]
    wait_jobs(qtbot, window.s.jobs, 60)


def test_copy_and_paste_at_the_playhead(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    p = ed.doc.project
    track = p.tracks[0]
    clip = track.clips[0]
    item = ed.timeline.items_by_id[clip.id]
    qtbot.mouseClick(ed.timeline.viewport(), Qt.MouseButton.LeftButton,
                     pos=ed.timeline.mapFromScene(item.sceneBoundingRect().center()))
    window.activateWindow()
    ed.timeline.setFocus()
    qtbot.keyClick(ed.timeline, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    target = p.end_seconds() + 2.0
    window.s.transport.engine.position = int(target * 44100)  # the playhead past the end
    qtbot.keyClick(ed.timeline, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(track.clips) == 2, timeout=5000)
    pasted = next(c for c in track.clips if c.id != clip.id)
    assert abs(p.clip_start_seconds(pasted) - window.s.transport.seconds) < 1e-6
    assert (pasted.source_in, pasted.source_out) == (clip.source_in, clip.source_out)
    ed.doc.undo_stack.undo()
    assert [c.id for c in track.clips] == [clip.id]
    wait_jobs(qtbot, window.s.jobs, 60)


def test_snap_toggle_and_grid_resolution_from_the_view_menu(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    tl = ed.timeline
    beat_px = 60.0 / ed.doc.project.tempo * tl.pps
    x = 1.3 * beat_px
    assert tl.snap_x(x) == 1.0 * beat_px  # default: the beat
    quarter = next(a for a, b in window.grid_actions if b == 0.25)
    quarter.trigger()
    assert tl.grid_beats == 0.25 and quarter.isChecked()
    assert abs(tl.snap_x(x) - 1.25 * beat_px) < 1e-9
    bar = next(a for a, b in window.grid_actions if b == 0.0)
    bar.trigger()
    assert tl.snap_x(3.0 * beat_px) == ed.doc.project.beats_per_bar * beat_px and not quarter.isChecked()
    window.snap_action.trigger()  # Snap off: free positions
    assert not tl.snap and tl.snap_x(x) == x
    assert not ed.snap.isChecked(), "the toolbar's snap checkbox shows what the View menu set"
    ed.snap.setChecked(True)  # and the toolbar's checkbox drives the menu item
    assert tl.snap and window.snap_action.isChecked()
    wait_jobs(qtbot, window.s.jobs, 60)
