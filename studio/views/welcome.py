"""First-run welcome: what works offline, the optional model downloads, and
a one-click demo project made from the bundled demo songs."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLayout, QPushButton, QVBoxLayout, QWidget

from studio.services import Services
from studio.widgets import Card, muted


class WelcomeDialog(QDialog):
    demo_requested = Signal()
    models_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.s = services
        self.setWindowTitle("Welcome to Mashups Studio")
        self.setMinimumWidth(620)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(28, 24, 28, 20)
        lay.setSpacing(14)
        title = QLabel("Welcome to Mashups Studio")
        title.setObjectName("PageTitle")
        lay.addWidget(title)
        lay.addWidget(muted("Make beat- and key-matched mashups from your own songs. Everything runs on this "
                            "computer; no account is needed."))
        offline = Card()
        offline.body.addWidget(QLabel("<b>Works offline, right now</b>"))
        offline.body.addWidget(muted("• Import songs and get tempo, beats, key (Camelot) and loudness\n"
                                     "• Timeline editor with playback, undo, autosave and export (-14 LUFS)\n"
                                     "• Magic mashup of two songs, matched in tempo and key\n"
                                     "• Rough stem separation with the built-in “classical” method"))
        lay.addWidget(offline)
        models = Card()
        models.body.addWidget(QLabel("<b>Optional downloads (once, then offline)</b>"))
        models.body.addWidget(muted("• Demucs htdemucs (~80 MB): studio-quality stems — vocals, drums, bass, other\n"
                                    "• Whisper tiny.en (~75 MB) or larger: captions and lyrics with word timing\n"
                                    "You choose on the Models page; nothing downloads by itself."))
        lay.addWidget(models)
        row = QHBoxLayout()
        self.demo_btn = QPushButton(services.theme.icon("play", "accent_text"), "Open the demo project")
        self.demo_btn.setObjectName("Primary")
        self.demo_btn.clicked.connect(self._demo)
        self.models_btn = QPushButton(services.theme.icon("models"), "Choose models…")
        self.models_btn.clicked.connect(self._models)
        self.skip_btn = QPushButton("Start empty")
        self.skip_btn.clicked.connect(self._done)
        row.addWidget(self.skip_btn)
        row.addStretch(1)
        row.addWidget(self.models_btn)
        row.addWidget(self.demo_btn)
        lay.addLayout(row)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        # Sized by its content and not resizable: window managers then draw no resize handle
        # (a white strip under the dialog with Openbox's default theme).
        lay.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)

    def _done(self) -> None:
        self.s.settings.set("first_run_done", True)
        self.accept()

    def _demo(self) -> None:
        self._done()
        self.demo_requested.emit()

    def _models(self) -> None:
        self._done()
        self.models_requested.emit()
