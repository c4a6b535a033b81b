"""Markers in the ruler: find the one under the mouse, rename and delete it
from its context menu (undoable engine commands, seen by sync)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt

from audio_engine.project.entities import command_changes
from studio.views.marker_menu import marker_at, marker_menu, rename
from tests.studio.helpers import demo_project


def test_rename_and_delete_a_marker_from_the_ruler(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    p = ed.doc.project
    window.s.transport.seek(2.0)
    window.activateWindow()
    ed.timeline.setFocus()
    qtbot.keyClick(ed.timeline, Qt.Key.Key_M)
    assert len(p.markers) == 1
    m = p.markers[0]
    tl = ed.timeline
    at = tl.mapFromScene(p.beats_to_seconds(m.position) * tl.pps, 0).x()
    assert marker_at(ed, QPoint(at + 3, 10)) is m
    assert marker_at(ed, QPoint(at + 40, 10)) is None
    assert marker_at(ed, QPoint(at, 100)) is None  # below the ruler: a lane, not the marker
    menu = marker_menu(ed, m)
    assert [a.text() for a in menu.actions()] == ["Rename…", "Colour", "Delete marker"]
    assert rename(ed, m.id, "  Drop  ")
    assert m.name == "Drop" and ed.doc.undo_stack.undoText() == "Rename marker"
    cmd = ed.doc.undo_stack.command(ed.doc.undo_stack.index() - 1).command
    assert [(c.kind, c.id, c.fields) for c in command_changes(cmd, p)] == [("marker", m.id, {"name": "Drop"})]
    assert not rename(ed, m.id, "   ")  # refused: the name stays
    assert m.name == "Drop" and "marker name" in ed.status.text()
    menu.actions()[2].trigger()
    assert p.markers == []
    ed.doc.undo_stack.undo()
    assert [x.name for x in p.markers] == ["Drop"]
    ed.doc.undo_stack.undo()
    assert p.markers[0].name.startswith("M")
