"""What a track header offers besides its faders: rename in place (double-click
the name) and the context menu (rename, move up, move down). Every change is an
engine command pushed through the editor, so undo and sync see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QMenu

from audio_engine.app.edit import move_track, rename_track
from audio_engine.errors import MashupsError
from studio.jobs import describe_error

if TYPE_CHECKING:
    from studio.views.track_header import TrackHeader


class NameEditor(QLineEdit):
    """The header's name, editable over the label: Enter keeps, Esc cancels."""

    def __init__(self, header: TrackHeader) -> None:
        super().__init__(header)
        self.header = header
        self._done = False
        self.setObjectName("TrackNameEditor")
        self.setText(header.name.full_text())
        self.setGeometry(header.name.geometry().adjusted(-2, -2, 2, 2))
        self.selectAll()
        self.editingFinished.connect(self.commit)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() == Qt.Key.Key_Escape:
            self._close()
            return
        super().keyPressEvent(e)

    def commit(self) -> None:
        if self._done:
            return
        self._done = True
        page, tid = self.header.page, self.header.track_id
        text = self.text()
        self._close()
        try:
            cmd = rename_track(page.doc.project, tid, text)
        except MashupsError as e:
            msg, hint = describe_error(e)
            page.status.setText(f"Not renamed: {msg} {hint}")
            return
        if cmd is not None:
            page.push(cmd)

    def _close(self) -> None:
        self._done = True
        self.header.name_editor = None
        self.hide()
        self.deleteLater()


def start_rename(header: TrackHeader) -> NameEditor:
    if header.name_editor is None:
        header.name_editor = NameEditor(header)
        header.name_editor.show()
    header.name_editor.setFocus()
    return header.name_editor


def move(header: TrackHeader, step: int) -> None:
    cmd = move_track(header.page.doc.project, header.track_id, step)
    if cmd is not None:
        header.page.push(cmd)


def track_menu(header: TrackHeader) -> QMenu:
    """The header's context menu (built fresh: the edges depend on the position)."""
    n = len(header.page.doc.project.tracks)
    i = [t.id for t in header.page.doc.project.tracks].index(header.track_id)
    menu = QMenu(header)
    menu.addAction("Rename…", lambda: start_rename(header))
    up = menu.addAction("Move up", lambda: move(header, -1))
    up.setEnabled(i > 0)
    down = menu.addAction("Move down", lambda: move(header, +1))
    down.setEnabled(i < n - 1)
    return menu


class _DoubleClick(QObject):
    def __init__(self, header: TrackHeader) -> None:
        super().__init__(header)
        self.header = header

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        if e.type() == QEvent.Type.MouseButtonDblClick:
            start_rename(self.header)
            return True
        return False


def install(header: TrackHeader) -> None:
    header.name_editor = None
    header.name.installEventFilter(_DoubleClick(header))
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(
        lambda pos: track_menu(header).exec(header.mapToGlobal(QPoint(pos))))
