"""Transport from a newcomer's side: Library "Play" plays, a caption line
plays from its start, Space plays/pauses everywhere except in a text field the
person typed in, and the editor's transport is the project's mix."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.studio.conftest import wait_jobs
from tests.studio.helpers import demo_project, import_demo, write_captions


def _focus(window: Any, qtbot: Any) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)


def test_library_play_loads_and_plays(window: Any, qtbot: Any) -> None:
    ids = import_demo(window, qtbot)
    tr = window.s.transport
    page = window.library_page
    page.select_song(ids[1])
    index = page.table.selectionModel().selectedRows()[0]
    rect = page.table.visualRect(index)
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double click
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # is press + dblclick
    qtbot.waitUntil(lambda: tr.playing, timeout=20000)
    assert tr.source == str(window.s.library.get(ids[1]).path)
    assert window.transport_bar.now.text() == window.s.library.get(ids[1]).path.name
    # the context menu's Play: another song, loaded and playing
    play = next(a for a in page.build_menu([ids[0]]).actions() if a.text() == "Play")
    play.trigger()
    qtbot.waitUntil(lambda: tr.playing and tr.source == str(window.s.library.get(ids[0]).path), timeout=20000)
    tr.pause()
    wait_jobs(qtbot, window.s.jobs, 60)


def test_clicking_a_caption_line_plays_from_it(window: Any, qtbot: Any) -> None:
    ids = import_demo(window, qtbot)
    doc = write_captions(window, ids[0], ["first line here", "second line now", "third and last"])
    window.go("Captions")
    page = window.captions_page
    page.show_song(ids[0])
    tr = window.s.transport
    rect = page.table.visualItemRect(page.table.item(1, 2))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: tr.playing, timeout=20000)
    start = doc.segments[1].start
    assert start - 0.01 <= tr.seconds < start + 1.0
    assert page.words.rowCount() == 3 and page.words.item(0, 0).text() == "second"
    # a line of the song already loaded: seeks back at once and keeps playing
    rect = page.table.visualItemRect(page.table.item(0, 2))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tr.playing and tr.seconds < doc.segments[1].start
    tr.pause()
    wait_jobs(qtbot, window.s.jobs, 60)


def test_space_plays_after_open_in_editor_but_types_in_a_clicked_field(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    tr = window.s.transport
    qtbot.waitUntil(lambda: tr.source == f"project:{ed.doc.project.id}" and tr.duration > 0, timeout=30000)
    _focus(window, qtbot)
    assert not ed.title.hasFocus()
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_Space)
    assert tr.playing
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Space)
    assert not tr.playing
    # a text field that merely got the focus (not clicked): Space still plays
    ed.tempo.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClick(ed.tempo, Qt.Key.Key_Space)
    assert tr.playing
    qtbot.keyClick(ed.tempo, Qt.Key.Key_Space)
    assert not tr.playing
    # the title clicked into: Space types a space there and the transport stays put
    qtbot.mouseClick(ed.title, Qt.MouseButton.LeftButton)
    assert ed.title.hasFocus()
    ed.title.end(False)
    before = ed.title.text()
    qtbot.keyClick(ed.title, Qt.Key.Key_Space)
    assert ed.title.text() == before + " " and not tr.playing
    # a button with the focus: Space is play, not a click
    window.go("Library")
    window.library_page.import_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(window.library_page.import_button, Qt.Key.Key_Space)
    assert tr.playing
    tr.pause()
    wait_jobs(qtbot, window.s.jobs, 60)


def test_editor_transport_is_the_project_mix(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    tr = window.s.transport
    project_src = f"project:{ed.doc.project.id}"
    qtbot.waitUntil(lambda: tr.source == project_src, timeout=30000)
    song = window.s.library.all()[0]
    window.go("Library")
    window.library_page.play_song(song.id)
    qtbot.waitUntil(lambda: tr.playing and tr.source == str(song.path), timeout=20000)
    window.go("Editor")
    # the project's mix, from its start, paused; the transport bar says so
    assert not tr.playing
    qtbot.waitUntil(lambda: tr.source == project_src, timeout=30000)
    assert window.transport_bar.now.text() == "Project mix"
    assert abs(tr.duration - ed.doc.project.end_seconds()) < 0.5
    # an empty project: nothing to play, and the bar does not claim a song
    window.go("Library")
    window.library_page.play_song(song.id)
    qtbot.waitUntil(lambda: tr.source == str(song.path), timeout=20000)
    ed.doc.undo_stack.setClean()
    ed.new_project()
    window.go("Editor")
    assert tr.source == "" and not tr.playing and tr.duration == 0
    assert window.transport_bar.now.text() == "Nothing loaded"
    wait_jobs(qtbot, window.s.jobs, 60)


def test_output_problem_is_short_in_the_bar(window: Any) -> None:
    long = ("No audio output device was found. Playback runs silently; connect speakers or headphones "
            "and pick them in Settings.")
    window.s.transport.message.emit(long)
    bar = window.transport_bar
    assert bar.output.text() == "No audio device · playing silently" and bar.output.toolTip() == long
    assert bar.seek.width() > 300  # the seek bar keeps its room at 1440 px
