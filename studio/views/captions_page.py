"""Captions page: write a song's captions (a job, like the Library's), its
lines and words synced to playback (click a line to hear it from there, the
current line is highlighted), editable text and times (through the engine's
caption edit operations), and export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audio_engine import captions as cap
from audio_engine.captions import CaptionDoc
from audio_engine.errors import MashupsError
from studio.controllers import SongActions
from studio.jobs import Job, JobState, describe_error
from studio.services import Services
from studio.widgets import muted, page_header, show_message

EXPORT_FORMATS = {"SRT subtitles": "srt", "WebVTT": "vtt", "LRC lyrics": "lrc", "Enhanced LRC (word times)": "elrc",
                  "ASS (karaoke)": "ass", "JSON": "json"}


def _clock(t: float) -> str:
    m, s = divmod(max(0.0, t), 60.0)
    return f"{int(m):02d}:{s:06.3f}"


def _parse_clock(text: str) -> float:
    text = text.strip()
    if ":" in text:
        m, s = text.split(":", 1)
        return int(m) * 60 + float(s)
    return float(text)


class CaptionJobControls(QObject):
    """"Write captions" for the page's song as a job of the one job runner:
    the button, a progress bar and Cancel. A caption job for the same song
    started elsewhere (the Library) shows here too; a missing model is
    handled by the window's Models prompt (SongActions.model_missing)."""

    def __init__(self, page: CaptionsPage) -> None:
        super().__init__(page)
        self.page = page
        self.job: Job | None = None
        self.write_btn = QPushButton(page.s.theme.icon("captions", "accent_text"), "Write captions")
        self.write_btn.setObjectName("Primary")
        self.write_btn.setToolTip("Transcribe the song's words with Whisper on this computer (vocals stem when "
                                  "the song is separated). Model and language: Settings.")
        self.write_btn.clicked.connect(self.write)
        bold = self.write_btn.font()
        bold.setBold(True)
        # room for the longer label in the bold face the theme gives primary buttons
        self.write_btn.setMinimumWidth(QFontMetrics(bold).horizontalAdvance("Rewrite captions") + 56)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setVisible(False)
        self.cancel_btn.clicked.connect(self.cancel)
        page.s.jobs.job_changed.connect(self._changed)
        page.s.jobs.job_finished.connect(self._changed)

    def busy(self) -> bool:
        return self.job is not None and not self.job.state.finished

    def write(self) -> None:
        if self.page.song_id is None or self.busy():
            return
        self.job = self.page.actions.caption(self.page.song_id)
        self._changed(self.job)

    def cancel(self) -> None:
        if self.job is not None and self.busy():
            self.page.s.jobs.cancel(self.job.id)

    def _changed(self, job: Any) -> None:
        if not isinstance(job, Job):
            return
        if self.job is None or job.id != self.job.id:
            mine = job.meta.get("action") == "caption" and job.meta.get("song") == self.page.song_id
            if not (mine and not job.state.finished):
                return
            self.job = job  # started from the Library: show it here too
        running = not job.state.finished
        self.progress.setVisible(running)
        self.cancel_btn.setVisible(running)
        if running:
            self.progress.setValue(int(job.fraction * 1000))
            self.progress.setFormat(f"{job.stage} %p%")
        elif job.state == JobState.FAILED:
            self.page.info.setText(f"Captions were not written: {job.error} {job.hint}".strip())
        elif job.state == JobState.CANCELLED:
            self.page.info.setText("Writing captions was cancelled.")
        self.update_button()

    def update_button(self) -> None:
        self.write_btn.setEnabled(self.page.song_id is not None and not self.busy())
        self.write_btn.setText("Rewrite captions" if self.page.doc is not None else "Write captions")


