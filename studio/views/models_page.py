"""Models page: every model kind of the engine's one catalog
(:mod:`audio_engine.models.catalog`: separation and captions) with size,
status, download with progress and cancel, import from disk and remove, all
through the same interface (no branching on the kind); the compute device
(detected in a worker process, so torch never loads in the UI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from audio_engine.models.catalog import ModelCatalog, ModelEntry
from audio_engine.progress import CancelToken, Progress
from studio.device_info import device_target
from studio.jobs import Job, JobState
from studio.services import Services
from studio.widgets import Card, clear_layout, fmt_bytes, muted, page_header


def list_models(catalog: ModelCatalog) -> list[tuple[str, list[ModelEntry]]]:
    """Each kind's label and its models, as the engine's one catalog lists them."""
    return [(k.label, k.list()) for k in catalog.kinds.values()]


class ModelRow(QFrame):
    def __init__(self, page: ModelsPage, info: ModelEntry) -> None:
        super().__init__()
        self.page = page
        self.info = info
        self.job: Job | None = None
        self.setObjectName("Card")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(14, 10, 14, 10)
        col = QVBoxLayout()
        self.name = QLabel(info.name)
        self.name.setStyleSheet("font-weight: 700;")
        col.addWidget(self.name)
        col.addWidget(muted(info.description))
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedHeight(8)
        self.bar.setTextVisible(False)
        self.bar.hide()
        col.addWidget(self.bar)
        lay.addLayout(col, 1)
        shown = info.size_bytes if info.installed else info.approx_bytes
        self.size = muted(fmt_bytes(shown) if shown else "—")
        self.status = QLabel()
        self.status.setObjectName("Badge")
        self.download = QPushButton(page.s.theme.icon("download"), "Download")
        self.download.clicked.connect(lambda: page.download(self))
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(lambda: self.job and page.s.jobs.cancel(self.job.id))
        self.import_btn = QPushButton("Import…")
        self.import_btn.clicked.connect(lambda: page.import_dialog(self))
        self.remove = QPushButton(page.s.theme.icon("trash", "danger"), "Remove")
        self.remove.setObjectName("Danger")
        self.remove.clicked.connect(lambda: page.remove(self))
        for w in (self.size, self.status, self.download, self.cancel, self.import_btn, self.remove):
            lay.addWidget(w)
        self.update_view()

    def update_view(self) -> None:
        busy = self.job is not None and not self.job.state.finished
        i = self.info
        self.status.setText("downloading" if busy else i.status)
        self.download.setVisible(not i.installed and not busy and not i.builtin and i.downloadable)
        self.import_btn.setVisible(not i.installed and not busy and not i.builtin)
        self.cancel.setVisible(busy)
        self.remove.setVisible(i.installed and not i.builtin)
        self.bar.setVisible(busy)
        if busy and self.job is not None:
            self.bar.setValue(int(self.job.fraction * 1000))


class ModelsPage(QWidget):
    def __init__(self, services: Services) -> None:
        super().__init__()
        self.s = services
        self.rows: dict[tuple[str, str], ModelRow] = {}
        self.device = QComboBox()
        for label, value in (("Automatic (GPU if available)", "auto"), ("CPU", "cpu"), ("NVIDIA GPU (CUDA)", "cuda"),
                             ("Apple GPU (MPS)", "mps")):
            self.device.addItem(label, value)
        i = self.device.findData(services.settings.str("models/device") or "auto")
        self.device.setCurrentIndex(max(0, i))
        self.device.currentIndexChanged.connect(lambda _i: services.settings.set("models/device", self.device.currentData()))
        self.device_info = muted("Detecting GPU…")
        self.refresh_btn = QPushButton(services.theme.icon("retry"), "Refresh")
        self.refresh_btn.clicked.connect(self.refresh)
        host = QWidget()
        self.body = QVBoxLayout(host)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(8)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(host)
        dev = Card()
        row = QHBoxLayout()
        row.addWidget(QLabel("Compute device"))
        row.addWidget(self.device)
        row.addWidget(self.device_info, 1)
        dev.body.addLayout(row)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        lay.addWidget(page_header("Models", "Separation and caption models run on this computer. Nothing is "
                                  "downloaded without your click; you can also import model files from disk.",
                                  [self.refresh_btn]))
        lay.addWidget(dev)
        lay.addWidget(scroll, 1)
        self.note = muted("")
        lay.addWidget(self.note)
        services.jobs.job_changed.connect(self._job_changed)
        self._detected = False
        self._listed = False

    def showEvent(self, event: Any) -> None:
        # Device detection imports torch (in a worker process): only when the page is first shown.
        if not self._listed:
            # listing reads the model folders: done when the page is first shown, after the show
            # (rows added inside showEvent were drawn squashed to a few pixels until the next layout pass)
            QTimer.singleShot(0, lambda: self._listed or self.refresh())
        if not self._detected:
            self._detected = True
            self._detect_device()
        super().showEvent(event)

    def _detect_device(self) -> None:
        def fn(progress: Any, cancel: CancelToken) -> dict[str, Any]:
            from audio_engine.worker import run_in_worker

            return run_in_worker(device_target, progress=progress, cancel=cancel)

        def done(info: dict[str, Any]) -> None:
            if info.get("cuda"):
                self.device_info.setText("GPU found: " + ", ".join(info.get("names", [])))
            elif info.get("mps"):
                self.device_info.setText("Apple GPU (MPS) found.")
            else:
                self.device_info.setText("No GPU found: models run on the CPU (slower, but everything works).")

        self.s.jobs.submit("Detect GPU", "io", fn, on_result=done, background=True)

    def refresh(self) -> None:
        self._listed = True
        clear_layout(self.body)
        old_jobs = {k: r.job for k, r in self.rows.items()}
        self.rows = {}
        for title, items in list_models(self.catalog()):
            head = QLabel(title)
            head.setStyleSheet("font-size: 15px; font-weight: 700; margin-top: 6px;")
            self.body.addWidget(head)
            for info in items:
                row = ModelRow(self, info)
                row.job = old_jobs.get((info.kind, info.name))
                row.update_view()
                self.rows[(info.kind, info.name)] = row
                self.body.addWidget(row)
        self.body.addStretch(1)

    def highlight(self, model: str) -> None:
        if not self._listed:
            self.refresh()
        for (_k, name), row in self.rows.items():
            if name == model:
                row.setStyleSheet(f"QFrame#Card {{ border: 2px solid {self.s.theme.colors['accent']}; }}")

    def row(self, kind: str, name: str) -> ModelRow:
        if not self._listed:
            self.refresh()
        return self.rows[(kind, name)]

    # -- actions (the same for every kind: the catalog's interface) -------------------
    def catalog(self) -> ModelCatalog:
        return ModelCatalog(self.s.paths.models)  # the folder Settings chose

    def download(self, row: ModelRow) -> Job:
        info = row.info
        kind = self.catalog().kind(info.kind)

        def fn(progress: Any, cancel: CancelToken) -> str:
            return str(kind.download(info.name, progress=progress, cancel=cancel))

        row.job = self.s.jobs.submit(f"Download {info.name}", "io", fn, on_result=lambda _p: self.refresh(),
                                     meta={"model": info.name})
        row.update_view()
        return row.job

    def import_dialog(self, row: ModelRow) -> None:
        kind = self.catalog().kind(row.info.kind)
        if kind.import_takes == "folder":
            d = QFileDialog.getExistingDirectory(self, f"Import {row.info.name}: choose the model's folder")
            if d:
                self.import_from(row, [Path(d)])
        else:
            files, _ = QFileDialog.getOpenFileNames(self, f"Import {row.info.name}: choose its weight files")
            if files:
                self.import_from(row, [Path(f) for f in files])

    def import_from(self, row: ModelRow, sources: list[Path]) -> Job:
        info = row.info
        kind = self.catalog().kind(info.kind)

        def fn(progress: Any, cancel: CancelToken) -> str:
            progress(Progress(0.1, "importing"))
            return str(kind.import_from(sources, name=info.name))

        def done(_r: str) -> None:
            self.note.setText(f"Imported {info.name}.")
            self.refresh()

        row.job = self.s.jobs.submit(f"Import {info.name}", "io", fn, on_result=done, meta={"model": info.name})
        row.update_view()
        return row.job

    def remove(self, row: ModelRow) -> Job:
        info = row.info
        kind = self.catalog().kind(info.kind)

        def fn(progress: Any, cancel: CancelToken) -> int:
            return kind.remove(info.name)

        return self.s.jobs.submit(f"Remove {info.name}", "io", fn, on_result=lambda _n: self.refresh())

    def _job_changed(self, job: Job) -> None:
        for row in self.rows.values():
            if row.job is job:
                row.update_view()
                if job.state == JobState.FAILED:
                    self.note.setText(f"{job.title} failed: {job.error} {job.hint}")
