"""Magic mashup wizard: pick two songs (or one and "find a partner"), set the
tempo stretch limit, see the engine's own plan (tempo, key shift, quick fit)
or its refusal before any work, and generate as a background job (Jobs page:
progress and cancel); the project opens in the editor when it is ready. Or
ask for three variations (arrangements with scores and 20-second previews,
studio.views.magic_variations_view) and open the one you like."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from audio_engine.errors import MashupsError
from audio_engine.library import SongRecord
from studio.controllers import SongActions, max_stretch_setting, partner_fits
from studio.jobs import Job, describe_error
from studio.services import Services
from studio.views.magic_variations_view import VariationsPanel
from studio.widgets import Card, muted

FIND = -1
RELATION_WORDS = {"same": "the same key", "relative": "relative keys", "adjacent": "a fifth apart (one Camelot step)",
                  "no clear key": "no clear key in one song"}
FIND_TEXT = "Find a partner for me (best fit)"
VARIATIONS_TIP = ("Three arrangements of this pair with their scores and 20-second previews; "
                  "open the one you like as a project")


def magic_available() -> bool:
    try:
        import audio_engine.magic  # noqa: F401
    except ImportError:
        return False
    return True


def _pct(ratio: float) -> str:
    return f"{(ratio - 1.0) * 100:+.1f}%"


class MagicWizard(QDialog):
    def __init__(self, services: Services, actions: SongActions, parent: QWidget | None = None) -> None:
        from audio_engine.magic.plan import DEFAULT_MAX_STRETCH, MAX_STRETCH_RANGE

        super().__init__(parent)
        self.s = services
        self.actions = actions
        self.job: Job | None = None
        self.pair: tuple[int, int] | None = None  # (A, B) when Generate may start
        self.setWindowTitle("Magic mashup")
        lay = QVBoxLayout(self)
        lay.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with a longer plan text
        lay.setContentsMargins(24, 20, 24, 18)
        lay.setSpacing(12)
        title = QLabel("Magic mashup")
        title.setObjectName("PageTitle")
        lay.addWidget(title)
        self.intro = muted("Two songs in, one beat- and key-matched mashup out: the studio picks the tempo, "
                           "the pitch shift and which stems to combine. You can edit everything afterwards.")
        lay.addWidget(self.intro)
        form = QFormLayout()
        self.song_a = QComboBox()
        self.song_b = QComboBox()
        for s in services.library.all():
            self.song_a.addItem(s.title, s.id)
        self.stretch = QSpinBox()
        lo, hi = MAX_STRETCH_RANGE
        self.stretch.setRange(round(lo * 100), round(hi * 100))
        self.stretch.setSuffix(" %")
        self.stretch.setValue(round(max_stretch_setting(services) * 100))
        self.stretch.setToolTip(
            f"How far apart the two tempos may be (after half/double time). Default {DEFAULT_MAX_STRETCH * 100:.0f} %; "
            "beyond it stretching becomes audible.")
        form.addRow("Song A (vocals)", self.song_a)
        form.addRow("Song B (instrumental)", self.song_b)
        form.addRow("Tempo stretch limit", self.stretch)
        lay.addLayout(form)
        self.card = Card()
        self.card.setMinimumWidth(600)  # the dialog's width (its layout sets the dialog's minimum size)
        self.plan = QLabel("")
        self.plan.setWordWrap(True)
        self.plan.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.card.body.addWidget(self.plan)
        lay.addWidget(self.card)
        self.stage = muted("Generating runs in the background (Jobs page: progress and cancel); "
                           "the project opens in the editor when it is ready.")
        self.stage.setWordWrap(True)
        lay.addWidget(self.stage)
        self.variations = VariationsPanel(services, actions)
        self.variations.running_changed.connect(lambda _running: self._sync_buttons())
        lay.addWidget(self.variations)
        row = QHBoxLayout()
        self.cancel_btn = QPushButton("Close")
        self.cancel_btn.clicked.connect(self.reject)
        self.generate_btn = QPushButton(services.theme.icon("magic", "accent_text"), "Generate")
        self.generate_btn.setObjectName("Primary")
        self.generate_btn.clicked.connect(self.generate)
        self.variations_btn = QPushButton("Three variations")
        self.variations_btn.setToolTip(VARIATIONS_TIP)
        self.variations_btn.clicked.connect(self.make_variations)
        row.addStretch(1)
        row.addWidget(self.cancel_btn)
        row.addWidget(self.variations_btn)
        row.addWidget(self.generate_btn)
        lay.addLayout(row)
        self._fill_b()
        self.song_a.currentIndexChanged.connect(lambda _i: (self._fill_b(), self.update_plan()))
        self.song_b.currentIndexChanged.connect(lambda _i: self.update_plan())
        self.stretch.valueChanged.connect(self._stretch_changed)
        self.update_plan()

    # -- choices ----------------------------------------------------------------
    def _fill_b(self) -> None:
        """Song B: "find a partner" and every song except song A."""
        a = self.song_a.currentData()
        keep = self.song_b.currentData()
        self.song_b.blockSignals(True)
        self.song_b.clear()
        self.song_b.addItem(FIND_TEXT, FIND)
        for s in self.s.library.all():
            if s.id != a:
                self.song_b.addItem(s.title, s.id)
        self.song_b.setCurrentIndex(max(0, self.song_b.findData(keep)) if keep is not None else 0)
        self.song_b.blockSignals(False)

    def preselect(self, a: int | None, b: int | None) -> None:
        if a is not None:
            self.song_a.setCurrentIndex(max(0, self.song_a.findData(a)))
        self.song_b.setCurrentIndex(max(0, self.song_b.findData(b if b is not None else FIND)))
        self.update_plan()

    def max_stretch(self) -> float:
        return self.stretch.value() / 100.0

    def _stretch_changed(self, _v: int) -> None:
        self.s.settings.set("magic/max_stretch", self.max_stretch())
        self.update_plan()

    def _ids(self) -> tuple[int | None, int | None]:
        a = self.song_a.currentData()
        b = self.song_b.currentData()
        return (a if isinstance(a, int) else None), (b if isinstance(b, int) and b != FIND else None)

    # -- the plan ---------------------------------------------------------------
    def _set_plan(self, text: str) -> None:
        """Show ``text`` and keep the dialog tall enough for all of it (a
        word-wrapped label does not grow its dialog by itself)."""
        self.plan.setText(text)
        self._fit_plan()

    def _fit_plan(self) -> None:
        w = self.plan.width() if self.plan.isVisible() else self.card.minimumWidth() - 32
        lines = self.plan.fontMetrics().lineSpacing()
        # heightForWidth counts the minimum height set last time: measure without it, or every
        # resize (the variations appearing, a longer plan) would grow the label by half a line.
        self.plan.setMinimumHeight(0)
        self.plan.setMinimumHeight(max(6 * lines, self.plan.heightForWidth(max(200, w)) + lines // 2))
        # the other wrapped lines too: the dialog is sized by its layout's minimum, which counts a
        # wrapped label one line high, so the rows below ran past the bottom edge
        text_w = max(200, self.width() - 48 if self.isVisible() else self.card.minimumWidth())
        for lab in (self.intro, self.stage):
            lab.setMinimumHeight(max(0, lab.heightForWidth(text_w)))

    def resizeEvent(self, e: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(e)
        self._fit_plan()
        # grown (the variations came): keep the bottom row on the screen, moving up as far as it must
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        frame = self.frameGeometry()
        if screen is not None and self.isVisible() and frame.bottom() > screen.bottom() > frame.top():
            self.move(frame.left(), max(screen.top(), frame.top() - (frame.bottom() - screen.bottom())))

    def _refuse(self, text: str) -> None:
        self.pair = None
        self._set_plan(text)
        self.generate_btn.setEnabled(False)
        self.variations_btn.setEnabled(False)

    def update_plan(self) -> None:
        from audio_engine.magic.plan import grid_bpm, key_reading_text, pair_plan, tempos_apart

        a, b = self._ids()
        if a is None or self.song_a.count() < 2:
            self._refuse("Import at least two songs on the Library page first.")
            return
        sa = self.s.library.get(a)
        sb: SongRecord | None = self.s.library.get(b) if b is not None else None
        ta = escape(sa.title)
        if not sa.analysed or (sb is not None and not sb.analysed):
            self._refuse("Waiting for the analysis of the chosen songs (see Jobs)…")
            return
        limit = self.max_stretch()
        if sb is None:
            fits = partner_fits(sa, self.s.library.all(), max_stretch=limit)
            if not fits:
                self._refuse(f"No analysed song in your library has a tempo within <b>{limit * 100:.0f}%</b> of "
                             f"“{ta}” ({grid_bpm(sa.analysis):.1f} BPM, half/double time considered). "
                             "Raise the tempo stretch limit, or import songs with closer tempos.")
                return
            sb = fits[0].partner
        try:
            plan = pair_plan(sa.analysis, sb.analysis, max_stretch=limit)
        except MashupsError as e:
            self._refuse(describe_error(e)[0])
            return
        bpm_a, bpm_b = grid_bpm(sa.analysis), grid_bpm(sb.analysis)
        apart = tempos_apart(plan) * 100
        tb = escape(sb.title)
        if not plan.within_limit:
            need = int(apart) + 1
            self._refuse(
                f"<b>{ta}</b> ({bpm_a:.1f} BPM) and <b>{tb}</b> ({bpm_b:.1f} BPM): the tempos are "
                f"<b>{apart:.1f}%</b> apart (half/double time considered), beyond the {limit * 100:.0f}% stretch limit, "
                "so Magic would refuse this pair.<br>"
                + (f"Raise the tempo stretch limit to {need}% or more (more audible stretching), or choose another "
                   "song B." if need <= self.stretch.maximum() else "Choose another song B."))
            return
        fit = partner_fits(sa, [sb], max_stretch=limit)[0]
        half = {0.5: " counted in half time", 2.0: " counted in double time"}.get(plan.multiple, "")
        shift = f"vocals shifted <b>{fit.shift:+d}</b> semitones" if fit.shift else "no pitch shift"
        self.pair = (sa.id, sb.id)
        self._set_plan(
            f"<b>{ta}</b> (vocals) + <b>{tb}</b> (instrumental)<br>"
            f"Tempo: <b>{plan.target_bpm:.1f} BPM</b>: A {bpm_a:.1f} BPM{half} {_pct(plan.ratio_a)}, "
            f"B {bpm_b:.1f} BPM {_pct(plan.ratio_b)}; the tempos are {apart:.1f}% apart "
            f"(limit {limit * 100:.0f}%)<br>"
            f"Keys: A <b>{escape(key_reading_text(sa.analysis))}</b> · B <b>{escape(key_reading_text(sb.analysis))}</b><br>"
            f"{shift[0].upper()}{shift[1:]}: {RELATION_WORDS.get(fit.relation, fit.relation)}"
            f"{' (safe whichever reading of an uncertain key is right)' if fit.hedged else ''}<br>"
            f"Quick fit (tempo and key): <b>{fit.score * 100:.0f}</b> / 100; the full score comes with the result")
        self._sync_buttons()
        if not magic_available():
            self.stage.setText("The Magic mashup engine (audio_engine.magic) is not installed in this build.")

    def _sync_buttons(self) -> None:
        """Generate and Three variations: on for an accepted pair, off while the
        variations are being made (one Magic job of this window at a time)."""
        busy = self.variations.running()
        on = self.pair is not None and magic_available() and not busy
        for b, tip in ((self.generate_btn, "Make the mashup in the background; it opens in the editor when ready"),
                       (self.variations_btn, VARIATIONS_TIP)):
            b.setEnabled(on)
            b.setToolTip("Wait for the three variations (or cancel them on the Jobs page)" if busy else tip)

    # -- variations ---------------------------------------------------------------
    def make_variations(self) -> Job | None:
        """Start the three arrangements (the wizard stays open to show them)."""
        if self.pair is None:
            return None
        return self.variations.start(*self.pair, max_stretch=self.max_stretch())

    def done(self, r: int) -> None:  # noqa: D401 - Qt override: closing stops a preview still playing
        self.variations.stop()
        super().done(r)

    # -- generate -----------------------------------------------------------------
    def generate(self) -> Job | None:
        """Start the Magic mashup job and close: the main window stays usable."""
        if self.pair is None:
            return None
        try:
            self.job = self.actions.magic(*self.pair, max_stretch=self.max_stretch())
        except MashupsError as e:
            msg, hint = describe_error(e)
            self._refuse(f"{msg}<br>{hint}")
            return None
        self.accept()
        return self.job