class CaptionsPage(QWidget):
    def __init__(self, services: Services, actions: SongActions) -> None:
        super().__init__()
        self.s = services
        self.actions = actions
        self.song_id: int | None = None
        self.doc: CaptionDoc | None = None
        self.current = -1
        self._filling = False
        self.song = QComboBox()
        self.song.setMinimumWidth(180)  # at 1100x700 the whole tool row must fit: it overlapped at 240
        self.song.setMaximumWidth(480)
        self.song.currentIndexChanged.connect(self._song_chosen)
        self.format = QComboBox()
        self.format.addItems(list(EXPORT_FORMATS))
        self.export_btn = QPushButton(services.theme.icon("export"), "Export…")
        self.export_btn.clicked.connect(self.export_dialog)
        self.export_btn.setEnabled(False)  # until a song with captions is shown (_update_buttons)
        self.play_btn = QPushButton(services.theme.icon("play"), "Play song")
        self.play_btn.clicked.connect(self._play_song)
        self.jobs = CaptionJobControls(self)
        self.write_btn, self.progress, self.cancel_btn = self.jobs.write_btn, self.jobs.progress, self.jobs.cancel_btn
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Start", "End", "Text"])
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 100)
        self.table.setColumnWidth(1, 100)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(32)
        self.table.setWordWrap(True)  # a long line wraps in its row instead of ending in "…"
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.horizontalHeader().sectionResized.connect(lambda col, _o, _n: self._fit_rows() if col == 2 else None)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.cellClicked.connect(self._clicked)
        self.table.itemChanged.connect(self._edited)
        self.words = QTableWidget(0, 3)
        self.words.setHorizontalHeaderLabels(["Word", "Start", "End"])
        # Times take what they need, the word gets the rest; a word wider than that wraps, never "wor…".
        wh = self.words.horizontalHeader()
        wh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        wh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        wh.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.words.setWordWrap(True)
        self.words.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.words.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.words.setMinimumWidth(300)
        self.words.verticalHeader().setVisible(False)
        self.words.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.words.cellClicked.connect(self._word_clicked)
        self.info = muted("Pick a song and press “Write captions”. Click a line to hear it from there; "
                          "double-click a cell to edit text or times.")
        self.info.setWordWrap(True)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.words)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        lay.addWidget(page_header("Captions", "Lyrics with word timing, written on this computer by Whisper."))
        tools = QHBoxLayout()
        tools.setSpacing(8)
        tools.addWidget(self.song, 1)
        tools.addWidget(self.write_btn)
        tools.addWidget(self.play_btn)
        tools.addSpacing(8)
        self.format.setMaximumWidth(170)
        tools.addWidget(self.format)
        tools.addWidget(self.export_btn)
        lay.addLayout(tools)
        status = QHBoxLayout()
        status.addWidget(self.info, 1)
        status.addWidget(self.progress)
        status.addWidget(self.cancel_btn)
        lay.addLayout(status)
        lay.addWidget(split, 1)
        services.transport.position_changed.connect(self._position)
        actions.song_updated.connect(self._song_updated)
        self._update_buttons()

    # -- songs ---------------------------------------------------------------
    def refresh_songs(self) -> None:
        self.song.blockSignals(True)
        self.song.clear()
        for s in self.s.library.all():
            self.song.addItem(s.title if s.captions else f"{s.title} · no captions yet", s.id)
        if self.song_id is not None:
            i = self.song.findData(self.song_id)
            if i >= 0:
                self.song.setCurrentIndex(i)
        self.song.blockSignals(False)

    def showEvent(self, e: object) -> None:  # type: ignore[override]
        self.refresh_songs()
        if self.song_id is None and self.song.count():
            self._song_chosen(self.song.currentIndex())
        super().showEvent(e)  # type: ignore[arg-type]

    def _song_chosen(self, index: int) -> None:
        sid = self.song.itemData(index)
        if isinstance(sid, int):
            self.show_song(sid)

    def show_song(self, song_id: int) -> None:
        song = self.s.library.get(song_id)
        self.song_id = song_id
        self.refresh_songs()
        # nothing of the previous song stays on screen
        self.doc = None
        self.table.setRowCount(0)
        self.words.setRowCount(0)
        self.current = -1
        self._update_buttons()
        if not song.captions or not Path(song.captions).is_file():
            self.info.setText(f"“{song.title}” has no captions yet: press “Write captions”.")
            return
        try:
            self.doc = CaptionDoc.from_dict(json.loads(Path(song.captions).read_text()))
        except (OSError, ValueError, MashupsError) as e:
            self.info.setText(f"The captions of “{song.title}” cannot be read: {e}. “Write captions” makes new ones.")
            return
        self.info.setText(f"“{song.title}” · {len(self.doc.segments)} lines · {len(self.doc.words())} words"
                          f" · language {self.doc.language or '?'}")
        self._fill()
        self._update_buttons()

    def _fill(self) -> None:
        self._filling = True
        doc = self.doc
        assert doc is not None
        self.table.setRowCount(len(doc.segments))
        for r, seg in enumerate(doc.segments):
            for c, text in enumerate((_clock(seg.start), _clock(seg.end), seg.text)):
                item = QTableWidgetItem(text)
                if c < 2:
                    item.setTextAlignment(int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter))
                self.table.setItem(r, c, item)
        self._filling = False
        self.current = -1
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Each line's row tall enough for its wrapped text (Qt's own
        resize-to-contents measures with the style sheet's padding left out)."""
        width = max(40, self.table.columnWidth(2) - 24)
        fm = self.table.fontMetrics()
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 2)
            text = item.text() if item is not None else ""
            h = fm.boundingRect(QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), text).height()
            self.table.setRowHeight(r, max(32, h + 14))

    def write_captions(self) -> None:
        self.jobs.write()

    def _update_buttons(self) -> None:
        self.jobs.update_button()
        self.play_btn.setEnabled(self.song_id is not None)
        has = self.doc is not None
        self.export_btn.setEnabled(has)
        self.export_btn.setToolTip("Save these captions as subtitles or lyrics in the format on the left" if has
                                   else "This song has no captions yet: “Write captions” first")

    def _song_updated(self, song_id: int) -> None:
        if song_id == self.song_id and self.isVisible():
            song = self.s.library.get(song_id)
            if song.captions and self.doc is None:
                self.show_song(song_id)

    # -- sync with playback -----------------------------------------------------
    def _play_from(self, seconds: float) -> None:
        """Hear the song from ``seconds`` (loading it first when another source is loaded)."""
        if self.song_id is None:
            return
        song = self.s.library.get(self.song_id)
        self.s.transport.load_file(song.path, start=seconds, play=True)

    def _play_song(self) -> None:
        self._play_from(self.s.transport.seconds if self._song_is_loaded() else 0.0)

    def _song_is_loaded(self) -> bool:
        return self.song_id is not None and self.s.transport.source == str(self.s.library.get(self.song_id).path)

    def _clicked(self, row: int, _col: int) -> None:
        if self.doc is None or row >= len(self.doc.segments):
            return
        self._play_from(self.doc.segments[row].start)
        self._show_words(row)
        self._highlight(row)

    def _show_words(self, row: int) -> None:
        assert self.doc is not None
        words = self.doc.segments[row].words
        self.words.setRowCount(len(words))
        for r, w in enumerate(words):
            for c, text in enumerate((w.text, _clock(w.start), _clock(w.end))):
                self.words.setItem(r, c, QTableWidgetItem(text))
        self._word_row_segment = row

    def _word_clicked(self, row: int, _col: int) -> None:
        if self.doc is None:
            return
        seg = self.doc.segments[getattr(self, "_word_row_segment", 0)]
        if row < len(seg.words):
            self._play_from(seg.words[row].start)

    def _position(self, seconds: float) -> None:
        if self.doc is None or not self._song_is_loaded():
            return
        row = next((i for i, s in enumerate(self.doc.segments) if s.start <= seconds < s.end), -1)
        if row != self.current:
            self._highlight(row)

    def _highlight(self, row: int) -> None:
        accent = self.s.theme.color("selected")
        for r in (self.current, row):
            if 0 <= r < self.table.rowCount():
                for c in range(3):
                    item = self.table.item(r, c)
                    if item is not None:
                        item.setBackground(QBrush(accent) if r == row else QBrush(QColor(0, 0, 0, 0)))
        self.current = row
        if row >= 0:
            self.table.scrollToItem(self.table.item(row, 0))

    # -- editing -----------------------------------------------------------------------
    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling or self.doc is None:
            return
        r, c = item.row(), item.column()
        try:
            if c == 2:
                new = cap.replace_text(self.doc, r, item.text())
            else:
                t = _parse_clock(item.text())
                new = cap.retime(self.doc, r, start=t) if c == 0 else cap.retime(self.doc, r, end=t)
        except (MashupsError, ValueError) as e:
            msg = describe_error(e)[0] if isinstance(e, MashupsError) else f"“{item.text()}” is not a time (use mm:ss.mmm)."
            self.info.setText(f"Not changed: {msg}")
            self._fill()
            return
        self.doc = new
        self._save()
        self._fill()

    def _save(self) -> None:
        if self.doc is None or self.song_id is None:
            return
        song = self.s.library.get(self.song_id)
        if not song.captions:
            return
        from audio_engine.atomic import atomic_write_text

        atomic_write_text(Path(song.captions), json.dumps(self.doc.to_dict()))

    def export_dialog(self) -> None:
        if self.doc is None or self.song_id is None:
            show_message(self, "Export captions", "Pick a song with captions first.", error=False)
            return
        fmt = EXPORT_FORMATS[self.format.currentText()]
        ext = {"elrc": "lrc"}.get(fmt, fmt)
        song = self.s.library.get(self.song_id)
        f, _ = QFileDialog.getSaveFileName(self, "Export captions", str(Path.home() / f"{song.title}.{ext}"))
        if f:
            self.export_to(Path(f), fmt)

    def export_to(self, path: Path, fmt: str) -> Path | None:
        assert self.doc is not None
        try:
            out = cap.export(self.doc, path, format=fmt)
        except MashupsError as e:
            msg, hint = describe_error(e)
            show_message(self, "Export captions", f"{msg}\n{hint}")
            return None
        self.info.setText(f"Exported {out}")
        return Path(out)


