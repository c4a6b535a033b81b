"""Editor features on the bundled demo songs: trim with the mouse, delete,
tempo/key controls, markers, autosave and recovery after a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from studio.resources import demo_songs
from tests.studio.conftest import wait_jobs


def _mouse(widget: Any, kind: Any, pos: QPoint, buttons: Any) -> None:
    ev = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.LeftButton, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def _project_with_demo(window: Any, qtbot: Any) -> Any:
    s = window.s
    window.actions_ctl.import_paths(demo_songs(), analyse=False)
    wait_jobs(qtbot, s.jobs, 60)
    ids = [x.id for x in s.library.all()]
    window.library_page.select_song(ids[0])
    window.library_page.open_in_editor.emit(ids)
    wait_jobs(qtbot, s.jobs, 120)
    ed = window.editor_page
    assert window.current_page() == "Editor" and len(ed.doc.project.clips()) == 2
    return ed


def test_trim_delete_tempo_key_marker(window: Any, qtbot: Any) -> None:
    ed = _project_with_demo(window, qtbot)
    p = ed.doc.project
    clip = p.tracks[0].clips[0]
    item = ed.timeline.items_by_id[clip.id]
    ed.timeline.set_zoom(30.0)
    ed.timeline.horizontalScrollBar().setValue(0)
    qtbot.wait(20)
    # drag the right edge 4 s to the left: the clip is trimmed (snapped to a beat)
    edge = ed.timeline.mapFromScene(item.scenePos() + QPointF(item.preview_w - 2, 40))
    to = edge - QPoint(int(4 * ed.timeline.pps), 0)
    vp = ed.timeline.viewport()
    _mouse(vp, QMouseEvent.Type.MouseButtonPress, edge, Qt.MouseButton.LeftButton)
    _mouse(vp, QMouseEvent.Type.MouseMove, to, Qt.MouseButton.LeftButton)
    _mouse(vp, QMouseEvent.Type.MouseButtonRelease, to, Qt.MouseButton.NoButton)
    trimmed = p.clip(clip.id)
    assert 19.0 < trimmed.source_out < 21.0 and trimmed.source_in == 0.0
    ed.undo_stack.undo()
    assert abs(p.clip(clip.id).source_out - 24.0) < 0.01
    # tempo and key controls are undoable engine commands
    ed.tempo.setValue(128.0)
    assert p.tempo == 128.0
    ed.key.setCurrentText("A minor")
    assert p.key == "A minor"
    ed.undo_stack.undo()
    ed.undo_stack.undo()
    assert p.tempo == 120.0 and p.key is None
    # a marker at the playhead (M)
    window.s.transport.seek(2.0)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_M)
    assert len(p.markers) == 1 and abs(p.beats_to_seconds(p.markers[0].position) - 2.0) < 0.01
    # select only the second clip and press Delete
    ed.timeline.scene().clearSelection()
    item = ed.timeline.items_by_id[p.tracks[1].clips[0].id]
    item.setSelected(True)
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert len(p.clips()) == 1
    ed.undo_stack.undo()
    assert len(p.clips()) == 2
    wait_jobs(qtbot, window.s.jobs, 60)


def test_autosave_and_recovery_after_a_crash(window: Any, qtbot: Any, services: Any) -> None:
    ed = _project_with_demo(window, qtbot)
    assert ed.doc.path is None and ed.doc.dirty
    auto = ed.autosave_now()
    assert auto is not None and auto.is_file()
    title = ed.doc.project.title
    n_clips = len(ed.doc.project.clips())
    wait_jobs(qtbot, services.jobs, 60)
    # "crash": a new window on the same data, nothing saved
    from studio.main_window import MainWindow

    again = MainWindow(services, first_run_prompt=False)
    qtbot.addWidget(again)
    again.show()
    again.editor_page.offer_recovery()
    box = again.editor_page.recovery_box
    assert box is not None and box.isVisible()
    recover = next(b for b in box.buttons() if b.text() == "Recover")
    qtbot.mouseClick(recover, Qt.MouseButton.LeftButton)
    rec = again.editor_page.doc.project
    assert rec.title == title and len(rec.clips()) == n_clips and again.editor_page.doc.dirty
    again.editor_page.undo_stack.setClean()
    again.close()
    wait_jobs(qtbot, services.jobs, 60)
    assert Path(auto).parent.exists()
