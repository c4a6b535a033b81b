"""Projects page: local and cloud projects in one list (a waveform of the first
song when the studio has its peaks, where it lives, sync state, size, last edit), with Open (a cloud project is downloaded first:
media on demand, with progress and resume, from a content-addressed cache),
Save to cloud, Rename, Remove from cloud (a tombstone: the local copy stays),
Publish… (the publish dialog for that project, the plan's remaining publishes
shown beside the button before the click).
Every cloud action runs as a job; the page never waits on the network."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.cloud import CloudController
from studio.jobs import Job
from studio.peaks import Peaks
from studio.services import Services
from studio.widgets import fmt_bytes, muted, page_header


@dataclass
class Row:
    title: str
    local: Path | None
    cloud_id: str | None
    state: str
    size: int
    modified: float
    model_id: str | None = None


def _local_info(folder: Path) -> tuple[str, str | None, float] | None:
    f = folder / "project.json"
    try:
        d = json.loads(f.read_bytes())
        p = d.get("project") or {}
        return str(p.get("title") or folder.stem), (str(p["id"]) if p.get("id") else None), f.stat().st_mtime
    except (OSError, ValueError, AttributeError):
        return None


def _first_media(folder: Path) -> str | None:
    try:
        d = json.loads((folder / "project.json").read_bytes())
        media = (d.get("project") or {}).get("media") or {}
        return next(iter(media), None)
    except (OSError, ValueError, AttributeError):
        return None


def waveform_thumbnail(peaks: Peaks, width: int = 96, height: int = 26, color: str = "#8b7cf6") -> QPixmap:
    """A small min/max waveform of a song (from the studio's peak cache)."""
    mins, maxs = peaks.slice(0.0, max(peaks.duration, 0.001), width)
    pm = QPixmap(width, height)
    pm.fill(QColor(0, 0, 0, 0))
    qp = QPainter(pm)
    qp.setPen(QColor(color))
    mid = height / 2
    for x, (lo, hi) in enumerate(zip(mins, maxs, strict=False)):
        qp.drawLine(x, int(mid - float(hi) * mid), x, int(mid - float(lo) * mid))
    qp.end()
    return pm


def _folder_size(folder: Path) -> int:
    try:
        return sum(p.stat().st_size for p in (folder / "media").iterdir() if p.is_file())
    except OSError:
        return 0


class ProjectsPage(QWidget):
    open_requested = Signal(str)  # a local .mashup folder to open in the editor
    publish_requested = Signal(str)  # a local .mashup folder to render and publish (the publish dialog)

    def __init__(self, services: Services, cloud: CloudController) -> None:
        super().__init__()
        self.s = services
        self.cloud = cloud
        self.rows: list[Row] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        self.refresh_btn = QPushButton("Refresh")
        self.refresh_btn.clicked.connect(self.sync_and_refresh)
        lay.addWidget(page_header("Projects", "Your projects on this computer and in the cloud", [self.refresh_btn]))
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("projects_table")
        self.table.setHorizontalHeaderLabels(["Title", "Where", "Sync", "Size", "Last edit"])
        # the title takes the room a wider window gives (it was cut at "Sunrise Drive x Midnight …" while
        # "Last edit" stretched over half the table when maximised)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setIconSize(QSize(96, 26))
        self.table.verticalHeader().setDefaultSectionSize(36)
        for column, width in ((1, 130), (2, 120), (3, 90), (4, 150)):
            self.table.setColumnWidth(column, width)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._selection)
        self.table.itemDoubleClicked.connect(lambda _i: self.open_selected())
        lay.addWidget(self.table, 1)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress_label = muted("")
        lay.addWidget(self.progress_label)
        lay.addWidget(self.progress)
        row = QHBoxLayout()
        self.open_btn = QPushButton("Open")
        self.open_btn.setObjectName("Primary")
        self.save_btn = QPushButton("Save to cloud")
        self.rename_btn = QPushButton("Rename…")
        self.remove_btn = QPushButton("Remove from cloud")
        self.publish_btn = QPushButton("Publish…")
        self.publish_btn.setObjectName("projects_publish")
        for b, fn in ((self.open_btn, self.open_selected), (self.save_btn, self.save_selected),
                      (self.rename_btn, self.rename_selected), (self.remove_btn, self.remove_selected),
                      (self.publish_btn, self.publish_selected)):
            b.clicked.connect(fn)
            row.addWidget(b)
        self.publish_quota = muted("")  # "2 of 3 publishes this month left", from the plan (show_publish_quota)
        self.publish_quota.setObjectName("projects_publish_quota")
        self.publish_quota.setWordWrap(False)
        self.publishes_left: int | None = None  # None: unknown or unlimited
        row.addWidget(self.publish_quota)
        row.addStretch(1)
        self.note = QLabel("")
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)  # at 1100x700 the sign-in hint ran past the window's edge
        self.note.setMinimumWidth(120)
        row.addWidget(self.note, 1)
        lay.addLayout(row)
        cloud.projects_changed.connect(self.refresh)
        cloud.status_changed.connect(lambda _s: self._selection())
        self.refresh()

    # -- data -----------------------------------------------------------------
    def _local_folders(self) -> list[Path]:
        seen: dict[Path, None] = {}
        root = self.s.projects_dir
        if root.is_dir():
            for p in sorted(root.glob("*.mashup")):
                seen[p.resolve()] = None
        for r in self.s.settings.get("recent_projects"):
            p = Path(r)
            if p.is_dir():
                seen[p.resolve()] = None
        return list(seen)

    def refresh(self) -> None:
        rows: list[Row] = []
        cloud_rows = []
        ps = self.cloud.projects
        if ps is not None and self.cloud.signed_in:
            cloud_rows = ps.list()
        by_path = {cp.local_path.resolve(): cp for cp in cloud_rows if cp.local_path is not None}
        used: set[str] = set()
        for folder in self._local_folders():
            info = _local_info(folder)
            if info is None:
                continue
            title, model_id, mtime = info
            cp = by_path.get(folder)
            if cp is None and ps is not None and model_id and self.cloud.signed_in:
                pid = ps.project_for(model_id)
                cp = next((c for c in cloud_rows if c.id == pid), None)
            if cp is not None:
                used.add(cp.id)
                rows.append(Row(cp.title or title, folder, cp.id, cp.state, _folder_size(folder), mtime, model_id))
            else:
                rows.append(Row(title, folder, None, "local only", _folder_size(folder), mtime, model_id))
        for cp in cloud_rows:
            if cp.id not in used:
                rows.append(Row(cp.title, None, cp.id, cp.state, cp.size_bytes, 0.0))
        self.rows = sorted(rows, key=lambda r: (-r.modified, r.title.lower()))
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            where = "here + cloud" if r.local and r.cloud_id else "cloud" if r.cloud_id else "here"
            cells = [r.title, where, r.state, fmt_bytes(r.size),
                     time.strftime("%Y-%m-%d %H:%M", time.localtime(r.modified)) if r.modified else "—"]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 0 and r.local:
                    item.setToolTip(f"{r.title}\n{r.local}")
                    thumb = self._thumbnail(r.local)
                    if thumb is not None:
                        item.setIcon(QIcon(thumb))
                self.table.setItem(i, j, item)
        if self.cloud.status.state == "not_configured":
            self.note.setText("Cloud off: projects stay on this computer.")
        elif not self.cloud.signed_in:
            self.note.setText("Sign in (account button, top right) to keep projects in the cloud.")
        else:
            self.note.setText("")
        self._selection()

    def _thumbnail(self, folder: Path) -> QPixmap | None:
        h = _first_media(folder)
        peaks = self.s.peaks.cached(h) if h else None
        return None if peaks is None else waveform_thumbnail(peaks)

    def selected(self) -> Row | None:
        i = self.table.currentRow()
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def select_title(self, title: str) -> bool:
        for i, r in enumerate(self.rows):
            if r.title == title:
                self.table.selectRow(i)
                return True
        return False

    def _selection(self) -> None:
        r = self.selected()
        signed = self.cloud.signed_in
        self.open_btn.setEnabled(r is not None and (r.local is not None or signed))
        self.save_btn.setEnabled(bool(r and r.local and signed))
        self.save_btn.setText("Update in cloud" if r and r.cloud_id else "Save to cloud")
        self.rename_btn.setEnabled(bool(r and r.cloud_id and signed))
        self.remove_btn.setEnabled(bool(r and r.cloud_id and signed))
        used_up = self.publishes_left is not None and self.publishes_left <= 0
        self.publish_btn.setEnabled(bool(r and r.local and signed and not used_up))
        self.publish_btn.setToolTip(
            "Sign in to publish." if not signed
            else "Your plan's publishes for this month are used up (Billing page)." if used_up
            else "Open it first: publishing renders the copy on this computer." if r and not r.local
            else "Render this project and publish it to the community")
        if not signed:
            self.publish_quota.setText("")

    def show_publish_quota(self, left: int | None, text: str) -> None:
        """What remains of the plan's monthly publishes, shown before Publish… is clicked."""
        self.publishes_left = left
        self.publish_quota.setText(text if self.cloud.signed_in else "")
        self._selection()

    # -- actions ----------------------------------------------------------------
    def sync_and_refresh(self) -> None:
        self.refresh()
        self.cloud.sync_now()

    def _track(self, job: Job, text: str) -> None:
        self.progress_label.setText(text)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setVisible(True)

        def changed(j: object) -> None:
            if not isinstance(j, Job) or j.id != job.id:
                return
            self.progress.setValue(int(j.fraction * 1000))
            self.progress_label.setText(f"{text} {j.stage}")
            if j.state.finished:
                self.progress.setVisible(False)
                self.progress_label.setText(f"{text} {j.error or 'done'}")
                self.s.jobs.job_changed.disconnect(changed)

        self.s.jobs.job_changed.connect(changed)

    def open_selected(self) -> None:
        r = self.selected()
        if r is None:
            return
        if r.local is not None:
            self.open_requested.emit(str(r.local))
            return
        assert r.cloud_id is not None
        safe = "".join(ch for ch in r.title if ch not in '/\\:*?"<>|').strip() or r.cloud_id
        dest = self.s.projects_dir / f"{safe}.mashup"
        n = 2
        while dest.exists():
            dest = self.s.projects_dir / f"{safe} ({n}).mashup"
            n += 1
        job = self.cloud.open_from_cloud(r.cloud_id, dest, on_done=lambda folder: self.open_requested.emit(str(folder)))
        self._track(job, f"Downloading “{r.title}”…")

    def save_selected(self) -> None:
        r = self.selected()
        if r is None or r.local is None:
            return
        job = self.cloud.save_to_cloud(r.local)
        self._track(job, f"Saving “{r.title}” to the cloud…")

    def publish_selected(self) -> None:
        r = self.selected()
        if r is None or r.local is None:
            return
        self.publish_requested.emit(str(r.local))

    def rename_selected(self) -> None:
        r = self.selected()
        if r is None or r.cloud_id is None:
            return
        title, ok = QInputDialog.getText(self, "Rename", "New title", text=r.title)
        if ok and title.strip():
            self.rename(r, title.strip())

    def rename(self, r: Row, title: str) -> None:
        assert r.cloud_id is not None
        try:
            self.cloud.rename(r.cloud_id, title)
        except ValueError as e:
            self.note.setText(str(e))

    def remove_selected(self) -> None:
        r = self.selected()
        if r is None or r.cloud_id is None:
            return
        self.cloud.remove_from_cloud(r.cloud_id)
        self.note.setText(f"“{r.title}” removed from the cloud" + ("; the copy on this computer stays."
                                                                   if r.local else "."))

