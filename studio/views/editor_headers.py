"""The column of track headers left of the timeline (name, mute/solo, gain,
pan per track, then the caption lane's label), scrolled with the timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QScrollArea, QVBoxLayout, QWidget

from studio.views.timeline import CAPTION_H, RULER_H
from studio.views.track_header import HEADER_W, TrackHeader
from studio.widgets import muted

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage


class HeaderColumn(QScrollArea):
    def __init__(self, page: EditorPage) -> None:
        super().__init__()
        self.page = page
        self.host = QWidget()
        self.lay = QVBoxLayout(self.host)
        self.lay.setContentsMargins(0, RULER_H, 0, 0)
        self.lay.setSpacing(0)
        self.setWidget(self.host)
        self.setWidgetResizable(True)
        self.setFixedWidth(HEADER_W)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page.timeline.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.headers: list[TrackHeader] = []

    def rebuild(self) -> list[TrackHeader]:
        """One header per track of the page's project (new widgets)."""
        while self.lay.count():
            item = self.lay.takeAt(0)
            w = item.widget()
            if w is not None:
                w.setParent(None)
                w.deleteLater()
        self.headers = [TrackHeader(self.page, i) for i in range(len(self.page.doc.project.tracks))]
        for h in self.headers:
            self.lay.addWidget(h)
        cap = muted("  Captions")
        cap.setFixedHeight(CAPTION_H)
        cap.setToolTip("Caption lane: the lyrics of the clips that carry captions, on the project's time line")
        self.lay.addWidget(cap)
        self.lay.addStretch(1)
        return self.headers

    def sync(self) -> None:
        """Show the tracks' values (a rename, a mix change) in the existing headers."""
        for h, t in zip(self.headers, self.page.doc.project.tracks, strict=False):
            h.sync_from(t)

    def editing_controls(self) -> list[QWidget]:
        out: list[QWidget] = []
        for h in self.headers:
            out.extend(h.findChildren(QAbstractButton))
            out.extend(h.findChildren(QAbstractSlider))
        return out
