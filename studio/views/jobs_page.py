"""Jobs page: every job with progress, stage, ETA, cancel, retry and errors in words."""

from __future__ import annotations

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


class JobsPage(QWidget):
    def __init__(self, services: Services) -> None:
        super().__init__()
        self.s = services
        self.runner = services.jobs
        self.rows: dict[int, JobRow] = {}
        clear = QPushButton("Clear finished")
        clear.clicked.connect(self.clear_finished)
        cancel_all = QPushButton("Cancel all")
        cancel_all.clicked.connect(self.runner.cancel_all)
        self.summary = muted("")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        lay.addWidget(page_header("Jobs", "Analysis, separation, captions and renders. One AI job runs at a time; "
                                  "the rest wait in line.", [cancel_all, clear]))
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
        for j in self.runner.jobs():
            self._add(j)
        self._summarise()

    def _add(self, job: Job) -> None:
        row = JobRow(job, self.runner, self.s)
        self.rows[job.id] = row
        self.list_lay.insertWidget(0, row)
        self.empty.hide()
        self._summarise()

    def _changed(self, job: Job) -> None:
        row = self.rows.get(job.id)
        if row is not None:
            row.update_view()
        self._summarise()

    def _summarise(self) -> None:
        jobs = self.runner.jobs()
        running = sum(1 for j in jobs if j.state == JobState.RUNNING)
        queued = sum(1 for j in jobs if j.state == JobState.QUEUED)
        failed = sum(1 for j in jobs if j.state == JobState.FAILED)
        self.summary.setText(f"{running} running · {queued} waiting · {failed} failed")

    def clear_finished(self) -> None:
        for jid, row in list(self.rows.items()):
            if row.job.state.finished:
                row.setParent(None)
                row.deleteLater()
                del self.rows[jid]
        self.runner.clear_finished()
        self.empty.setVisible(not self.rows)
        self._summarise()
