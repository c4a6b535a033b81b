"""The timeline's wiring into the editor, and the ruler's right-click menu.

:func:`install` makes the timeline's gestures (move, trim, fade, crossfade,
marker drag) push their engine commands on the editor's undo stack, and
gives the ruler its menu: on a marker, rename, colour or delete it (engine
commands, so undo and sync see them); elsewhere in the ruler, clear the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QInputDialog, QMenu

from audio_engine import project as proj
from audio_engine.errors import MashupsError
from studio.jobs import describe_error
from studio.views.clip_colors import PALETTE
from studio.views.name_editor import InPlaceNameEditor
from studio.views.timeline import RULER_H
from studio.views.timeline_ruler import marker_near

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage


def marker_at(page: EditorPage, pos: QPoint) -> Any:
    """The marker drawn under viewport ``pos`` in the ruler, or None."""
    if pos.y() >= RULER_H:
        return None
    return marker_near(page.timeline, page.timeline.mapToScene(pos).x())


def rename(page: EditorPage, marker_id: str, name: str) -> bool:
    m = next(m for m in page.doc.project.markers if m.id == marker_id)
    if name.strip() == m.name:
        return False
    return page.push(proj.RenameMarker(marker_id=marker_id, name=name.strip()))


class MarkerNameEditor(InPlaceNameEditor):
    """A marker's name, edited in place over the ruler: Enter keeps, Esc cancels."""

    def __init__(self, page: EditorPage, marker: Any, pos: QPoint) -> None:
        super().__init__(page.timeline.viewport(), marker.name, object_name="MarkerNameEditor")
        self.page, self.marker_id = page, marker.id
        self.setToolTip("The marker's name: Enter keeps it, Esc cancels")
        self.setGeometry(pos.x() + 4, 2, max(140, self.fontMetrics().horizontalAdvance(marker.name) + 30), RULER_H - 4)

    def keep(self, text: str) -> None:
        rename(self.page, self.marker_id, text)

    def closed(self) -> None:
        self.page.timeline.marker_editor = None


def start_rename(page: EditorPage, marker: Any, pos: QPoint) -> MarkerNameEditor:
    tl = page.timeline
    old = getattr(tl, "marker_editor", None)
    if old is not None:
        old._close()
    tl.marker_editor = MarkerNameEditor(page, marker, pos)
    tl.marker_editor.show()
    tl.marker_editor.setFocus()
    return tl.marker_editor


def marker_menu(page: EditorPage, marker: Any) -> QMenu:
    menu = QMenu(page.timeline)

    def ask() -> None:
        text, ok = QInputDialog.getText(page, "Rename marker", "Name:", text=marker.name)
        if ok:
            rename(page, marker.id, text)

    menu.addAction("Rename…", ask)
    colours = menu.addMenu("Colour")
    colours.setToolTip("The marker's colour in the ruler and down the lanes")
    default = colours.addAction("Default", lambda: set_color(page, marker.id, None))
    default.setCheckable(True)
    default.setChecked(marker.color is None)
    for c in PALETTE:
        act = colours.addAction(_swatch(c), c, lambda c=c: set_color(page, marker.id, c))
        act.setCheckable(True)
        act.setChecked(marker.color == c)
    menu.addAction("Delete marker", lambda: page.push(proj.RemoveMarker(marker_id=marker.id)))
    return menu


def set_color(page: EditorPage, marker_id: str, color: str | None) -> bool:
    """One undo step; False when the marker already has that colour."""
    m = next(m for m in page.doc.project.markers if m.id == marker_id)
    if m.color == color:
        return False
    return page.push(proj.SetMarkerColor(marker_id=marker_id, color=color))


def _swatch(color: str) -> QIcon:
    pix = QPixmap(14, 14)
    pix.fill(QColor(color))
    return QIcon(pix)


def ruler_menu(page: EditorPage) -> QMenu | None:
    """The menu for the ruler away from markers: clear the loop (when there is one)."""
    tl = page.timeline
    if tl.loop is None:
        return None
    menu = QMenu(tl)

    def clear() -> None:
        tl.loop = None
        tl.loop_changed.emit(None)
        tl.viewport().update()

    menu.addAction("Clear loop", clear)
    return menu


def _refused(page: EditorPage, e: MashupsError) -> None:
    msg, hint = describe_error(e)
    page.status.setText(f"Not done: {msg} {hint}")


def install(page: EditorPage) -> None:
    tl = page.timeline
    tl.on_command = page.push
    tl.on_refused = lambda e: _refused(page, e)
    tl.on_marker_double_click = lambda m, pos: start_rename(page, m, pos)
    tl.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def requested(pos: QPoint) -> None:
        m = marker_at(page, pos)
        menu = marker_menu(page, m) if m is not None else ruler_menu(page) if pos.y() < RULER_H else None
        if menu is not None:
            menu.exec(tl.viewport().mapToGlobal(pos))

    tl.customContextMenuRequested.connect(requested)
