"""The Storage box of the Settings page: where the library and projects,
the cache and the models live (a change is used after a restart; see
studio.storage), the cache's size and its clean-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audio_engine.cache import FileCache
from audio_engine.progress import CancelToken
from studio.services import Services
from studio.storage import FOLDERS, Folder, StorageFolderError, check_folder, folder_source
from studio.widgets import fmt_bytes, muted


class FolderRow(QWidget):
    """One folder: its path (edit and press Enter, or Browse…), Default, and
    a line saying whether it is in use or used after a restart."""

    def __init__(self, services: Services, folder: Folder) -> None:
        super().__init__()
        self.s = services
        self.folder = folder
        self.in_use: Path = getattr(services.paths, folder.field)
        chosen = services.settings.str(folder.key).strip()
        self.edit = QLineEdit(chosen or str(self.in_use))
        self.edit.setObjectName(f"folder_{folder.field}")
        self.edit.editingFinished.connect(lambda: self.choose(self.edit.text()))
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.default_btn = QPushButton("Default")
        self.default_btn.setToolTip("Use the standard folder again (after a restart)")
        self.default_btn.clicked.connect(self.reset)
        self.note = muted("")
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)
        row.addWidget(self.default_btn)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addLayout(row)
        col.addWidget(self.note)
        self._show_source()

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.folder.label, self.edit.text())
        if d:
            self.choose(d)

    def choose(self, text: str) -> bool:
        """Store ``text`` as this folder after checking it (a full path to a
        folder the studio can write); a bad one is explained and not stored."""
        current = self.s.settings.str(self.folder.key).strip() or str(self.in_use)
        if text.strip() == current:
            self._show_source()
            return True
        try:
            path = check_folder(text)
        except StorageFolderError as e:
            self.note.setText(f"Not changed: {e}")
            self.note.setStyleSheet(f"color: {self.s.theme.colors['danger']};")
            return False
        self.s.settings.set(self.folder.key, str(path))
        self.edit.setText(str(path))
        self._show_source()
        return True

    def reset(self) -> None:
        self.s.settings.set(self.folder.key, "")
        self.edit.setText(str(self.in_use))
        self._show_source()

    def _show_source(self) -> None:
        self.note.setStyleSheet("")
        self.note.setText(folder_source(self.folder, self.s.settings, self.in_use))


class StorageBox(QGroupBox):
    def __init__(self, services: Services) -> None:
        super().__init__("Storage")
        self.s = services
        st = services.settings
        f = QFormLayout(self)
        self.rows: dict[str, FolderRow] = {}
        for folder in FOLDERS:
            row = FolderRow(services, folder)
            self.rows[folder.field] = row
            f.addRow(folder.label, row)
        problems = "\n".join(services.storage_problems)
        f.addRow("", muted(problems or "A changed folder is used after the studio restarts; the settings file "
                                       "itself stays in the standard folder."))
        self.cache_size = QLabel("…")
        self.cache_limit = QDoubleSpinBox()
        self.cache_limit.setRange(0.5, 2000.0)
        self.cache_limit.setSuffix(" GB")
        self.cache_limit.setValue(float(st.get("cache/max_gb")))
        self.cache_limit.valueChanged.connect(lambda v: st.set("cache/max_gb", float(v)))
        self.clean_btn = QPushButton(services.theme.icon("trash"), "Clean up now")
        self.clean_btn.clicked.connect(self.clean_cache)
        row = QHBoxLayout()
        row.addWidget(self.cache_size, 1)
        row.addWidget(QLabel("Keep at most"))
        row.addWidget(self.cache_limit)
        row.addWidget(self.clean_btn)
        f.addRow("Cache size", row)

    def _caches(self) -> list[FileCache]:
        return [self.s.stems_cache, FileCache(self.s.paths.cache / "clip-renders")]

    def measure_cache(self) -> None:
        caches = self._caches()
        peaks_root = self.s.peaks.root

        def fn(progress: Any, cancel: CancelToken) -> int:
            total = sum(c.size_bytes() for c in caches)
            if peaks_root.is_dir():
                total += sum(f.stat().st_size for f in peaks_root.glob("*.npz"))
            return total

        self.s.jobs.submit("Measure cache", "io", fn, on_result=lambda n: self.cache_size.setText(fmt_bytes(n)),
                           background=True)

    def clean_cache(self) -> None:
        caches = self._caches()
        limit = int(self.cache_limit.value() * 1e9)

        def fn(progress: Any, cancel: CancelToken) -> int:
            removed = 0
            per = limit // len(caches)
            for c in caches:
                removed += len(c.prune(per))
            return removed

        def done(n: int) -> None:
            self.cache_size.setText(f"{self.cache_size.text()} (removed {n} entries)")
            self.measure_cache()

        self.s.jobs.submit("Clean up the cache", "io", fn, on_result=done)
