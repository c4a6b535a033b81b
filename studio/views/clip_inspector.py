"""The clip inspector beside the timeline: the selected clip's name, gain,
fades, source offset (slip), stretch (follow the project tempo or a fixed
speed), pitch, stretch quality and colour, and its track's colour. Every edit
is one engine command (one undo step); playback streams, so a change is
heard at once. Reverse plays the clip's source range backwards (the engine's
clip render; fades and gain stay where they are on the timeline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from audio_engine import project as proj
from audio_engine.project import Clip, Command
from audio_engine.project.model import MAX_FADE_SECONDS, MAX_GAIN_DB
from studio.views.clip_colors import PALETTE, display_color, stem_color
from studio.widgets import muted

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage

INSPECTOR_W = 270
QUALITIES: tuple[tuple[str, str | None, str], ...] = (
    ("Export default", None, "The quality the mix is rendered with (fast)"),
    ("Fast (exact timing)", "fast", "Rubber Band R2: timing-exact, the default"),
    ("High (smoother)", "high", "Rubber Band R3: smoother on sustained sounds; its timing may drift up to 0.2 %"),
)


class ColorRow(QWidget):
    """Swatches of :data:`PALETTE` plus "Auto" (no colour of its own)."""

    chosen = Signal(object)  # "#rrggbb" or None

    def __init__(self, what: str) -> None:
        super().__init__()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        self.auto = QToolButton()
        self.auto.setText("Auto")
        self.auto.setCheckable(True)
        self.auto.setMinimumWidth(self.auto.fontMetrics().horizontalAdvance("Auto") + 16)
        self.auto.setToolTip(f"No colour of its own: the {what} takes the colour of its stem type")
        self.auto.clicked.connect(lambda: self.chosen.emit(None))
        lay.addWidget(self.auto)
        self.swatches: dict[str, QToolButton] = {}
        for c in PALETTE:
            b = QToolButton()
            b.setCheckable(True)
            b.setFixedSize(18, 18)
            b.setToolTip(f"Colour the {what} {c}")
            b.setStyleSheet(f"QToolButton {{ background: {c}; border: 1px solid rgba(0,0,0,60); border-radius: 4px; }}"
                            f"QToolButton:checked {{ border: 2px solid palette(text); }}")
            b.clicked.connect(lambda _c=False, c=c: self.chosen.emit(c))
            lay.addWidget(b)
            self.swatches[c] = b
        lay.addStretch(1)

    def show_value(self, color: str | None) -> None:
        self.auto.setChecked(color is None)
        for c, b in self.swatches.items():
            b.setChecked(c == color)

    def buttons(self) -> list[QToolButton]:
        return [self.auto, *self.swatches.values()]


def _spin(lo: float, hi: float, step: float, suffix: str, tip: str, decimals: int = 2) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setDecimals(decimals)
    s.setSuffix(suffix)
    s.setKeyboardTracking(False)  # typing commits on Enter / leaving the field: one undo step per edit
    s.setToolTip(tip)
    return s


class ClipInspector(QFrame):
    def __init__(self, page: EditorPage) -> None:
        super().__init__()
        self.page = page
        self.clip_id: str | None = None
        self.setObjectName("Card")
        self.setFixedWidth(INSPECTOR_W)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(6)
        self.heading = QLabel("Clip")
        self.heading.setStyleSheet("font-weight: 700;")
        self.heading.setWordWrap(True)
        self.hint = muted("Select a clip on the timeline to see and change its settings.")
        self.hint.setWordWrap(True)
        lay.addWidget(self.heading)
        lay.addWidget(self.hint)
        self.fields = QWidget()
        form = QFormLayout(self.fields)
        form.setContentsMargins(0, 0, 0, 0)
        form.setSpacing(6)
        self.name = QLineEdit()
        self.name.setPlaceholderText("(the song's name)")
        self.name.setToolTip("The clip's name on the timeline (empty: the song's name)")
        self.gain = _spin(-60.0, MAX_GAIN_DB, 0.5, " dB", "Clip gain in dB, before the track's fader", 1)
        self.fade_in = _spin(0.0, MAX_FADE_SECONDS, 0.05, " s", "Fade-in length in seconds on the timeline")
        self.fade_out = _spin(0.0, MAX_FADE_SECONDS, 0.05, " s", "Fade-out length in seconds on the timeline")
        self.offset = _spin(0.0, 0.0, 0.1, " s", "Source offset: where in the song the clip starts playing "
                            "(the clip keeps its place and length; the sound slides under it)")
        self.stretch = QComboBox()
        self.stretch.addItems(["Follow tempo", "Fixed speed"])
        self.stretch.setToolTip("Follow project tempo: stretched from the song's tempo to the project's. "
                                "Fixed speed: played at the speed below whatever the tempo")
        self.ratio = _spin(0.25, 4.0, 0.01, "×", "Playback speed (Rubber Band time-stretch; > 1 is faster)", 3)
        self.pitch = _spin(-24.0, 24.0, 1.0, " st", "Pitch shift in semitones (Rubber Band), without changing speed")
        self.quality = QComboBox()
        for text, _value, tip in QUALITIES:
            self.quality.addItem(text)
            self.quality.setItemData(self.quality.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.quality.setToolTip("Stretch and pitch quality of this clip (Rubber Band engine)")
        self.reverse = QCheckBox("Reverse")
        self.reverse.setToolTip("Play the clip backwards: its part of the song from end to start "
                                "(fades and gain stay where they are on the timeline)")
        self.clip_color = ColorRow("clip")
        self.track_color = ColorRow("track")
        for label, w in (("Name", self.name), ("Gain", self.gain), ("Fade in", self.fade_in),
                         ("Fade out", self.fade_out), ("Source offset", self.offset), ("Stretch", self.stretch),
                         ("Speed", self.ratio), ("Pitch", self.pitch), ("Quality", self.quality),
                         ("", self.reverse)):
            form.addRow(label, w)
        for label, row in (("Clip colour", self.clip_color), ("Track colour", self.track_color)):
            form.addRow(QLabel(label))  # the swatches get the whole width below their label
            form.addRow(row)
        lay.addWidget(self.fields)
        lay.addStretch(1)

        self.name.editingFinished.connect(lambda: self._set("name", self.name.text().strip()))
        self.gain.valueChanged.connect(lambda v: self._set("gain_db", round(float(v), 3)))
        self.fade_in.valueChanged.connect(lambda v: self._set("fade_in", round(float(v), 4)))
        self.fade_out.valueChanged.connect(lambda v: self._set("fade_out", round(float(v), 4)))
        self.offset.valueChanged.connect(self._slip)
        self.stretch.currentIndexChanged.connect(self._stretch_mode)
        self.ratio.valueChanged.connect(lambda v: self._set("stretch_ratio", round(float(v), 6)))
        self.pitch.valueChanged.connect(lambda v: self._set("pitch", round(float(v), 4)))
        self.quality.currentIndexChanged.connect(lambda i: self._set("quality", QUALITIES[i][1]))
        self.reverse.toggled.connect(lambda on: self._set("reversed", bool(on)))
        self.clip_color.chosen.connect(lambda c: self._set("color", c))
        self.track_color.chosen.connect(self._set_track_color)
        page.doc.changed.connect(lambda _c: self.refresh())
        page.timeline.scene().selectionChanged.connect(self.refresh)
        self.refresh()

    # -- what is shown ------------------------------------------------------------------
    def clip(self) -> Clip | None:
        if self.clip_id is None:
            return None
        try:
            return self.page.doc.project.clip(self.clip_id)
        except KeyError:
            return None

    def editing_controls(self) -> list[QWidget]:
        return [self.name, self.gain, self.fade_in, self.fade_out, self.offset, self.stretch, self.ratio, self.pitch,
                self.quality, self.reverse, *self.clip_color.buttons(), *self.track_color.buttons()]

    def refresh(self) -> None:
        """Show the selected clip's values (one clip; none or several: a hint)."""
        try:
            ids = self.page.timeline.selected_clip_ids()
        except RuntimeError:  # the scene is gone (the page is closing)
            return
        p = self.page.doc.project
        self.clip_id = ids[0] if len(ids) == 1 else None
        c = self.clip()
        self.fields.setVisible(c is not None)
        self.hint.setVisible(c is None)
        if c is None:
            self.heading.setText("Clip")
            self.hint.setText(f"{len(ids)} clips selected: select one to see and change its settings."
                              if len(ids) > 1 else "Select a clip on the timeline to see and change its settings.")
            return
        ref = p.media.get(c.media)
        song = ref.name if ref is not None else c.media[:8]
        offline = c.id in getattr(self.page.timeline, "offline_ids", ())
        self.heading.setText(f"{c.name or song}" + (f" · {c.stem}" if c.stem else "")
                             + (" — offline: its media is missing (Locate… above)" if offline else ""))
        length = c.length_seconds(p.tempo)
        span = c.source_out - c.source_in
        duration = ref.duration if ref is not None and ref.duration > 0 else c.source_out
        track, _, _ = p.find_clip(c.id)
        for w in self.editing_controls():
            w.blockSignals(True)
        if not self.name.hasFocus():
            self.name.setText(c.name)
            self.name.setCursorPosition(0)  # a long name shows its start, not its end
        self.gain.setValue(c.gain_db)
        for spin, v in ((self.fade_in, c.fade_in), (self.fade_out, c.fade_out)):
            spin.setMaximum(min(MAX_FADE_SECONDS, max(length, v)))
            spin.setValue(v)
        self.offset.setMaximum(max(c.source_in, duration - span))
        self.offset.setValue(c.source_in)
        self.stretch.setCurrentIndex(1 if c.stretch_mode == "fixed" else 0)
        self.ratio.setValue(c.ratio(p.tempo))
        self.ratio.setEnabled(c.stretch_mode == "fixed" and not self.page.read_only_reason)
        self.pitch.setValue(c.pitch)
        self.quality.setCurrentIndex(next(i for i, q in enumerate(QUALITIES) if q[1] == getattr(c, "quality", None)))
        self.reverse.setChecked(c.reversed)
        self.clip_color.show_value(getattr(c, "color", None))
        self.track_color.show_value(getattr(track, "color", None))
        if not self.page.read_only_reason:  # read-only: the reason stays the tooltip
            self.clip_color.auto.setToolTip(f"No colour of its own: {self._auto_words(c)}")
        for w in self.editing_controls():
            w.blockSignals(False)

    def _auto_words(self, c: Clip) -> str:
        shown = display_color(self.page.doc.project, c)
        if getattr(c, "color", None) is None and shown is not None and shown != stem_color(c.stem):
            return "the clip takes its track's colour"
        return f"the clip takes the colour of its stem type ({c.stem})" if stem_color(c.stem) else \
            "the clip takes the theme's clip colour"

    # -- edits: each one engine command, one undo step -----------------------------------
    def _push(self, command: Command) -> None:
        if not self.page.push(command):
            self.refresh()  # refused (the reason is in the status line): show the model's value again

    def _set(self, name: str, value: Any) -> None:
        c = self.clip()
        if c is None or getattr(c, name, None) == value:
            return
        self._push(proj.SetClipProperty(clip_id=c.id, name=name, value=value))

    def _slip(self, value: float) -> None:
        c = self.clip()
        if c is None or abs(value - c.source_in) < 1e-9:
            return
        span = c.source_out - c.source_in
        self._push(proj.TrimClip(clip_id=c.id, source_in=round(value, 6), source_out=round(value + span, 6)))

    def _stretch_mode(self, index: int) -> None:
        c = self.clip()
        mode = "fixed" if index == 1 else "tempo"
        if c is None or c.stretch_mode == mode:
            return
        if mode == "fixed":  # keep the speed it plays at now, so nothing jumps
            ratio = round(min(4.0, max(0.25, c.ratio(self.page.doc.project.tempo))), 6)
            self._push(proj.Macro(commands=[proj.SetClipProperty(clip_id=c.id, name="stretch_ratio", value=ratio),
                                            proj.SetClipProperty(clip_id=c.id, name="stretch_mode", value=mode)],
                                  name="Fixed speed"))
        else:
            self._push(proj.SetClipProperty(clip_id=c.id, name="stretch_mode", value=mode))

    def _set_track_color(self, color: str | None) -> None:
        c = self.clip()
        if c is None:
            return
        track, _, _ = self.page.doc.project.find_clip(c.id)
        if getattr(track, "color", None) != color:
            self._push(proj.SetTrackProperty(track_id=track.id, name="color", value=color))
