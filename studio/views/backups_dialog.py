"""Offered when a project file is damaged: the backups its saves kept, newest
first, each with when it was saved and what it holds; one opens."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audio_engine.app.offline import Backup


class BackupsDialog(QDialog):
    def __init__(self, project_name: str, problem: str, found: list[Backup], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open a backup?")
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        self.intro = intro = QLabel(f"“{project_name}” cannot be opened: {problem}\n\n"
                       "Its saves kept these backups. Open one; saving then writes it as the project again "
                       "(the damaged file is kept among the backups).")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.list = QListWidget()
        self.list.setToolTip("The project's backups, newest first")
        for b in found:
            when = time.strftime("%d %b %Y %H:%M:%S", time.localtime(b.saved_at))
            item = QListWidgetItem(f"{when} · “{b.title}” · {b.tracks} tracks, {b.clips} clips (save {b.revision})")
            item.setData(Qt.ItemDataRole.UserRole, b)
            item.setToolTip(str(b.path))
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        lay.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setText("Open backup")
        self.open_button.setObjectName("Primary")
        self.open_button.setToolTip("Open the selected backup (unsaved until you save)")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip("Keep the open project; open nothing")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def chosen(self) -> Backup | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None
