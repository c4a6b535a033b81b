"""Track rename (double-click the header name) and reorder (header context
menu) through the editor: engine commands on the undo stack, seen by sync."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from audio_engine.project import MoveTrack, command_from_dict
from audio_engine.project.entities import command_changes
from studio.views.track_menu import track_menu
from tests.studio.helpers import demo_project


def _names(ed: Any) -> list[str]:
    return [h.name.full_text() for h in ed.track_headers]


def test_rename_a_track_by_double_clicking_its_name(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    track = ed.doc.project.tracks[0]
    old = track.name
    header = ed.track_headers[0]
    qtbot.mouseDClick(header.name, Qt.MouseButton.LeftButton)
    editor = header.name_editor
    assert editor is not None and editor.isVisible() and editor.text() == header.name.full_text()
    editor.selectAll()
    qtbot.keyClicks(editor, "  Lead vocal  ")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert track.name == "Lead vocal"
    assert ed.track_headers[0].name.full_text() == "Lead vocal"
    assert ed.doc.undo_stack.undoText() == "Change track"
    ed.doc.undo_stack.undo()
    assert track.name == old and ed.track_headers[0].name.full_text() == (old or "Track 1")


def test_an_empty_name_is_refused_and_escape_cancels(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    track = ed.doc.project.tracks[0]
    old, depth = track.name, ed.doc.undo_stack.count()
    header = ed.track_headers[0]
    qtbot.mouseDClick(header.name, Qt.MouseButton.LeftButton)
    editor = header.name_editor
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert track.name == old and ed.doc.undo_stack.count() == depth
    assert "A track needs a name" in ed.status.text()
    qtbot.mouseDClick(ed.track_headers[0].name, Qt.MouseButton.LeftButton)
    editor = ed.track_headers[0].name_editor
    qtbot.keyClicks(editor, "never kept")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert ed.track_headers[0].name_editor is None
    assert track.name == old and ed.doc.undo_stack.count() == depth


def test_move_tracks_up_and_down_from_the_header_menu(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    p = ed.doc.project
    assert len(p.tracks) >= 2
    ids = [t.id for t in p.tracks]
    names = _names(ed)
    menu = track_menu(ed.track_headers[0])
    acts = {a.text(): a for a in menu.actions()}
    assert not acts["Move up"].isEnabled() and acts["Move down"].isEnabled()
    acts["Move down"].trigger()
    assert [t.id for t in p.tracks] == [ids[1], ids[0], *ids[2:]]
    # the headers are rebuilt in the new order, each bound to its own track
    assert [h.track_id for h in ed.track_headers] == [t.id for t in p.tracks]
    assert _names(ed)[:2] == [names[1], names[0]] or not all(t.name for t in p.tracks)
    # sync sees every track's new order; the command survives a round trip
    cmd = ed.doc.undo_stack.command(ed.doc.undo_stack.index() - 1).command
    assert isinstance(cmd, MoveTrack)
    orders = {ch.id: ch.fields["order"] for ch in command_changes(cmd, p) if ch.kind == "track"}
    assert orders[ids[0]] == 1 and orders[ids[1]] == 0
    assert command_from_dict(cmd.to_dict()).to_dict() == {"type": "move_track", "track_id": ids[0], "index": 1}
    last = track_menu(ed.track_headers[-1])
    assert not {a.text(): a for a in last.actions()}["Move down"].isEnabled()
    {a.text(): a for a in track_menu(ed.track_headers[1]).actions()}["Move up"].trigger()
    assert [t.id for t in p.tracks] == ids
    ed.doc.undo_stack.undo()
    ed.doc.undo_stack.undo()
    assert [t.id for t in p.tracks] == ids and [h.track_id for h in ed.track_headers] == ids
