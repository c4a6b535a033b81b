"""Cover generator dialog (issue 16): style, size, title text and colours for
a project's cover, previewed as it will be written; "Use" writes the PNG
and hands its path back (the Publish dialog's cover field). Drawing is the
engine's (:mod:`audio_engine.cover`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from audio_engine.cover import SIZES, STYLES, CoverError, CoverSpec, encode, render, save, spec_for_project

PREVIEW_PX = 360


class CoverDialog(QDialog):
    def __init__(self, base: CoverSpec, out: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generate a cover")
        self.base = base
        self.out = out
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.style = QComboBox()
        self.style.setObjectName("cover_style")
        self.style.addItems(list(STYLES))
        self.size = QComboBox()
        for name, (w, h) in SIZES.items():
            self.size.addItem(f"{name} {w}x{h}", name)
        self.title_edit = QLineEdit(base.title)
        self.title_edit.setObjectName("cover_title")
        self.primary = QLineEdit(base.primary)
        self.secondary = QLineEdit(base.secondary)
        for label, w in (("Style", self.style), ("Size", self.size), ("Title", self.title_edit),
                         ("Colour 1", self.primary), ("Colour 2", self.secondary)):
            form.addRow(label, w)
        lay.addLayout(form)
        self.preview = QLabel()
        self.preview.setObjectName("cover_preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(PREVIEW_PX, PREVIEW_PX)
        lay.addWidget(self.preview)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.use_btn = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.use_btn.setText("Use this cover")
        buttons.accepted.connect(self._use)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        for w in (self.style, self.size):
            w.currentIndexChanged.connect(lambda _i: self.update_preview())
        for e in (self.title_edit, self.primary, self.secondary):
            e.editingFinished.connect(self.update_preview)
        self.update_preview()

    def spec(self) -> CoverSpec:
        return replace(self.base, style=self.style.currentText(), size=SIZES[str(self.size.currentData())],
                       title=self.title_edit.text().strip(), primary=self.primary.text().strip(),
                       secondary=self.secondary.text().strip())

    def update_preview(self) -> None:
        try:
            data = encode(render(self.spec()), "png")
        except CoverError as e:
            self.error.setText(f"⚠ {e}")
            self.use_btn.setEnabled(False)
            return
        self.error.setText("")
        self.use_btn.setEnabled(True)
        pix = QPixmap()
        pix.loadFromData(data, "PNG")
        self.preview.setPixmap(pix.scaled(PREVIEW_PX, PREVIEW_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))

    def _use(self) -> None:
        try:
            save(self.spec(), self.out)
        except CoverError as e:
            self.error.setText(f"⚠ {e}")
            return
        self.accept()


def generate_cover_for(project: Path, out: Path, parent: QWidget | None = None, media_roots: Any = ()) -> Path | None:
    """Open the generator for a saved ``.mashup`` project; the written PNG, or None if cancelled."""
    from audio_engine.project import open_project

    opened = open_project(project)
    base = spec_for_project(opened.project, [opened.media, *media_roots])
    dlg = CoverDialog(base, out, parent)
    return out if dlg.exec() == QDialog.DialogCode.Accepted else None
