"""A track's header beside its timeline lane: name (elided, full name in the
tooltip), mute and solo, gain fader and pan, and the track's level meter.
Every control keeps its room however long the name is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QToolTip,
    QVBoxLayout,
)

from studio.views import track_menu
from studio.views.meters import LevelMeterWidget
from studio.views.timeline import LANE_H

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage
    from studio.views.track_menu import NameEditor

HEADER_W = 236


class ElidedLabel(QLabel):
    """A label that shows as much of its text as fits, ending in "…"."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def minimumSizeHint(self) -> QSize:
        return QSize(24, super().minimumSizeHint().height())

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        self._elide()

    def _elide(self) -> None:
        """Elide the end; but a stem track's name ("Song — drums") keeps its
        stem and elides the song, so that sibling stem tracks stay told apart."""
        w = max(0, self.contentsRect().width())
        fm = self.fontMetrics()
        head, sep, stem = self._full.rpartition(" — ")
        if sep and fm.horizontalAdvance(self._full) > w and fm.horizontalAdvance(sep + stem) < w // 2:
            tail = sep + stem
            self.setText(fm.elidedText(head, Qt.TextElideMode.ElideRight, w - fm.horizontalAdvance(tail)) + tail)
            return
        self.setText(fm.elidedText(self._full, Qt.TextElideMode.ElideRight, w))


def gain_text(db: float) -> str:
    return f"{db:+.1f} dB".replace("-", "−")


class TrackHeader(QFrame):
    def __init__(self, page: EditorPage, index: int) -> None:
        super().__init__()
        self.page = page
        self.index = index
        t = page.doc.project.tracks[index]
        self.track_id = t.id
        self.setFixedHeight(LANE_H)
        self.setObjectName("Card")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 8, 6)
        lay.setSpacing(4)
        top = QHBoxLayout()
        top.setSpacing(4)
        self.name = ElidedLabel(t.name or f"Track {index + 1}")
        self.name.setStyleSheet("font-weight: 600;")
        self.mute = QToolButton()
        self.mute.setObjectName("MuteButton")
        self.mute.setText("M")
        self.mute.setCheckable(True)
        self.mute.setChecked(t.mute)
        self.mute.setToolTip("Mute this track")
        self.solo = QToolButton()
        self.solo.setObjectName("SoloButton")
        self.solo.setText("S")
        self.solo.setCheckable(True)
        self.solo.setChecked(t.solo)
        self.solo.setToolTip("Solo: hear only the soloed tracks")
        for b in (self.mute, self.solo):
            b.setFixedSize(26, 24)
        top.addWidget(self.name, 1)
        top.addWidget(self.mute)
        top.addWidget(self.solo)
        lay.addLayout(top)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.gain = QSlider(Qt.Orientation.Horizontal)
        self.gain.setRange(-600, 120)
        self.gain.setValue(int(round(t.gain_db * 10)))
        self.gain.setMinimumWidth(40)
        self.gain_label = QLabel(gain_text(t.gain_db))
        self.gain_label.setObjectName("Muted")
        self.gain_label.setFixedWidth(self.gain_label.fontMetrics().horizontalAdvance("−60.0 dB") + 4)
        self.gain_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.pan = QSlider(Qt.Orientation.Horizontal)
        self.pan.setRange(-100, 100)
        self.pan.setValue(int(round(t.pan * 100)))
        self.pan.setFixedWidth(48)
        pan_label = QLabel("pan")
        pan_label.setObjectName("Muted")
        row.addWidget(self.gain, 1)
        row.addWidget(self.gain_label)
        row.addSpacing(4)
        row.addWidget(pan_label)
        row.addWidget(self.pan)
        lay.addLayout(row)
        self.meter = LevelMeterWidget(colors=lambda: page.s.theme.colors)  # fed by studio.views.meters.EditorMeters
        lay.addWidget(self.meter)
        self._show_values(show_tip=False)
        self.mute.toggled.connect(lambda v: page.set_track(self.track_id, "mute", bool(v)))
        self.solo.toggled.connect(lambda v: page.set_track(self.track_id, "solo", bool(v)))
        # Live while dragging (heard at once), one undo step on release.
        self.gain.valueChanged.connect(lambda v: page.preview_track(self.track_id, "gain_db", v / 10.0))
        self.gain.valueChanged.connect(lambda _v: self._show_values(show_tip=self.gain.isSliderDown()))
        self.gain.sliderReleased.connect(lambda: page.set_track(self.track_id, "gain_db", self.gain.value() / 10.0))
        self.pan.valueChanged.connect(lambda v: page.preview_track(self.track_id, "pan", v / 100.0))
        self.pan.valueChanged.connect(lambda _v: self._show_values(show_tip=self.pan.isSliderDown()))
        self.pan.sliderReleased.connect(lambda: page.set_track(self.track_id, "pan", self.pan.value() / 100.0))
        self.name_editor: NameEditor | None = None
        self.reorder: QObject | None = None  # the drag that reorders tracks (track_menu)
        track_menu.install(self)

    def _show_values(self, *, show_tip: bool) -> None:
        """Label and tooltips follow the faders (and a tip rides along while dragging)."""
        db = self.gain.value() / 10.0
        self.gain_label.setText(gain_text(db))
        self.gain.setToolTip(f"Gain {gain_text(db)}")
        p = self.pan.value()
        pan = "centre" if p == 0 else f"{abs(p)}% {'left' if p < 0 else 'right'}"
        self.pan.setToolTip(f"Pan {pan}")
        if show_tip:
            slider = self.gain if self.gain.isSliderDown() else self.pan
            QToolTip.showText(slider.mapToGlobal(QPoint(slider.width() // 2, -28)), slider.toolTip(), slider)

    def sync_from(self, track: object) -> None:
        """Show the model's values without emitting edits."""
        name = getattr(track, "name", "") or f"Track {self.index + 1}"
        if name != self.name.full_text():
            self.name.set_full_text(name)
        for w, v in ((self.mute, getattr(track, "mute", False)), (self.solo, getattr(track, "solo", False))):
            w.blockSignals(True)
            w.setChecked(bool(v))
            w.blockSignals(False)
        for w, v in ((self.gain, int(round(getattr(track, "gain_db", 0.0) * 10))),
                     (self.pan, int(round(getattr(track, "pan", 0.0) * 100)))):
            if not w.isSliderDown():
                w.blockSignals(True)
                w.setValue(v)
                w.blockSignals(False)
        self._show_values(show_tip=False)
