"""Level meters in the editor: one per track (in its header) and the master
strip beside the timeline. Each shows RMS as a bar and peak as a line, in
dBFS from -60 to 0, with a clip light that stays on until clicked.

A 30 Hz timer (:class:`EditorMeters`) polls :class:`studio.meter_tap.MeterTap`
while the editor's project plays (and until the meters have fallen), and
hands each widget its reading; the math is :mod:`audio_engine.meter`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from audio_engine.meter import FLOOR_DB, LevelMeter, MeterReading
from studio.meter_tap import MeterTap

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage

SCALE_DB = -60.0
POLL_MS = 33
TIP = "Peak (line) and RMS (bar) in dBFS · the light turns red when the signal clipped: click to reset it"


def fraction(db: float) -> float:
    """Where ``db`` sits on the meter's scale, 0 (-60 dBFS or less) to 1 (0 dBFS)."""
    return max(0.0, min(1.0, (db - SCALE_DB) / -SCALE_DB))


def db_text(db: float) -> str:
    return "−∞" if db <= FLOOR_DB else f"{db:.1f}".replace("-", "−")


class LevelMeterWidget(QWidget):
    """A horizontal (track) or vertical (master) meter with its clip light."""

    LIGHT = 8

    def __init__(self, *, vertical: bool = False, colors: Callable[[], dict[str, str]] | None = None) -> None:
        super().__init__()
        self.vertical = vertical
        self.colors = colors or (lambda: {})
        self.reading = MeterReading(FLOOR_DB, FLOOR_DB, False)
        self.source: LevelMeter | None = None  # the meter a click resets
        self.setToolTip(TIP)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        if vertical:
            self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        else:
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(14, 160) if self.vertical else QSize(120, 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(10, 60) if self.vertical else QSize(40, 6)

    def show_reading(self, reading: MeterReading, source: LevelMeter | None) -> None:
        self.source = source
        if reading != self.reading:
            self.reading = reading
            self.setToolTip(f"Peak {db_text(reading.peak_db)} dB · RMS {db_text(reading.rms_db)} dB"
                            + (" · clipped: click to reset" if reading.clipped else "") + "\n" + TIP)
            self.update()

    def mousePressEvent(self, e: QMouseEvent) -> None:
        if e.button() == Qt.MouseButton.LeftButton:
            if self.source is not None:
                self.source.reset_clip()
            self.reading = MeterReading(self.reading.peak_db, self.reading.rms_db, False)
            self.update()
            e.accept()
            return
        super().mousePressEvent(e)

    def paintEvent(self, e: QPaintEvent) -> None:
        c = self.colors()
        p = QPainter(self)
        r = QRectF(self.rect())
        light = float(self.LIGHT)
        if self.vertical:
            bar = r.adjusted(0, light + 2, 0, 0)
            led = QRectF(r.left(), r.top(), r.width(), light)
        else:
            bar = r.adjusted(0, 0, -(light + 2), 0)
            led = QRectF(r.right() - light, r.top(), light, r.height())
        p.fillRect(bar, QColor(c.get("input", "#0f1115")))
        rms, peak = fraction(self.reading.rms_db), fraction(self.reading.peak_db)
        hot = self.reading.peak_db > -6.0
        fill = QColor(c.get("warning", "#f5b84b") if hot else c.get("accent2", "#22d3a6"))
        if self.vertical:
            h = bar.height()
            p.fillRect(QRectF(bar.left(), bar.bottom() - h * rms, bar.width(), h * rms), fill)
            y = bar.bottom() - h * peak
            if peak > 0:
                p.fillRect(QRectF(bar.left(), y, bar.width(), 2), QColor(c.get("text", "#e6e8ec")))
        else:
            w = bar.width()
            p.fillRect(QRectF(bar.left(), bar.top(), w * rms, bar.height()), fill)
            if peak > 0:
                p.fillRect(QRectF(bar.left() + w * peak - 2, bar.top(), 2, bar.height()), QColor(c.get("text", "#e6e8ec")))
        p.fillRect(led, QColor(c.get("danger", "#ff5d6c")) if self.reading.clipped else QColor(c.get("border", "#2a2f38")))
        p.end()


class MasterStrip(QWidget):
    """The master meter at the right of the timeline, with its peak in numbers."""

    def __init__(self, colors: Callable[[], dict[str, str]]) -> None:
        super().__init__()
        self.setFixedWidth(56)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.setSpacing(4)
        title = QLabel("Master")
        title.setObjectName("Muted")
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.meter = LevelMeterWidget(vertical=True, colors=colors)
        self.value = QLabel(db_text(FLOOR_DB))
        self.value.setObjectName("Muted")
        self.value.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.value.setToolTip("The master's peak (dBFS)")
        lay.addWidget(title)
        lay.addWidget(self.meter, 1, Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.value)
        self.setToolTip("Master level: the project's mix as it plays")

    def show_reading(self, reading: MeterReading, source: LevelMeter) -> None:
        self.meter.show_reading(reading, source)
        self.value.setText(db_text(reading.peak_db))


class EditorMeters:
    """Polls the transport's engine at ~30 Hz while the editor's project
    plays and shows the levels in the track headers and the master strip."""

    def __init__(self, page: EditorPage) -> None:
        self.page = page
        transport = page.s.transport
        self.tap = MeterTap(transport.engine)
        self.master = MasterStrip(lambda: page.s.theme.colors)
        self.timer = QTimer(page)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        transport.state_changed.connect(lambda playing: playing and self.timer.start())

    def track_widgets(self) -> list[LevelMeterWidget]:
        return [h.meter for h in self.page.track_headers]

    def poll(self) -> None:
        tr = self.page.s.transport
        mine = tr.source == f"project:{self.page.doc.project.id}"
        m = self.tap.poll(active=mine)
        for w, lm in zip(self.track_widgets(), m.tracks, strict=False):
            w.show_reading(lm.reading(), lm)
        self.master.show_reading(m.master.reading(), m.master)
        fallen = all(x.reading().peak_db <= SCALE_DB and x.reading().rms_db <= SCALE_DB for x in (*m.tracks, m.master))
        if not tr.playing and fallen:
            self.timer.stop()  # nothing more to show until playback starts again


def install(page: EditorPage) -> EditorMeters:
    """The editor's meters: call once the page has its transport and track headers."""
    return EditorMeters(page)
