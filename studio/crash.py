"""What a packaged app needs when something goes wrong: a rotating log in the
user's log folder, and a dialog with a copyable report for any unhandled
exception (main thread, Qt slots and virtual overrides, and other threads).

A packaged app has no terminal, so the log is where errors go; Help → "Open
logs folder" opens it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audio_engine import __version__
from studio.resources import is_frozen

LOG_FILE = "studio.log"
log = logging.getLogger("mashups.studio")


def log_dir() -> Path:
    """``$MASHUPS_LOG_DIR``, else ``$MASHUPS_HOME/logs``, else platformdirs' user log folder."""
    explicit = os.environ.get("MASHUPS_LOG_DIR")
    if explicit:
        return Path(explicit)
    home = os.environ.get("MASHUPS_HOME")
    if home:
        return Path(home) / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir("MashupsStudio", "Mashups"))


def setup_logging(folder: Path | None = None, *, max_bytes: int = 1_000_000, backups: int = 5) -> Path:
    """Send the ``mashups`` loggers (and warnings) to a rotating file; returns its path.
    Calling it again with the same folder adds no second handler."""
    folder = folder or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    root = logging.getLogger("mashups")
    for h in root.handlers:
        if isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == path:
            return path
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").addHandler(handler)
    log.info("Mashups Studio %s starting (%s, Python %s, %s)", __version__, platform.platform(),
             platform.python_version(), "frozen" if is_frozen() else "checkout")
    return path


def crash_report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
                 *, thread: str = "main") -> str:
    """The text a user copies into a bug report: versions, platform, traceback."""
    lines = [
        f"Mashups Studio {__version__} ({'installed build' if is_frozen() else 'from source'})",
        f"Platform: {platform.platform()} ({platform.machine()})",
        f"Python: {platform.python_version()}",
        f"Thread: {thread}",
        "",
        "".join(traceback.format_exception(exc_type, exc, tb)).rstrip(),
    ]
    return "\n".join(lines)


def open_folder(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


class CrashDialog(QDialog):
    def __init__(self, report: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Mashups Studio hit an error")
        self.resize(720, 460)
        lay = QVBoxLayout(self)
        where = f" It was also written to {log_path}." if log_path else ""
        intro = QLabel("Something went wrong. Your projects are autosaved; you can keep working or restart. "
                       f"Please include the report below if you tell us about it.{where}")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.text = QPlainTextEdit(report)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        lay.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy report")
        self.copy_button.clicked.connect(self.copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        if log_path is not None:
            logs = QPushButton("Open logs folder")
            logs.clicked.connect(lambda: open_folder(log_path.parent))
            buttons.addButton(logs, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())


class CrashHandler(QObject):
    """Installs ``sys.excepthook`` and ``threading.excepthook``; reports from other
    threads reach the dialog on the Qt main thread through a queued signal."""

    reported = Signal(str)

    def __init__(self, log_path: Path | None, parent_window: Callable[[], QWidget | None] = lambda: None) -> None:
        super().__init__()
        self.log_path = log_path
        self.parent_window = parent_window
        self.dialogs: list[CrashDialog] = []
        self.reports: list[str] = []
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._old_hook = sys.excepthook
        self._old_thread_hook = threading.excepthook

    def install(self) -> CrashHandler:
        sys.excepthook = self.handle
        threading.excepthook = self._thread_hook
        return self

    def uninstall(self) -> None:
        sys.excepthook = self._old_hook
        threading.excepthook = self._old_thread_hook

    def handle(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
               thread: str = "main") -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._old_hook(exc_type, exc, tb)
            return
        report = crash_report(exc_type, exc, tb, thread=thread)
        self.reports.append(report)
        log.error("Unhandled exception\n%s", report)
        if sys.stderr is not None:
            print(report, file=sys.stderr)
        self.reported.emit(report)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, thread=name)

    def _show(self, report: str) -> None:
        if QApplication.instance() is None:
            return
        dlg = CrashDialog(report, self.log_path, self.parent_window())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.finished.connect(lambda _r, d=dlg: self.dialogs.remove(d) if d in self.dialogs else None)
        self.dialogs.append(dlg)
        dlg.show()
