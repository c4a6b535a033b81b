"""Small fixes found by looking at the studio on a real X display (QA pass):
each test reproduces what was seen on screen."""

from __future__ import annotations

from typing import Any

from studio.views.track_header import ElidedLabel


def test_stem_track_names_keep_their_stem_when_elided(qtbot: Any) -> None:
    # A Magic mashup makes "Midnight Circuit — drums", "— bass", "— other": elided at the end
    # they all read "Midnight Circuit — …" and cannot be told apart.
    labels = []
    for stem in ("drums", "bass", "other"):
        label = ElidedLabel(f"Midnight Circuit — {stem}")
        qtbot.addWidget(label)
        label.show()
        qtbot.waitExposed(label)
        # sized with the font it is drawn with (an earlier test's theme may have changed it)
        label.resize(label.fontMetrics().horizontalAdvance("Midnight Circuit — ") + 4, 20)
        qtbot.wait(10)
        assert label.text().endswith(f"— {stem}") and "…" in label.text(), label.text()
        assert label.toolTip() == f"Midnight Circuit — {stem}"
        labels.append(label.text())
    assert len(set(labels)) == 3
    # a name that fits is shown whole; a plain long name still ends in "…"
    whole = ElidedLabel("Short — vocals")
    qtbot.addWidget(whole)
    whole.resize(400, 20)
    whole.show()
    assert whole.text() == "Short — vocals"
    plain = ElidedLabel("An extremely long track name without any stem")
    qtbot.addWidget(plain)
    plain.resize(80, 20)
    plain.show()
    assert plain.text().endswith("…")


def _ink(widget: Any) -> tuple[int, int, int]:
    """The text colour of a label: its pixel farthest from the window colour."""
    import numpy as np
    from PySide6.QtGui import QImage

    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(), -1, 4)
    bgr = arr[..., :3].reshape(-1, 3).astype(int)
    far = bgr[np.abs(bgr - bgr[0]).sum(axis=1).argmax()]
    return int(far[2]), int(far[1]), int(far[0])


def test_disabled_text_looks_disabled_in_both_themes(qtbot: Any) -> None:
    # The theme set each palette role for every colour group: a disabled menu item
    # ("Move up" on the first track) or label was drawn exactly like an enabled one.
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication, QLabel

    from studio.theme import Theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before_palette, before_qss = app.palette(), app.styleSheet()
    try:
        for name in ("dark", "light"):
            theme = Theme(name)
            theme.apply(app)
            pal = app.palette()
            for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
                assert pal.color(QPalette.ColorGroup.Disabled, role) == theme.color("muted"), (name, role)
                assert pal.color(QPalette.ColorGroup.Active, role) == theme.color("text"), (name, role)
            on, off = QLabel("Move up ████"), QLabel("Move up ████")
            off.setEnabled(False)
            for w in (on, off):
                qtbot.addWidget(w)
                w.resize(160, 30)
            assert _ink(on) != _ink(off), name
    finally:
        app.setPalette(before_palette)
        app.setStyleSheet(before_qss)


def test_projects_title_column_takes_the_room_of_a_wide_window(window: Any, qtbot: Any) -> None:
    # Maximised, the title stayed 320 px ("Sunrise Drive x Midnight …") while "Last edit" stretched over half the table.
    window.go("Projects")
    table = window.projects_page.table
    for size in ((1100, 700), (1600, 1000)):
        window.resize(*size)
        qtbot.wait(50)
        widths = [table.columnWidth(c) for c in range(table.columnCount())]
        assert widths[0] == max(widths), (size, widths)
        assert sum(widths) <= table.viewport().width() + 2, (size, widths)
        assert table.fontMetrics().horizontalAdvance("2026-11-29 09:49") < widths[4], widths
    wide = table.columnWidth(0)
    window.resize(1100, 700)
    qtbot.wait(50)
    assert table.columnWidth(0) < wide  # it follows the window


def test_quit_is_the_last_entry_of_the_file_menu(window: Any) -> None:
    # The cloud's File entries (Publish mashup…, Share project…, Invitations…) were appended below Quit.
    file_menu = window.menuBar().actions()[0].menu()
    entries = [a.text() for a in file_menu.actions() if not a.isSeparator()]
    assert entries[-1] == "Quit", entries
    assert {"Publish mashup…", "Share project…", "Invitations…"} <= set(entries), entries
    assert file_menu.actions()[-2].isSeparator()


def test_loop_button_shows_clears_and_restores_the_rulers_loop(window: Any, qtbot: Any) -> None:
    # The Loop button was checkable but connected to nothing: never lit while looping, a click changed only its look.
    from PySide6.QtCore import Qt

    button, tl, engine = window.transport_bar.loop_btn, window.editor_page.timeline, window.s.transport.engine
    assert not button.isChecked() and "ruler" in button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # nothing to loop yet: stays off and says how
    assert not button.isChecked() and "drag across the ruler" in window.statusBar().currentMessage()
    tl.loop = (2.0, 4.0)  # what a drag in the ruler does (timeline_ruler)
    tl.loop_changed.emit(tl.loop)
    assert button.isChecked() and engine.loop is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # off: the region goes, playback stops looping
    assert not button.isChecked() and tl.loop is None and engine.loop is None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # on again: the same region
    assert button.isChecked() and tl.loop == (2.0, 4.0) and engine.loop is not None


def test_library_artist_column_shares_a_wide_windows_room(window: Any, qtbot: Any) -> None:
    # Maximised, the artist read "Mashups Demo …" beside a half-empty title column.
    from studio.views.library_page import COLUMNS, WIDTHS

    window.go("Library")
    table = window.library_page.table
    artist = COLUMNS.index("Artist")
    window.resize(1600, 1000)
    qtbot.wait(50)
    assert table.columnWidth(artist) > WIDTHS["Artist"]  # it grew (how much depends on the theme's font)
    assert table.columnWidth(0) >= table.columnWidth(artist)
    shown = sum(table.columnWidth(c) for c in range(len(COLUMNS)) if not table.isColumnHidden(c))
    assert shown <= table.viewport().width() + 1


def test_unsaved_work_behind_another_page_is_kept_before_a_project_replaces_it(window: Any, qtbot: Any) -> None:
    """A dirty project is asked about (headless: autosaved) even when the editor is not the
    page in front, e.g. when a finished Magic opens its project while the Library shows."""
    import json

    from tests.studio.helpers import demo_project

    window.show()
    ed = demo_project(window, qtbot)
    track = ed.doc.project.tracks[0]
    ed.set_track(track.id, "gain_db", -3.0)
    ed.files.autosave_soon.stop()
    window.go("Library")
    assert ed.doc.dirty and not ed.isVisible()
    saved = ed.doc.autosave_path / "autosave.json"
    saved.unlink(missing_ok=True)
    assert ed.maybe_save()
    kept = json.loads(saved.read_text())
    assert "-3.0" in json.dumps(kept)
