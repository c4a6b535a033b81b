"""Jobs page: every job with progress, stage, ETA, cancel, retry and errors
in words; background work (waveforms, cache measuring, GPU detection,
playback renders) only with "Show background tasks"; jobs of earlier
sessions from the saved history."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.job_history import HistoryEntry
from studio.jobs import Job, JobRunner, JobState
from studio.services import Services
from studio.widgets import fmt_eta, muted, page_header

KIND_LABEL = {"ml": "AI", "cpu": "CPU", "io": "I/O", "sync": "Sync"}


class JobRow(QFrame):
    def __init__(self, job: Job, runner: JobRunner, services: Services) -> None:
        super().__init__()
        self.setObjectName("Card")
        self.job = job
        self.runner = runner
        t = services.theme
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 10, 14, 10)
        lay.setSpacing(6)
        top = QHBoxLayout()
        self.kind = QLabel(KIND_LABEL.get(job.kind, job.kind))
        self.kind.setObjectName("Badge")
        self.title = QLabel(job.title)
        self.title.setStyleSheet("font-weight: 600;")
        self.stage = muted("")
        self.eta = muted("")
        self.cancel_btn = QToolButton()
        self.cancel_btn.setIcon(t.icon("cancel"))
        self.cancel_btn.setToolTip("Cancel")
        self.cancel_btn.clicked.connect(lambda: runner.cancel(self.job.id))
        self.retry_btn = QToolButton()
        self.retry_btn.setIcon(t.icon("retry"))
        self.retry_btn.setToolTip("Retry")
        self.retry_btn.clicked.connect(lambda: runner.retry(self.job.id))
        top.addWidget(self.kind)
        top.addWidget(self.title, 1)
        top.addWidget(self.stage)
        top.addWidget(self.eta)
        top.addWidget(self.cancel_btn)
        top.addWidget(self.retry_btn)
        lay.addLayout(top)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        lay.addWidget(self.bar)
        self.error = QLabel("")
        self.error.setObjectName("Error")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.error)
        self.update_view()

    def update_view(self) -> None:
        j = self.job
        self.bar.setValue(int(j.fraction * 1000))
        text = j.stage
        if j.message and j.state == JobState.RUNNING:
            text = f"{j.stage} · {j.message}"
        if j.state == JobState.DONE:
            text = f"done in {j.elapsed_s:.1f} s"
        self.stage.setText(text)
        self.eta.setText(fmt_eta(j.eta_s) if j.state == JobState.RUNNING else "")
        self.cancel_btn.setVisible(not j.state.finished)
        self.retry_btn.setVisible(j.state in (JobState.FAILED, JobState.CANCELLED))
        if j.state == JobState.FAILED:
            self.error.setText(j.error + (f"\nWhat to do: {j.hint}" if j.hint else ""))
        self.error.setVisible(j.state == JobState.FAILED)


def _when(t: float) -> str:
    lt, now = time.localtime(t), time.localtime()
    if lt[:3] == now[:3]:
        return time.strftime("today %H:%M", lt)
    return time.strftime("%d %b %H:%M", lt)


class HistoryRow(QFrame):
    """A job of an earlier session (from the saved history): what, when, how it ended."""

    def __init__(self, entry: HistoryEntry) -> None:
        super().__init__()
        self.setObjectName("Card")
        self.entry = entry
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 8, 14, 8)
        lay.setSpacing(4)
        top = QHBoxLayout()
        kind = QLabel(KIND_LABEL.get(entry.kind, entry.kind))
        kind.setObjectName("Badge")
        self.title = QLabel(entry.title)
        self.title.setStyleSheet("font-weight: 600;")
        state = f"done in {entry.seconds:.1f} s" if entry.state == JobState.DONE else entry.state
        self.stage = muted(f"{state} · {_when(entry.finished_at)}")
        self.stage.setWordWrap(False)
        top.addWidget(kind)
        top.addWidget(self.title, 1)
        top.addWidget(self.stage)
        lay.addLayout(top)
        if entry.state == JobState.FAILED and entry.error:
            err = QLabel(entry.error + (f"\nWhat to do: {entry.hint}" if entry.hint else ""))
            err.setObjectName("Error")
            err.setWordWrap(True)
            err.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lay.addWidget(err)


class JobsPage(QWidget):
    def __init__(self, services: Services) -> None:
        super().__init__()
        self.s = services
        self.runner = services.jobs
        self.rows: dict[int, JobRow] = {}
        self.history_rows: list[HistoryRow] = []
        clear = QPushButton("Clear finished")
        clear.setToolTip("Remove finished jobs, including the history of earlier sessions")
        clear.clicked.connect(self.clear_finished)
        cancel_all = QPushButton("Cancel all")
        cancel_all.clicked.connect(self.runner.cancel_all)
        self.show_background = QPushButton("Show background tasks")
        self.show_background.setCheckable(True)
        self.show_background.setToolTip("Waveforms, playback preparation, cache measuring and GPU detection")
        self.show_background.toggled.connect(
            lambda on: (self.show_background.setText("Hide background tasks" if on else "Show background tasks"),
                        self._apply_filter()))
        self.summary = muted("")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        lay.addWidget(page_header("Jobs", "Analysis, separation, captions and renders. One AI job runs at a time; "
                                  "the rest wait in line.", [self.show_background, cancel_all, clear]))
        lay.addWidget(self.summary)
        self.list_host = QWidget()
        self.list_lay = QVBoxLayout(self.list_host)
        self.list_lay.setContentsMargins(0, 0, 0, 0)
        self.list_lay.setSpacing(8)
        self.list_lay.addStretch(1)
        self.empty = muted("No jobs yet. Import a song and it is analysed here in the background.")
        self.list_lay.insertWidget(0, self.empty)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list_host)
        lay.addWidget(scroll, 1)
        self.runner.job_added.connect(self._add)
        self.runner.job_changed.connect(self._changed)
        self.earlier = QLabel("EARLIER SESSIONS")
        self.earlier.setObjectName("SidebarSection")
        history = self.runner.history.entries() if self.runner.history is not None else []
        if history:
            self.list_lay.insertWidget(self.list_lay.count() - 1, self.earlier)
            for e in history:
                row_h = HistoryRow(e)
                self.history_rows.append(row_h)
                self.list_lay.insertWidget(self.list_lay.count() - 1, row_h)
        else:
            self.earlier.hide()
        for j in self.runner.jobs():
            self._add(j)
        self._apply_filter()

    def _add(self, job: Job) -> None:
        row = JobRow(job, self.runner, self.s)
        self.rows[job.id] = row
        self.list_lay.insertWidget(0, row)
        row.setVisible(not job.background or self.show_background.isChecked())
        self._apply_filter()

    def visible_rows(self) -> list[JobRow]:
        return [r for r in self.rows.values() if not r.isHidden()]

    def _apply_filter(self) -> None:
        show_bg = self.show_background.isChecked()
        for r in self.rows.values():
            r.setVisible(not r.job.background or show_bg)
        self.empty.setVisible(not self.visible_rows() and not self.history_rows)
        self._summarise()

    def _changed(self, job: Job) -> None:
        row = self.rows.get(job.id)
        if row is not None:
            row.update_view()
        self._summarise()

    def _summarise(self) -> None:
        jobs = [j for j in self.runner.jobs() if not j.background]
        running = sum(1 for j in jobs if j.state == JobState.RUNNING)
        queued = sum(1 for j in jobs if j.state == JobState.QUEUED)
        failed = sum(1 for j in jobs if j.state == JobState.FAILED)
        bg = sum(1 for j in self.runner.active() if j.background)
        extra = f" · {bg} background task{'s' if bg != 1 else ''}" if bg and not self.show_background.isChecked() else ""
        self.summary.setText(f"{running} running · {queued} waiting · {failed} failed{extra}")

    def clear_finished(self) -> None:
        for jid, row in list(self.rows.items()):
            if row.job.state.finished:
                row.setParent(None)
                row.deleteLater()
                del self.rows[jid]
        self.runner.clear_finished()
        for h in self.history_rows:
            h.setParent(None)
            h.deleteLater()
        self.history_rows.clear()
        self.earlier.hide()
        if self.runner.history is not None:
            self.runner.history.clear()
        self._apply_filter()
