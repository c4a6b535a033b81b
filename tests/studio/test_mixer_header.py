"""Track headers and the timeline's zoom, through the widgets: long names
leave mute/solo/pan reachable, mute reads as ON, muted clips dim, the fader
says its value, zoom keeps the playhead (or the mouse) in place, Ctrl+= and
Ctrl+- zoom."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from audio_engine import project as proj
from tests.studio.conftest import wait_jobs
from tests.studio.helpers import demo_project

LONG = "An extremely long track name that goes on and on · vocals (remastered 2026 deluxe edition)"


def _inside(child: Any, outer: Any) -> bool:
    top_left = child.mapTo(outer, QPoint(0, 0))
    return (child.isVisible() and top_left.x() >= 0 and top_left.y() >= 0
            and top_left.x() + child.width() <= outer.width() and top_left.y() + child.height() <= outer.height())


def test_long_track_name_keeps_every_control_visible(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    tid = ed.doc.project.tracks[0].id
    ed.push(proj.Macro(commands=[proj.AddTrack(track={"id": proj.new_id("track"), "name": LONG})], name="Add track"))
    ed.push(proj.SetTrackProperty(track_id=tid, name="name", value=LONG))
    for size in ((1100, 700), (1600, 1000)):
        window.resize(*size)
        qtbot.wait(50)
        viewport = ed.headers_scroll.viewport()
        for h in ed.track_headers:
            for w in (h.mute, h.solo, h.gain, h.gain_label, h.pan):
                assert _inside(w, viewport), (size, w)
        h = ed.track_headers[0]
        assert h.name.text().endswith("…") and h.name.toolTip() == LONG
    wait_jobs(qtbot, window.s.jobs, 60)


def test_mute_looks_on_and_dims_its_clips(window: Any, qtbot: Any) -> None:
    window.s.theme.apply(QApplication.instance())  # the style sheet the app runs with
    ed = demo_project(window, qtbot)
    h = ed.track_headers[0]
    p = ed.doc.project
    first, second = (ed.timeline.items_by_id[t.clips[0].id] for t in p.tracks[:2])
    assert first.opacity() == 1.0 and second.opacity() == 1.0
    off = h.mute.grab().toImage().pixelColor(h.mute.width() // 2, 4)
    qtbot.mouseClick(h.mute, Qt.MouseButton.LeftButton)
    assert p.tracks[0].mute and ed.track_headers[0].mute.isChecked()
    on = ed.track_headers[0].mute.grab().toImage().pixelColor(h.mute.width() // 2, 4)
    warning, hover = window.s.theme.color("warning"), window.s.theme.color("hover")

    def dist(a: QColor, b: QColor) -> int:
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())

    assert dist(on, warning) < 40 and dist(on, hover) > 150 and dist(on, off) > 150
    first = ed.timeline.items_by_id[p.tracks[0].clips[0].id]
    assert first.opacity() < 0.5 and ed.timeline.items_by_id[p.tracks[1].clips[0].id].opacity() == 1.0
    # solo the other track: the first stays dim; unmute: it is still silent (not soloed), so still dim
    qtbot.mouseClick(ed.track_headers[1].solo, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(ed.track_headers[0].mute, Qt.MouseButton.LeftButton)
    assert not p.tracks[0].mute and p.tracks[1].solo
    assert ed.timeline.items_by_id[p.tracks[0].clips[0].id].opacity() < 0.5
    ed.undo_stack.undo()
    ed.undo_stack.undo()  # back to: first muted, nothing soloed
    assert p.tracks[0].mute and not p.tracks[1].solo and ed.track_headers[0].mute.isChecked()
    assert ed.timeline.items_by_id[p.tracks[0].clips[0].id].opacity() < 0.5
    assert ed.timeline.items_by_id[p.tracks[1].clips[0].id].opacity() == 1.0
    ed.undo_stack.undo()
    assert all(it.opacity() == 1.0 for it in ed.timeline.items_by_id.values())
    wait_jobs(qtbot, window.s.jobs, 60)


def test_fader_tooltip_follows_the_value(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    h = ed.track_headers[0]
    assert h.gain.toolTip() == "Gain +0.0 dB"
    h.gain.setFocus()
    for _ in range(5):
        qtbot.keyClick(h.gain, Qt.Key.Key_Left)
    assert h.gain.toolTip() == "Gain −0.5 dB" and h.gain_label.text() == "−0.5 dB"
    assert abs(ed.doc.project.tracks[0].gain_db + 0.5) < 1e-9
    h = ed.track_headers[0]
    h.gain.setValue(-35)
    assert h.gain.toolTip() == "Gain −3.5 dB"
    h.pan.setValue(-40)
    assert h.pan.toolTip() == "Pan 40% left"
    wait_jobs(qtbot, window.s.jobs, 60)


def test_zoom_keeps_the_playhead_and_the_mouse_in_place(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    tl = ed.timeline
    tl.set_zoom(20.0)
    tl.horizontalScrollBar().setValue(0)
    window.s.transport.seek(9.0)
    qtbot.waitUntil(lambda: abs(tl.playhead - 9.0) < 0.01, timeout=5000)
    # a transport seek before the project renders may not move the playhead: set it like the timer does
    tl.set_playhead(9.0)

    def on_screen(t: float) -> float:
        return t * tl.pps - tl.horizontalScrollBar().value()

    x0 = on_screen(9.0)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert abs(tl.pps - 30.0) < 1e-6
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert abs(tl.pps - 45.0) < 1e-6 and abs(on_screen(9.0) - x0) <= 1.0
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert abs(tl.pps - 30.0) < 1e-6 and abs(on_screen(9.0) - x0) <= 1.0
    # the wheel with Ctrl zooms around the mouse
    mouse = QPointF(300.0, 60.0)
    t_mouse = (tl.horizontalScrollBar().value() + mouse.x()) / tl.pps
    ev = QWheelEvent(mouse, QPointF(tl.viewport().mapToGlobal(mouse.toPoint())), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(tl.viewport(), ev)
    assert abs(tl.pps - 37.5) < 1e-6
    assert abs((tl.horizontalScrollBar().value() + mouse.x()) / tl.pps - t_mouse) < 1.0 / tl.pps
    # Ctrl+0 fits the project
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    end = ed.doc.project.end_seconds() * tl.pps
    assert end <= tl.viewport().width() and tl.horizontalScrollBar().value() == 0
    wait_jobs(qtbot, window.s.jobs, 60)
