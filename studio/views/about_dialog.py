"""Help → About: version, build, licence and the third-party notices."""

from __future__ import annotations

import platform

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.about import LICENCE_ID, LICENCE_SUMMARY, app_version, licence_text, third_party_notices
from studio.resources import is_frozen


def _text_view(text: str) -> QPlainTextEdit:
    v = QPlainTextEdit(text)
    v.setReadOnly(True)
    v.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return v


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Mashups Studio")
        self.resize(760, 560)
        lay = QVBoxLayout(self)
        self.tabs = QTabWidget()
        about = QWidget()
        col = QVBoxLayout(about)
        title = QLabel(f"Mashups Studio {app_version()}")
        title.setObjectName("PageTitle")
        col.addWidget(title)
        build = "installed build" if is_frozen() else "running from source"
        info = QLabel(
            f"{build} · Python {platform.python_version()} · {platform.system()} {platform.machine()}<br>"
            f"Licence: <b>{LICENCE_ID}</b><br><br>{LICENCE_SUMMARY}<br><br>"
            "This program comes with ABSOLUTELY NO WARRANTY. The cloud service (sync, battles, billing) "
            "is a separate service with its own terms."
        )
        info.setWordWrap(True)
        info.setTextFormat(Qt.TextFormat.RichText)
        col.addWidget(info)
        col.addStretch(1)
        self.tabs.addTab(about, "About")
        self.licence_view = _text_view(licence_text())
        self.tabs.addTab(self.licence_view, "Licence")
        self.notices_view = _text_view("")
        self.tabs.addTab(self.notices_view, "Third-party notices")
        self.tabs.currentChanged.connect(self._load_notices)
        lay.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _load_notices(self, index: int) -> None:
        """The notices are loaded when their tab is first opened (a checkout
        generates them from every installed package's metadata)."""
        if self.tabs.widget(index) is self.notices_view and not self.notices_view.toPlainText():
            self.notices_view.setPlainText(third_party_notices())
