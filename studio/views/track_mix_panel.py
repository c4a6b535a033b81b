"""The Mix panel of a track (track menu → "Mix…"): the produced-mix settings
the engine applies to the track (audio_engine.project.trackmix): ducking
under another track (the vocal), a presence dip while it sounds, and a
high-pass. Apply pushes one "Mix settings" command (one undo step, synced like
every edit); the panel follows the project, so an undo shows at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audio_engine.app.edit import set_track_mix
from audio_engine.errors import MashupsError
from audio_engine.project.model import (
    ATTACK_MS,
    HIGHPASS_HZ,
    MAX_DIP_DB,
    MAX_DUCK_DB,
    PRESENCE_HZ,
    RELEASE_MS,
    Track,
)
from studio.jobs import describe_error
from studio.widgets import muted

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage

NO_SOURCE = "Nothing (no ducking, no dip)"


def _spin(lo: float, hi: float, step: float, suffix: str, decimals: int = 1) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setDecimals(decimals)
    s.setSuffix(suffix)
    return s


class TrackMixPanel(QDialog):
    def __init__(self, page: EditorPage, track_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent if parent is not None else page)
        self.page = page
        self.track_id = track_id
        self.setObjectName("TrackMixPanel")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(22, 18, 22, 16)
        lay.setSpacing(10)
        self.heading = QLabel("")
        self.heading.setObjectName("PageTitle")
        lay.addWidget(self.heading)
        lay.addWidget(muted("Settings of this track, applied when it plays and when you export; the audio itself "
                            "is never changed. The usual use: duck the instrumental under the vocal and make room "
                            "for the voice's words around 2 kHz; high-pass the vocal."))
        form = QFormLayout()
        self.source = QComboBox()
        self.source.setToolTip("The track whose sound ducks this one (its own clips, even when muted).")
        self.duck_db = _spin(0.0, MAX_DUCK_DB, 0.5, " dB")
        self.duck_db.setToolTip("How far this track goes down while the other track sounds (0: no ducking).")
        self.attack = _spin(*ATTACK_MS, 5.0, " ms", 0)
        self.attack.setToolTip("The duck comes in over this long, ending as the other track starts.")
        self.release = _spin(*RELEASE_MS, 10.0, " ms", 0)
        self.release.setToolTip("... and comes back up over this long after it stops.")
        self.dip_db = _spin(0.0, MAX_DIP_DB, 0.5, " dB")
        self.dip_db.setToolTip("Cut around the frequency below while the other track sounds (0: no dip).")
        self.dip_hz = _spin(*PRESENCE_HZ, 100.0, " Hz", 0)
        self.dip_hz.setToolTip("Centre of the dip; two octaves wide (2000 Hz: about 1-4 kHz, where words carry).")
        self.hp_on = QCheckBox("High-pass")
        self.hp_hz = _spin(*HIGHPASS_HZ, 10.0, " Hz", 0)
        self.hp_hz.setToolTip("Removes rumble and hum below this frequency (24 dB per octave).")
        hp_row = QHBoxLayout()
        hp_row.addWidget(self.hp_on)
        hp_row.addWidget(self.hp_hz, 1)
        self.hp_on.toggled.connect(self.hp_hz.setEnabled)
        self.source.currentIndexChanged.connect(self._source_chosen)
        form.addRow("Duck under", self.source)
        form.addRow("Ducking amount", self.duck_db)
        form.addRow("Attack", self.attack)
        form.addRow("Release", self.release)
        form.addRow("Presence dip", self.dip_db)
        form.addRow("Dip centre", self.dip_hz)
        form.addRow("Low cut", hp_row)
        lay.addLayout(form)
        self.status = muted("")
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.off_btn = QPushButton("Turn all off")
        self.off_btn.clicked.connect(self.all_off)
        self.close_btn = QPushButton("Close")
        self.close_btn.clicked.connect(self.close)
        self.apply_btn = QPushButton("Apply")
        self.apply_btn.setObjectName("Primary")
        self.apply_btn.setDefault(True)
        self.apply_btn.clicked.connect(self.apply)
        row.addWidget(self.off_btn)
        row.addStretch(1)
        row.addWidget(self.close_btn)
        row.addWidget(self.apply_btn)
        lay.addLayout(row)
        self.setMinimumWidth(460)
        page.doc.changed.connect(self._project_changed)
        self.load()

    # -- model -> widgets ---------------------------------------------------------
    def track(self) -> Track | None:
        return next((t for t in self.page.doc.project.tracks if t.id == self.track_id), None)

    def _project_changed(self, _command: object) -> None:
        if self.isVisible():
            self.load()

    def load(self) -> None:
        t = self.track()
        if t is None:  # the track was removed (here, by an undo, or by a collaborator)
            self.close()
            return
        self.setWindowTitle(f"Mix — {t.name or t.id}")
        self.heading.setText(f"Mix: {t.name or t.id}")
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItem(NO_SOURCE, None)
        for other in self.page.doc.project.tracks:
            if other.id != t.id:
                self.source.addItem(other.name or other.id, other.id)
        self.source.setCurrentIndex(max(0, self.source.findData(t.duck_source)) if t.duck_source else 0)
        self.source.blockSignals(False)
        self._source_chosen()
        self.duck_db.setValue(t.duck_db)
        self.attack.setValue(t.duck_attack_ms)
        self.release.setValue(t.duck_release_ms)
        self.dip_db.setValue(t.presence_dip_db)
        self.dip_hz.setValue(t.presence_hz)
        self.hp_on.setChecked(t.highpass_hz > 0)
        self.hp_hz.setValue(t.highpass_hz if t.highpass_hz > 0 else 100.0)
        self.hp_hz.setEnabled(t.highpass_hz > 0)

    def _source_chosen(self, *_index: int) -> None:
        """Ducking and the presence dip follow another track: without one they do nothing, so they are off."""
        on = isinstance(self.source.currentData(), str)
        for w in (self.duck_db, self.attack, self.release, self.dip_db, self.dip_hz):
            w.setEnabled(on)

    # -- widgets -> command -------------------------------------------------------
    def values(self) -> dict[str, object]:
        src = self.source.currentData()
        return {"duck_source": src if isinstance(src, str) else None, "duck_db": self.duck_db.value(),
                "duck_attack_ms": self.attack.value(), "duck_release_ms": self.release.value(),
                "presence_dip_db": self.dip_db.value(), "presence_hz": self.dip_hz.value(),
                "highpass_hz": self.hp_hz.value() if self.hp_on.isChecked() else 0.0}

    def apply(self) -> bool:
        """Push the panel's values as one "Mix settings" edit (nothing when nothing changed)."""
        if self.track() is None:
            return False
        try:
            cmd = set_track_mix(self.page.doc.project, self.track_id, **self.values())
        except MashupsError as e:
            self.status.setText(" ".join(describe_error(e)))
            return False
        if cmd is None:
            self.status.setText("Nothing changed.")
            return False
        if not self.page.push(cmd):
            self.status.setText(self.page.status.text())
            return False
        self.status.setText("Applied. Undo (Ctrl+Z) takes it back.")
        return True

    def all_off(self) -> bool:
        self.duck_db.setValue(0.0)
        self.dip_db.setValue(0.0)
        self.hp_on.setChecked(False)
        return self.apply()


def open_track_mix(page: EditorPage, track_id: str) -> TrackMixPanel:
    """Show the track's Mix panel (one at a time, kept on the page)."""
    old: TrackMixPanel | None = getattr(page, "mix_panel", None)
    if old is not None:
        old.close()
        old.deleteLater()
    panel = TrackMixPanel(page, track_id)
    page.mix_panel = panel  # type: ignore[attr-defined]
    panel.show()
    panel.raise_()
    return panel
