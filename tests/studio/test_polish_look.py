"""What the screenshots of every page showed (issue 19's "Done means"), checked
through the widgets: checkbox indicators drawn in both themes, one cloud
indicator, the Account box as tall as what it shows, the Library's selected row
highlighted across the Title cell, dialog buttons without stray icons, and the
timeline keeping the clips in view after playback ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QToolButton,
    QVBoxLayout,
)

from studio.theme import THEMES, Theme
from tests.studio.helpers import demo_project, import_demo


def _pixels(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
    return arr.reshape(img.height(), img.bytesPerLine() // 4, 4)[:, : img.width(), :3].copy()  # img dies here


def _far_from(px: np.ndarray, color: QColor, tol: int = 40) -> int:
    """How many pixels differ from ``color`` by more than ``tol`` (sum over B, G, R)."""
    ref = np.array([color.blue(), color.green(), color.red()], dtype=np.int32)
    return int((np.abs(px.astype(np.int32) - ref).sum(axis=2) > tol).sum())


@pytest.fixture()
def themed(qapp: QApplication) -> Iterator[Any]:
    yield lambda name: Theme(name).apply(qapp)
    Theme("dark").apply(qapp)


@pytest.mark.parametrize("theme", THEMES)
def test_checkbox_indicator_is_drawn_in_both_themes(themed: Any, qtbot: Any, theme: str) -> None:
    themed(theme)
    t = Theme(theme)
    host = QFrame()  # styled: paints the @window background
    qtbot.addWidget(host)
    lay = QVBoxLayout(host)
    off, on = QCheckBox(""), QCheckBox("")  # no text: only the indicator can differ from the background
    on.setChecked(True)
    lay.addWidget(off)
    lay.addWidget(on)
    host.resize(120, 80)
    host.show()
    qtbot.waitExposed(host)
    bg = t.color("window")
    shot = _pixels(host.grab().toImage())  # the host paints the background the boxes sit on

    def box(cb: QCheckBox) -> np.ndarray:
        g = cb.geometry()
        return shot[g.top():g.bottom() + 1, g.left():g.left() + 24]

    off_px, on_px = box(off), box(on)
    assert _far_from(off_px, bg) >= 20, "an unchecked box must show its outline"
    assert _far_from(on_px, bg) > _far_from(off_px, bg) + 40, "a checked box must look filled"
    # the checked box carries the accent colour (and the white tick on it)
    area = on_px.shape[0] * on_px.shape[1]
    assert area - _far_from(on_px, t.color("accent"), 60) >= 40, "filled with the accent colour"
    assert area - _far_from(on_px, QColor("#ffffff"), 120) >= 5, "with the white tick"


def test_one_cloud_indicator_when_the_cloud_is_off(window: Any, qtbot: Any) -> None:
    assert window.s.cloud is not None and window.s.cloud.status.state == "not_configured"
    shown = [w for w in window.findChildren(QToolButton) + window.findChildren(QLabel)
             if w.isVisible() and "cloud off" in w.text().lower()]
    assert len(shown) == 1, [type(w).__name__ for w in shown]


def test_account_box_is_as_tall_as_the_cloud_off_note(window: Any, qtbot: Any) -> None:
    window.go("Settings")
    from studio.views.account_page import AccountPanel

    panel = window.settings_page.findChild(AccountPanel)
    assert panel is not None and panel.pages.currentWidget() is panel.off_page
    qtbot.waitUntil(lambda: panel.off_page.isVisible())
    # the stack was as tall as the signed-in page, so the one-line note sat in ~250 px of blank box
    assert panel.pages.height() < panel.off_page.sizeHint().height() + 30


def test_export_dialog_buttons_have_no_style_icons(window: Any, qtbot: Any) -> None:
    demo_project(window, qtbot)
    window.editor_page.export_dialog()
    box = window.editor_page.export_box.findChild(QDialogButtonBox)
    assert box is not None
    assert all(b.icon().isNull() for b in box.buttons())


def test_selected_library_row_is_highlighted_across_the_title(window: Any, qtbot: Any) -> None:
    ids = import_demo(window, qtbot)
    window.go("Library")
    page = window.library_page
    page.select_song(ids[0])
    page.table.setFocus()
    qtbot.wait(50)
    row = page.table.selectionModel().selectedRows()[0].row()
    img = page.table.viewport().grab().toImage()
    rect = page.table.visualRect(page.proxy.index(row, 0))
    sel = window.s.theme.color("selected")
    # the Title cell's background (sampled right of its text) is the selection colour
    x, y = rect.right() - 10, rect.center().y()
    c = img.pixelColor(x, y)
    assert abs(c.red() - sel.red()) + abs(c.green() - sel.green()) + abs(c.blue() - sel.blue()) < 30, c.name()


def test_timeline_keeps_the_clips_in_view_after_playback_ends(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    tl, tr = ed.timeline, window.s.transport
    tl.set_zoom(200.0)
    end = ed.doc.project.end_seconds()
    tr.seek(end - 0.6)
    tr.play()
    qtbot.waitUntil(lambda: tr.playing, timeout=20000)
    qtbot.waitUntil(lambda: not tr.playing, timeout=20000)
    qtbot.wait(50)
    vis = tl.mapToScene(tl.viewport().rect()).boundingRect()
    end_x = end * tl.pps
    assert vis.left() > 0, "zoomed in: the view had followed the playhead"
    assert end_x - vis.left() >= vis.width() * 0.6, "most of the view shows clips, not the space past the end"
    assert vis.right() >= end_x, "the end of the mix is in view"


def test_captions_tool_row_fits_at_the_smallest_window(window: Any, qtbot: Any) -> None:
    import_demo(window, qtbot)
    window.resize(1100, 700)
    window.go("Captions")
    page = window.captions_page
    qtbot.waitUntil(lambda: page.song.isVisible())
    qtbot.wait(50)
    row = [page.song, page.write_btn, page.play_btn, page.format, page.export_btn]
    for a, b in zip(row, row[1:], strict=False):
        ga = a.mapTo(page, a.rect().topRight())
        gb = b.mapTo(page, b.rect().topLeft())
        assert ga.x() < gb.x(), f"{a.objectName() or type(a).__name__} overlaps the next control"


def test_account_dialog_shows_the_cloud_off_note_at_the_top(window: Any, qtbot: Any) -> None:
    window.account_button.open_dialog()
    dlg = window.account_button.dialog
    qtbot.waitUntil(lambda: dlg.panel.off_page.isVisible())
    note = dlg.panel.off_page
    assert note.mapTo(dlg, note.rect().topLeft()).y() < 40, "the note sat mid-dialog in blank space"
    dlg.close()


def test_projects_page_says_cloud_off_in_a_line_that_fits(window: Any, qtbot: Any) -> None:
    window.resize(1100, 700)
    window.go("Projects")
    page = window.projects_page
    page.refresh()
    qtbot.waitUntil(lambda: page.note.isVisible() and bool(page.note.text()))
    assert "Cloud off" in page.note.text()
    right = page.note.mapTo(page, page.note.rect().topRight()).x()
    assert right <= page.width()


def test_models_rows_are_full_height_when_the_page_is_first_shown(window: Any, qtbot: Any) -> None:
    window.resize(1100, 700)
    window.go("Models")
    page = window.models_page
    qtbot.waitUntil(lambda: bool(page.rows) and all(r.isVisible() for r in page.rows.values()), timeout=10000)
    qtbot.wait(20)
    # rows added inside the page's showEvent were laid out a few pixels tall
    assert all(r.height() >= r.minimumSizeHint().height() for r in page.rows.values())
