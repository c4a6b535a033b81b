"""QA findings on the editor, each reproduced as a person met it (issue 18):
a loop carried into the next project, a marker's name that did not answer
the mouse, an inspector taking a small window's timeline, the recovery
prompt that named no project and left the Library in front, and Undo left
enabled for a viewer of a live session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt

from audio_engine import project as proj
from studio.views import marker_menu
from studio.views.timeline_ruler import LABEL_DX, label_font, marker_x
from tests.studio.helpers import demo_project

VIEWER = "You are a viewer of this live session: ask the owner for edit access"


def test_editor_loop_markers_inspector_and_undo_as_a_person_meets_them(window: Any, qtbot: Any) -> None:
    from PySide6.QtGui import QFontMetricsF

    window.resize(1100, 700)  # the smallest window
    ed = demo_project(window, qtbot)
    tl, button, engine = ed.timeline, window.transport_bar.loop_btn, window.s.transport.engine
    qtbot.wait(50)

    # d. nothing selected: the inspector is closed and the timeline has the room (it took ~270 px)
    assert not ed.inspector.isVisible() and not ed.inspector_btn.isChecked()
    assert tl.width() >= 450, tl.width()  # 528 here; with the inspector open ~250
    first = ed.doc.project.clips()[0]
    tl.items_by_id[first.id].setSelected(True)  # the first clip selected opens it
    qtbot.waitUntil(lambda: ed.inspector.isVisible() and ed.inspector.clip_id == first.id, timeout=2000)
    tl.items_by_id[first.id].setSelected(False)

    # c. a marker's name answers like its triangle: double-click renames, right-click finds the marker
    beats = round(ed.doc.project.seconds_to_beats(2.0), 4)
    assert ed.push(proj.AddMarker(marker_id="m-verse", position=beats, name="Second verse"))
    m = ed.doc.project.markers[0]
    width = QFontMetricsF(label_font(tl)).horizontalAdvance(m.name)
    assert width > 30
    on_name = QPoint(tl.mapFromScene(QPointF(marker_x(tl, m) + LABEL_DX + width * 0.7, 5)).x(), 8)
    past_name = QPoint(tl.mapFromScene(QPointF(marker_x(tl, m) + LABEL_DX + width + 12, 5)).x(), 8)
    assert marker_menu.marker_at(ed, on_name) is m  # the right-click menu's marker
    assert marker_menu.marker_at(ed, past_name) is None
    assert tl.tooltip_at(on_name).startswith("Marker “Second verse”")
    qtbot.mouseDClick(tl.viewport(), Qt.MouseButton.LeftButton, pos=on_name)
    assert tl.marker_editor is not None and tl.marker_editor.marker_id == "m-verse"
    qtbot.keyClick(tl.marker_editor, Qt.Key.Key_Escape)
    assert tl.marker_editor is None

    # g. Undo is off for a viewer, with the reason; on again when editing is allowed
    undo, redo = window.undo_action, window.redo_action
    assert undo.isEnabled() and undo.text() == "Undo Add marker"
    ed.set_read_only(VIEWER)
    assert not undo.isEnabled() and undo.toolTip() == VIEWER and undo.statusTip() == VIEWER
    ed.undo_stack.undo()  # the stack's own change of "can undo" must not switch it back on
    ed.undo_stack.redo()
    assert not undo.isEnabled() and not redo.isEnabled()
    assert window.menuBar().actions()[1].menu().toolTipsVisible()  # the reason shows in the Edit menu
    ed.set_read_only(None)
    assert undo.isEnabled() and undo.statusTip() == "" and not redo.isEnabled()

    # b. a loop set in this project does not follow into the next one
    x2, x4 = 8.0 * tl.pps, 12.0 * tl.pps  # away from the marker (its name too)
    tl.ruler.press(x2, False)  # a drag in the ruler
    tl.ruler.move(x4, Qt.KeyboardModifier.NoModifier)
    tl.ruler.release(x4)
    assert tl.loop is not None and button.isChecked() and engine.loop is not None
    ed.new_project(title="Next mashup")  # (headless: the unsaved demo is autosaved instead of asked)
    assert ed.doc.project.title == "Next mashup"
    assert tl.loop is None and not button.isChecked() and engine.loop is None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # the demo's region is not this project's
    assert not button.isChecked() and tl.loop is None
    # d. each project starts with the inspector closed, unless the person opened or closed it by hand
    assert not ed.inspector.isVisible()
    qtbot.mouseClick(ed.inspector_btn, Qt.MouseButton.LeftButton)
    ed.new_project(title="Third")
    assert ed.inspector.isVisible() and ed.inspector_btn.isChecked()


def test_recovery_prompt_names_the_project_and_shows_it_in_the_editor(window: Any, tmp_path: Path) -> None:
    s = window.s
    lost = proj.Project(title="Demo mashup")
    lost.tracks.append(proj.Track(id="t1", name="Vocals"))
    proj.autosave(lost, s.autosave_dir / f"{lost.id}.mashup")  # closed before it was ever saved
    window.go("Library")
    window.editor_page.offer_recovery()
    box = window.editor_page.recovery_box
    assert box is not None and "“Demo mashup”" in box.text() and "(1 track, 0 clips;" in box.text(), box.text()
    next(b for b in box.buttons() if b.text() == "Recover").click()
    assert window.current_page() == "Editor"
    ed = window.editor_page
    assert ed.doc.project.title == "Demo mashup" and ed.doc.dirty and ed.doc.path is None
    assert ed.status.text().startswith("1 track · 0 clips · ")
