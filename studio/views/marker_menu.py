"""Right-click a marker in the ruler: rename or delete it (engine commands,
so undo and sync see them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QInputDialog, QMenu

from audio_engine import project as proj
from studio.views.timeline import RULER_H

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage

HIT_PX = 6


def marker_at(page: EditorPage, pos: QPoint) -> Any:
    """The marker drawn under viewport ``pos`` in the ruler, or None."""
    if pos.y() >= RULER_H:
        return None
    tl = page.timeline
    x = tl.mapToScene(pos).x()
    p = page.doc.project
    near = [(abs(p.beats_to_seconds(m.position) * tl.pps - x), m) for m in p.markers]
    near = [(d, m) for d, m in near if d <= HIT_PX]
    return min(near, key=lambda dm: dm[0])[1] if near else None


def rename(page: EditorPage, marker_id: str, name: str) -> bool:
    m = next(m for m in page.doc.project.markers if m.id == marker_id)
    if name.strip() == m.name:
        return False
    return page.push(proj.RenameMarker(marker_id=marker_id, name=name.strip()))


def marker_menu(page: EditorPage, marker: Any) -> QMenu:
    menu = QMenu(page.timeline)

    def ask() -> None:
        text, ok = QInputDialog.getText(page, "Rename marker", "Name:", text=marker.name)
        if ok:
            rename(page, marker.id, text)

    menu.addAction("Rename…", ask)
    menu.addAction("Delete marker", lambda: page.push(proj.RemoveMarker(marker_id=marker.id)))
    return menu


def install(page: EditorPage) -> None:
    tl = page.timeline
    tl.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def requested(pos: QPoint) -> None:
        m = marker_at(page, pos)
        if m is not None:
            marker_menu(page, m).exec(tl.viewport().mapToGlobal(pos))

    tl.customContextMenuRequested.connect(requested)
