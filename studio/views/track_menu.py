"""What a track header offers besides its faders: rename in place (double-click
the name), reorder by dragging the header up or down, and the context menu
(rename, move up, move down). Every change is an engine command pushed
through the editor, so undo and sync see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QFrame, QMenu, QWidget

from audio_engine.app.edit import move_track, rename_track
from audio_engine.errors import MashupsError
from audio_engine.project.commands import MoveTrack
from studio.jobs import describe_error
from studio.views.name_editor import InPlaceNameEditor
from studio.views.timeline import LANE_H, RULER_H
from studio.views.track_mix_panel import open_track_mix

if TYPE_CHECKING:
    from studio.views.track_header import TrackHeader


class NameEditor(InPlaceNameEditor):
    """The header's name, editable over the label: Enter keeps, Esc cancels."""

    def __init__(self, header: TrackHeader) -> None:
        super().__init__(header, header.name.full_text(), object_name="TrackNameEditor")
        self.header = header
        self.setGeometry(header.name.geometry().adjusted(-2, -2, 2, 2))

    def keep(self, text: str) -> None:
        page, tid = self.header.page, self.header.track_id
        try:
            cmd = rename_track(page.doc.project, tid, text)
        except MashupsError as e:
            msg, hint = describe_error(e)
            page.status.setText(f"Not renamed: {msg} {hint}")
            return
        if cmd is not None:
            page.push(cmd)

    def closed(self) -> None:
        self.header.name_editor = None


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
    menu.addSeparator()
    menu.addAction("Mix…", lambda: open_track_mix(header.page, header.track_id))  # issue 17 (h17a)
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


class _ReorderDrag(QObject):
    """Drag a header (anywhere but its controls) up or down: a line shows where
    the track will go; on release it moves there (one MoveTrack)."""

    def __init__(self, header: TrackHeader) -> None:
        super().__init__(header)
        self.header = header
        self.press: QPoint | None = None
        self.target: int | None = None
        self.line: QFrame | None = None

    def _host(self) -> QWidget:
        host = self.header.parentWidget()
        return host if host is not None else self.header

    def _index_at(self, global_y: int) -> int:
        n = len(self.header.page.doc.project.tracks)
        y = self._host().mapFromGlobal(QPoint(0, global_y)).y()
        return max(0, min(n - 1, int((y - RULER_H) // LANE_H)))

    def _show_line(self, index: int, current: int) -> None:
        if self.line is None:
            self.line = QFrame(self._host())
            self.line.setObjectName("TrackDropLine")
            self.line.setStyleSheet("background: palette(highlight);")
        slot = index if index <= current else index + 1
        self.line.setGeometry(0, RULER_H + slot * LANE_H - 2, self._host().width(), 4)
        self.line.setVisible(index != current)
        self.line.raise_()

    def _end(self) -> None:
        self.press, self.target = None, None
        if self.line is not None:
            self.line.hide()
            self.line.deleteLater()
            self.line = None
        self.header.unsetCursor()

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        t = e.type()
        if t == QEvent.Type.MouseButtonPress and isinstance(e, QMouseEvent):
            if e.button() == Qt.MouseButton.LeftButton:
                self.press = e.globalPosition().toPoint()
                return True  # the header takes the press: the moves that follow come here
            return False
        if t == QEvent.Type.MouseMove and isinstance(e, QMouseEvent) and self.press is not None:
            pos = e.globalPosition().toPoint()
            if self.target is None and abs(pos.y() - self.press.y()) < QApplication.startDragDistance():
                return False
            current = [x.id for x in self.header.page.doc.project.tracks].index(self.header.track_id)
            self.target = self._index_at(pos.y())
            self.header.setCursor(Qt.CursorShape.ClosedHandCursor)
            self._show_line(self.target, current)
            return True
        if t == QEvent.Type.MouseButtonRelease and self.press is not None:
            target = self.target
            self._end()
            if target is None:
                return False
            tracks = self.header.page.doc.project.tracks
            if target != [x.id for x in tracks].index(self.header.track_id):
                self.header.page.push(MoveTrack(track_id=self.header.track_id, index=target))
            return True
        return False


def install(header: TrackHeader) -> None:
    header.name_editor = None
    header.name.installEventFilter(_DoubleClick(header))
    header.reorder = _ReorderDrag(header)
    header.installEventFilter(header.reorder)
    header.setToolTip("Drag up or down to reorder · double-click the name to rename · right-click for more")
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(
        lambda pos: track_menu(header).exec(header.mapToGlobal(QPoint(pos))))
