"""Rubber-band selection on empty timeline space and arrow-key nudge of the
selected clips by the snap grid, through the editor (one undo step each)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt

from studio.views.timeline import LANE_H, RULER_H
from tests.studio.helpers import demo_project


def _rubber_band(ed: Any, qtbot: Any, start: QPoint, end: QPoint) -> None:
    vp = ed.timeline.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 9):
        qtbot.mouseMove(vp, start + (end - start) * (k / 8))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)


def test_rubber_band_selects_every_clip_it_touches_then_arrows_nudge_them(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    p = ed.doc.project
    tl = ed.timeline
    clips = p.clips()
    assert ed.timeline.selected_clip_ids() == []
    # from empty space under the lanes up over both lanes
    below = tl.mapFromScene(0, RULER_H + len(p.tracks) * LANE_H + 20).y()
    x0 = tl.mapFromScene(min(p.clip_start_seconds(c) for c in clips) * tl.pps + 30, 0).x()
    _rubber_band(ed, qtbot, QPoint(x0 + 60, below), QPoint(x0, tl.mapFromScene(0, RULER_H + 10).y()))
    assert sorted(tl.selected_clip_ids()) == sorted(c.id for c in clips)

    before = {c.id: c.position for c in clips}
    depth = ed.doc.undo_stack.count()
    tl.grid_beats = 0.5
    window.activateWindow()
    tl.setFocus()
    qtbot.keyClick(tl, Qt.Key.Key_Right)
    assert {c.id: c.position for c in clips} == {i: b + 0.5 for i, b in before.items()}
    assert ed.doc.undo_stack.count() == depth + 1 and ed.doc.undo_stack.undoText() == "Nudge clips"
    assert sorted(tl.selected_clip_ids()) == sorted(before)  # still selected for the next nudge
    tl.grid_beats = 0.0  # a bar
    qtbot.keyClick(tl, Qt.Key.Key_Left)
    shift = min(b + 0.5 for b in before.values())  # the earliest stops at zero; the rest keep their spacing
    want = {i: b + 0.5 - min(float(p.beats_per_bar), shift) for i, b in before.items()}
    assert {c.id: c.position for c in clips} == want
    ed.doc.undo_stack.undo()
    ed.doc.undo_stack.undo()
    assert {c.id: c.position for c in clips} == before


def test_arrows_without_a_selection_change_nothing(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    depth = ed.doc.undo_stack.count()
    window.activateWindow()
    ed.timeline.setFocus()
    qtbot.keyClick(ed.timeline, Qt.Key.Key_Right)
    assert ed.doc.undo_stack.count() == depth
