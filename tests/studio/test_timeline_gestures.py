"""The timeline's producer gestures, with real mouse events on the editor's
timeline viewport: fade handles, a crossfade made by dragging one clip over
another, track reorder by dragging a header, a loop drawn in the ruler and a
marker dragged along it. Each edit is one undo step."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from audio_engine.app.fades import crossfades
from studio.views.timeline import LANE_H, RULER_H
from tests.studio.helpers import demo_project


def _drag(qtbot: Any, widget: Any, start: QPoint, end: QPoint, steps: int = 8) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, steps + 1):
        qtbot.mouseMove(widget, start + (end - start) * (k / steps))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def _at(tl: Any, item: Any, x: float, y: float) -> QPoint:
    """Viewport point of item-local (x, y)."""
    return tl.mapFromScene(item.mapToScene(QPointF(x, y)))


@pytest.fixture()
def ed(window: Any, qtbot: Any) -> Any:
    e = demo_project(window, qtbot)
    e.timeline.zoom_fit()
    return e


def _fade_handles(ed: Any, qtbot: Any) -> None:
    tl, stack = ed.timeline, ed.doc.undo_stack
    clip = ed.doc.project.tracks[0].clips[0]
    item = tl.items_by_id[clip.id]
    depth = stack.index()
    hx = item.handle_x(0)
    start = _at(tl, item, hx, 5)
    _drag(qtbot, tl.viewport(), start, start + QPoint(60, 0))
    assert clip.fade_in == pytest.approx((hx + 60) / tl.pps, abs=1.5 / tl.pps)
    assert stack.index() == depth + 1 and stack.undoText() == "Fade in"
    # the fade-out handle, dragged left from the top-right corner
    item = tl.items_by_id[clip.id]
    from_right = item.preview_w - item.handle_x(1)
    start = _at(tl, item, item.handle_x(1), 5)
    _drag(qtbot, tl.viewport(), start, start - QPoint(40, 0))
    assert clip.fade_out == pytest.approx((from_right + 40) / tl.pps, abs=1.5 / tl.pps)
    assert tl.items_by_id[clip.id].fade_px == pytest.approx([clip.fade_in * tl.pps, clip.fade_out * tl.pps])
    # the waveform is drawn as the fades shape it: silent at the edges, whole in the middle
    it = tl.items_by_id[clip.id]
    w = it.preview_w
    g = it.fade_gains(0, int(w), w)
    assert g[0] < 0.05 and g[-1] < 0.1 and g[int(w) // 2] == pytest.approx(1.0)
    assert it.fade_gains(int(w) // 2 - 2, int(w) // 2 + 2, w) is None
    assert stack.index() == depth + 2 and stack.undoText() == "Fade out"
    stack.undo()
    stack.undo()
    assert (clip.fade_in, clip.fade_out) == (0.0, 0.0)


def _crossfade(ed: Any, qtbot: Any) -> None:
    tl, stack, p = ed.timeline, ed.doc.undo_stack, ed.doc.project
    a, b = p.tracks[0].clips[0], p.tracks[1].clips[0]
    a_end = p.clip_start_seconds(a) + a.length_seconds(p.tempo)
    assert a.length_seconds(p.tempo) > 3.0 and b.length_seconds(p.tempo) > 3.0
    item = tl.items_by_id[b.id]
    depth = stack.index()
    grab = _at(tl, item, 20, LANE_H / 2)
    # b's start to 2 s before a's end, on a's lane
    dest_x = (a_end - 2.0) * tl.pps + 20
    dest = tl.mapFromScene(QPointF(dest_x, RULER_H + LANE_H / 2))
    _drag(qtbot, tl.viewport(), grab, dest, steps=12)
    assert b in p.tracks[0].clips
    overlap = a_end - p.clip_start_seconds(b)
    assert 1.0 < overlap < 3.0  # snapped to the beat grid near 2 s
    assert a.fade_out == pytest.approx(overlap, abs=1e-5) and b.fade_in == pytest.approx(overlap, abs=1e-5)
    assert stack.index() == depth + 1 and stack.undoText() == "Move clip + crossfade"
    [xf] = crossfades(p)
    assert (xf.left, xf.right) == (a.id, b.id)
    assert len(tl.crossfade_items) == 1 and "Crossfade" in tl.crossfade_items[0].toolTip()
    tl.set_zoom(tl.pps * 2)  # the crossfade follows the zoom
    assert tl.crossfade_items[0].pos().x() == pytest.approx(xf.start * tl.pps)
    stack.undo()
    assert b in p.tracks[1].clips and (a.fade_out, b.fade_in) == (0.0, 0.0)
    assert tl.crossfade_items == []


def _reorder(ed: Any, qtbot: Any) -> None:
    p, stack = ed.doc.project, ed.doc.undo_stack
    ids = [t.id for t in p.tracks]
    header = ed.track_headers[0]
    # grab the header's empty space beside the name (not a control)
    start = QPoint(header.width() // 2, header.height() - 4)
    qtbot.mousePress(header, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 9):
        qtbot.mouseMove(header, start + QPoint(0, int(LANE_H * k / 8)))
    assert header.reorder.line is not None and header.reorder.line.isVisible()
    qtbot.mouseRelease(header, Qt.MouseButton.LeftButton, pos=start + QPoint(0, LANE_H))
    assert [t.id for t in p.tracks] == [ids[1], ids[0], *ids[2:]]
    assert [h.track_id for h in ed.track_headers] == [t.id for t in p.tracks]
    assert stack.undoText() == "Move track"
    # a click (no drag) moves nothing
    depth = stack.index()
    qtbot.mouseClick(ed.track_headers[0], Qt.MouseButton.LeftButton, pos=start)
    assert stack.index() == depth
    stack.undo()
    assert [t.id for t in p.tracks] == ids


def _loop(ed: Any, window: Any, qtbot: Any) -> None:
    tl = ed.timeline
    beat = 60.0 / ed.doc.project.tempo
    x0 = tl.mapFromScene(QPointF(2 * beat * tl.pps + 2, 0)).x()
    x1 = tl.mapFromScene(QPointF(6 * beat * tl.pps - 2, 0)).x()
    _drag(qtbot, tl.viewport(), QPoint(x0, 12), QPoint(x1, 12))
    assert tl.loop == pytest.approx((2 * beat, 6 * beat))  # snapped to beats
    engine = window.s.transport.engine
    assert engine.loop == (int(2 * beat * engine.sample_rate), int(6 * beat * engine.sample_rate))
    # drag the loop's end further right
    x2 = tl.mapFromScene(QPointF(8 * beat * tl.pps, 0)).x()
    end = tl.mapFromScene(QPointF(6 * beat * tl.pps, 0)).x()
    _drag(qtbot, tl.viewport(), QPoint(end, 12), QPoint(x2, 12))
    assert tl.loop == pytest.approx((2 * beat, 8 * beat))
    assert tl.tooltip_at(QPoint(x2, 12)).startswith("Loop")
    # the loop stays with the project: a song previewed meanwhile plays through, the project loops again after
    tr, want = window.s.transport, (int(2 * beat * engine.sample_rate), int(8 * beat * engine.sample_rate))
    qtbot.waitUntil(lambda: tr.source == f"project:{ed.doc.project.id}", timeout=30000)
    song = window.s.library.all()[0].path
    tr.load_file(song)
    qtbot.waitUntil(lambda: tr.source == str(song), timeout=30000)
    assert engine.loop is None
    ed.take_transport()
    qtbot.waitUntil(lambda: tr.source == f"project:{ed.doc.project.id}", timeout=30000)
    assert engine.loop == want
    # a click without a drag moves the playhead and keeps the loop
    qtbot.mouseClick(tl.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x1 + 40, 12))
    assert window.s.transport.seconds == pytest.approx(tl.mapToScene(QPoint(x1 + 40, 12)).x() / tl.pps, abs=0.05)
    assert tl.loop == pytest.approx((2 * beat, 8 * beat))
    # right-click in the ruler: Clear loop
    from studio.views.marker_menu import ruler_menu

    menu = ruler_menu(ed)
    assert menu is not None and [a.text() for a in menu.actions()] == ["Clear loop"]
    menu.actions()[0].trigger()
    assert tl.loop is None and engine.loop is None and ruler_menu(ed) is None


def _marker(ed: Any, window: Any, qtbot: Any) -> None:
    tl, p, stack = ed.timeline, ed.doc.project, ed.doc.undo_stack
    window.s.transport.seek(2.0)
    window.activateWindow()
    tl.setFocus()
    qtbot.keyClick(tl, Qt.Key.Key_M)
    [m] = p.markers
    old = m.position
    at = tl.mapFromScene(QPointF(p.beats_to_seconds(m.position) * tl.pps, 0)).x()
    to = tl.mapFromScene(QPointF(p.beats_to_seconds(old + 4) * tl.pps, 0)).x()
    assert tl.tooltip_at(QPoint(at, 6)).startswith("Marker")  # tooltips on the timeline's controls
    assert "drag to set a loop" in tl.tooltip_at(QPoint(to + 200, 6))
    below = tl.mapFromScene(QPointF(0, RULER_H + len(p.tracks) * LANE_H + 20)).y()
    assert "select clips" in tl.tooltip_at(QPoint(at, below))
    assert tl.tooltip_at(_at(tl, next(iter(tl.items_by_id.values())), 30, 40)) is None  # a clip's own tip
    assert "top corner to fade" in next(iter(tl.items_by_id.values())).toolTip()
    _drag(qtbot, tl.viewport(), QPoint(at, 6), QPoint(to, 6))
    assert m.position == pytest.approx(old + 4)
    assert stack.undoText() == "Move marker"
    # double-click: rename in place (Enter keeps, Esc cancels)
    at = tl.mapFromScene(QPointF(p.beats_to_seconds(m.position) * tl.pps, 0)).x()
    qtbot.mouseDClick(tl.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(at, 6))
    editor = tl.marker_editor
    assert editor is not None and editor.isVisible() and editor.text() == m.name
    editor.selectAll()
    qtbot.keyClicks(editor, "Chorus")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert m.name == "Chorus" and stack.undoText() == "Rename marker" and tl.marker_editor is None
    qtbot.mouseDClick(tl.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(at, 6))
    qtbot.keyClicks(tl.marker_editor, "never kept")
    qtbot.keyClick(tl.marker_editor, Qt.Key.Key_Escape)
    assert m.name == "Chorus" and tl.marker_editor is None
    stack.undo()
    # right-click menu: a colour from the palette, one undo step
    from studio.views.marker_menu import marker_menu

    colours = {a.text(): a for a in marker_menu(ed, m).actions()}["Colour"].menu()
    swatches = [a for a in colours.actions() if a.text() != "Default"]
    swatches[1].trigger()
    assert m.color == swatches[1].text() and stack.undoText() == "Marker colour"
    assert {a.text(): a for a in marker_menu(ed, m).actions()}["Colour"].menu().actions()[2].isChecked()
    stack.undo()
    assert m.color is None
    assert tl.loop is None  # moving a marker draws no loop
    stack.undo()
    assert m.position == old


# Two journeys (each opens the demo project once: the setup is most of the cost).
def test_clip_gestures_fade_handles_and_crossfade(ed: Any, qtbot: Any) -> None:
    _fade_handles(ed, qtbot)
    _crossfade(ed, qtbot)


def test_header_and_ruler_gestures_reorder_marker_loop(ed: Any, window: Any, qtbot: Any) -> None:
    _reorder(ed, qtbot)
    _marker(ed, window, qtbot)
    _loop(ed, window, qtbot)


def test_a_viewer_selects_clips_but_cannot_drag_them(ed: Any, qtbot: Any) -> None:
    """Read-only (a viewer in a live session): a drag on a clip moves nothing and
    pushes nothing, the clip can still be selected, and its tip says why."""
    tl, stack, p = ed.timeline, ed.doc.undo_stack, ed.doc.project
    reason = "You can view this project; ask the owner for edit access."
    ed.set_read_only(reason)
    clip = p.tracks[0].clips[0]
    item = tl.items_by_id[clip.id]
    before, depth = p.clip_start_seconds(clip), stack.index()
    grab = _at(tl, item, item.preview_w / 2, LANE_H / 2)
    _drag(qtbot, tl.viewport(), grab, grab + QPoint(120, 0))
    assert p.clip_start_seconds(clip) == before and stack.index() == depth
    assert tl.items_by_id[clip.id].isSelected()
    assert tl.items_by_id[clip.id].pos().x() == pytest.approx(before * tl.pps)
    qtbot.mouseMove(tl.viewport(), grab + QPoint(2, 0))
    assert tl.items_by_id[clip.id].toolTip() == reason
    ed.set_read_only(None)  # editing again: the same drag moves the clip, one undo step
    item = tl.items_by_id[clip.id]
    grab = _at(tl, item, item.preview_w / 2, LANE_H / 2)
    _drag(qtbot, tl.viewport(), grab, grab + QPoint(120, 0))
    assert p.clip_start_seconds(clip) > before and stack.index() == depth + 1
