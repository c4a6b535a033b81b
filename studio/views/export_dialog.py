"""The Export mix dialog: format, loudness target, true-peak ceiling, file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from studio.services import Services
from studio.widgets import muted


class ExportDialog(QDialog):
    FORMATS = {"WAV (24-bit)": ".wav", "FLAC": ".flac", "MP3": ".mp3"}
    TARGETS = {"Streaming (−14 LUFS)": -14.0, "Apple Music / podcasts (−16 LUFS)": -16.0,
               "Loud / club (−9 LUFS)": -9.0, "Keep the level (limiter only)": None}

    def __init__(self, services: Services, suggested: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.s = services
        self.setWindowTitle("Export mix")
        self.setMinimumWidth(600)  # room for the file name in "Save to"
        form = QFormLayout(self)
        self.format = QComboBox()
        self.format.addItems(list(self.FORMATS))
        self.format.setToolTip("File format of the exported mix")
        self.target = QComboBox()
        self.target.addItems(list(self.TARGETS))
        self.target.setToolTip("Integrated loudness the mix is mastered to")
        self.ceiling = QDoubleSpinBox()
        self.ceiling.setRange(-6.0, 0.0)
        self.ceiling.setSingleStep(0.1)
        self.ceiling.setValue(-1.0)
        self.ceiling.setSuffix(" dBTP")
        self.ceiling.setToolTip("The limiter keeps true peaks at or below this level")
        self.path = QLineEdit(str(suggested))
        self.path.setToolTip("Where the exported mix is written")
        browse = QPushButton("Browse…")
        browse.setToolTip("Choose the file to export to")
        browse.clicked.connect(self._browse)
        prow = QHBoxLayout()
        prow.addWidget(self.path, 1)
        prow.addWidget(browse)
        form.addRow("Format", self.format)
        form.addRow("Loudness", self.target)
        form.addRow("True-peak ceiling", self.ceiling)
        form.addRow("Save to", prow)
        form.addRow(muted("The mix is rendered in the background (Jobs page) with Rubber Band stretching, "
                          "then mastered to the loudness target with a true-peak limiter."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Export")
        ok.setObjectName("Primary")
        ok.setToolTip("Render the mix in the background (Jobs page) and write the file")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip("Close without exporting")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format.currentTextChanged.connect(self._ext)

    def _ext(self, text: str) -> None:
        p = Path(self.path.text())
        self.path.setText(str(p.with_suffix(self.FORMATS[text])))

    def _browse(self) -> None:
        f, _ = QFileDialog.getSaveFileName(self, "Export mix", self.path.text())
        if f:
            self.path.setText(f)

    def values(self) -> tuple[Path, float | None, float]:
        out = Path(self.path.text()).with_suffix(self.FORMATS[self.format.currentText()])
        return out, self.TARGETS[self.target.currentText()], self.ceiling.value()
