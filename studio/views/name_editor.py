"""A name edited in place over what shows it (a track header's name, a
marker in the ruler): Enter or leaving the field keeps it, once; Esc
cancels. Subclasses say what keeping does and what closing clears."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget


class InPlaceNameEditor(QLineEdit):
    def __init__(self, parent: QWidget, text: str, *, object_name: str) -> None:
        super().__init__(parent)
        self._done = False
        self.setObjectName(object_name)
        self.setText(text)
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
        text = self.text()
        self._close()
        self.keep(text)

    def keep(self, text: str) -> None:
        """Apply the edited name (the editor is already closed)."""
        raise NotImplementedError

    def closed(self) -> None:
        """Forget this editor where it is held."""

    def _close(self) -> None:
        self._done = True
        self.closed()
        self.hide()
        self.deleteLater()
