"""The Magic wizard's variations: three arrangements of the pair with their
scores, a 20-second preview of each through the studio's playback, and Open
(the chosen one becomes an editable project in the editor). The work is
studio.magic_variations' jobs; this widget only shows and starts them."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget
from shiboken6 import isValid

from audio_engine.errors import MashupsError
from studio.controllers import SongActions
from studio.jobs import Job, JobState, describe_error
from studio.magic_variations import VariationItem, save_variation, start_variations
from studio.services import Services
from studio.widgets import Card, muted

RELATION_SHORT = {"same": "same key", "relative": "relative keys", "adjacent": "a fifth apart"}


class VariationsPanel(Card):
    #: True when the variations job starts, False when it ends (done, failed or cancelled)
    running_changed = Signal(bool)

    def __init__(self, services: Services, actions: SongActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.s = services
        self.actions = actions
        self.setObjectName("VariationsPanel")
        self.job: Job | None = None
        self.items: list[VariationItem] = []
        self.opened: str = ""  # path of the project last opened from here
        head = QLabel("<b>Variations</b>")
        self.body.addWidget(head)
        self.status = muted("")
        self.body.addWidget(self.status)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(6)
        self.body.addLayout(self.grid)
        self.play_buttons: list[QPushButton] = []
        self.open_buttons: list[QPushButton] = []
        row = QHBoxLayout()
        row.addStretch(1)
        self.stop_btn = QPushButton("Stop preview")
        self.stop_btn.clicked.connect(self.stop)
        self.stop_btn.setEnabled(False)
        row.addWidget(self.stop_btn)
        self.body.addLayout(row)
        self.wrapped: list[QLabel] = [self.status]  # word-wrapped labels: their height follows the width
        self._fitted_width = -1
        services.jobs.job_finished.connect(self._job_finished)
        self.hide()

    def running(self) -> bool:
        return self.job is not None and not self.job.state.finished

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self._fit(force=True)

    def _fit(self, force: bool = False) -> None:
        """Give every wrapped label the height its text needs at the card's
        width: a wrapped label in a layout is otherwise laid out too short when
        the dialog has no room to spare, and its text was clipped."""
        w = max(200, self.width() - 32)  # the card's side margins (Card.body)
        if w == self._fitted_width and not force:
            return
        self._fitted_width = w
        for lab in self.wrapped:
            lab.setMinimumHeight(max(0, lab.heightForWidth(w)))

    def _fit_height(self) -> None:
        """The card no less tall than its layout's minimum (status, rows, "Stop
        preview"): the dialog's layout measures the card by height-for-width,
        which came out shorter and cut them off."""
        need = self.body.minimumSize().height()
        if need != self.minimumHeight():
            self.setMinimumHeight(need)

    def event(self, e: QEvent) -> bool:
        done = super().event(e)
        if e.type() == QEvent.Type.LayoutRequest:  # after the layout ran (a longer status line)
            self._fit_height()
        return done

    def resizeEvent(self, e: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(e)
        self._fit()  # only a new width changes the heights: no feedback through the dialog's size

    def _job_finished(self, job: Job) -> None:
        if job is not self.job or not isValid(self):
            return
        if job.state == JobState.CANCELLED:
            self._say("Cancelled: no variations were made. “Three variations” starts again.")
        self.running_changed.emit(False)

    # -- making them ----------------------------------------------------------------
    def start(self, a_id: int, b_id: int, *, max_stretch: float) -> Job | None:
        self.show()
        self._clear()
        try:
            self.job = start_variations(self.s, a_id, b_id, max_stretch=max_stretch, on_result=self._ready,
                                        on_error=self._failed)
        except MashupsError as e:
            self._say(" ".join(describe_error(e)))
            return None
        self._say("Making three arrangements with 20-second previews… (Jobs page: progress and cancel)")
        self.running_changed.emit(True)
        return self.job

    def _clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.setParent(None)
                w.deleteLater()
        self.items, self.play_buttons, self.open_buttons = [], [], []
        self.wrapped = [self.status]

    def _failed(self, e: BaseException) -> None:
        if not isValid(self):
            return
        msg, hint = describe_error(e)
        self._say(f"No variations: {msg} {hint}")

    def _ready(self, items: list[VariationItem]) -> None:
        if not isValid(self):  # the wizard was closed meanwhile
            return
        self._clear()
        self.items = list(items)
        self.status.setText("Best first. Preview any of them; Open makes it an editable project in the editor.")
        for i, it in enumerate(self.items):
            rel = RELATION_SHORT.get(it.relation, it.relation)
            shift = f"; vocals {it.shift_a:+d} semitones" if it.shift_a else ""
            text = QLabel(f"<b>{i + 1}. {escape(it.name.capitalize())}</b>")
            text.setTextFormat(Qt.TextFormat.RichText)
            about = muted(f"{it.description} ({rel}{shift})")
            self.wrapped.append(about)  # a wrapped label in a grid is laid out one line high unless told its height
            score = QLabel(f"<b>{it.score * 100:.0f}</b> / 100")
            score.setToolTip("The pair's mashability and how well this arrangement fits")
            play = QPushButton("▶ Preview")
            play.setEnabled(it.preview is not None and it.preview.is_file())
            play.setToolTip("20 seconds around where the vocals come in")
            play.clicked.connect(lambda _c=False, k=i: self.preview(k))
            op = QPushButton("Open")
            op.setObjectName("Primary" if i == 0 else "")
            op.clicked.connect(lambda _c=False, k=i: self.open(k))
            self.grid.addWidget(text, 2 * i, 0)
            self.grid.addWidget(score, 2 * i, 1)
            self.grid.addWidget(play, 2 * i, 2)
            self.grid.addWidget(op, 2 * i, 3)
            self.grid.addWidget(about, 2 * i + 1, 0, 1, 4)
            self.play_buttons.append(play)
            self.open_buttons.append(op)
        self.grid.setColumnStretch(0, 1)
        # the rows shown now, not at the event loop's next pass: the sizes below count them, and
        # the dialog has its final size as soon as the results are there
        for k in range(self.grid.count()):
            w = self.grid.itemAt(k).widget()
            if w is not None:
                w.show()
        self._fit(force=True)
        self._fit_height()
        top = self.window().layout()
        if top is not None:
            top.activate()

    # -- using them -------------------------------------------------------------------
    def preview(self, k: int) -> None:
        """Play variation ``k``'s preview through the studio's transport."""
        it = self.items[k]
        if it.preview is None:
            return
        self.s.transport.load_file(it.preview, start=0.0, play=True)
        self.stop_btn.setEnabled(True)
        self._say(f"Playing the preview of {k + 1}. {it.name}.")

    def previews(self) -> set[str]:
        return {str(it.preview) for it in self.items if it.preview is not None}

    def stop(self) -> None:
        tr = self.s.transport
        if tr.source in self.previews() or tr.pending_source in self.previews():
            tr.pause()
        self.stop_btn.setEnabled(False)

    def open(self, k: int) -> Job:
        """Save variation ``k`` into the Projects folder and open it in the editor."""
        self.stop()
        for b in self.open_buttons:
            b.setEnabled(False)
        self._say(f"Opening {k + 1}. {self.items[k].name} in the editor…")

        def done(path: str) -> None:
            self.opened = path
            self.actions.magic_ready.emit(path)  # the main window opens it (asking to save the open one)
            if isValid(self):
                self._say("Opened in the editor; saved in your Projects folder.")
                self.status.setToolTip(path)
                for b in self.open_buttons:
                    b.setEnabled(True)

        def failed(e: BaseException) -> None:
            if isValid(self):
                self._failed(e)
                for b in self.open_buttons:
                    b.setEnabled(True)

        return save_variation(self.s, self.items[k], on_result=done, on_error=failed)
