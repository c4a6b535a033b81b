"""The Help menu (Open logs folder, Check for updates, About) and the optional
daily update check behind it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QPushButton

from studio import updates
from studio.about import app_version
from studio.crash import log, log_dir, open_folder
from studio.resources import build_config
from studio.services import Services
from studio.views.about_dialog import AboutDialog
from studio.views.shortcuts_dialog import ShortcutsDialog


class UpdateChecker(QObject):
    """Checks the configured release feed at most once a day, as an I/O job.
    A newer release is offered as a status-bar button that opens its download
    page; nothing is downloaded."""

    available = Signal(object)  # updates.Release
    checked = Signal(object)  # Release | None | BaseException

    def __init__(self, services: Services, window: QMainWindow, *, feed: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(window)
        self.s = services
        self.window = window
        self.feed = build_config().get("update_feed", "") if feed is None else feed
        self.clock = clock
        self.offer: QPushButton | None = None
        self.offered: updates.Release | None = None

    @property
    def configured(self) -> bool:
        return bool(self.feed)

    def enabled(self) -> bool:
        return self.configured and bool(self.s.settings.get("updates/check"))

    def maybe_check(self) -> bool:
        """Start a check when enabled and a day has passed; returns whether it started."""
        if not self.enabled() or not updates.due(float(self.s.settings.get("updates/last_check")), self.clock()):
            return False
        self.check_now(manual=False)
        return True

    def check_now(self, *, manual: bool = True) -> None:
        if not self.configured:
            return
        feed, current = self.feed, app_version()

        def fn(progress: Any, cancel: Any) -> updates.Release | None:
            return updates.check(feed, current)

        def done(rel: updates.Release | None) -> None:
            self.s.settings.set("updates/last_check", self.clock())
            if rel is not None:
                self._offer(rel)
            elif manual:
                QMessageBox.information(self.window, "Updates", f"Mashups Studio {current} is the latest version.")
            self.checked.emit(rel)

        def failed(e: BaseException) -> None:
            log.warning("update check failed: %s", e)
            if manual:
                QMessageBox.warning(self.window, "Updates", f"Could not check for updates: {e}")
            self.checked.emit(e)

        self.s.jobs.submit("Check for updates", "io", fn, on_result=done, on_error=failed)

    def _offer(self, rel: updates.Release) -> None:
        self.offered = rel
        if self.offer is None:
            self.offer = QPushButton()
            self.offer.setFlat(True)
            self.offer.clicked.connect(self.open_download_page)
            self.window.statusBar().addPermanentWidget(self.offer)
        self.offer.setText(f"Version {rel.version} is available — open the download page")
        self.available.emit(rel)

    def open_download_page(self) -> None:
        if self.offered is not None:
            QDesktopServices.openUrl(QUrl(self.offered.url))


class HelpMenu(QObject):
    def __init__(self, window: QMainWindow, services: Services) -> None:
        super().__init__(window)
        self.window = window
        self.updates = UpdateChecker(services, window)
        menu = window.menuBar().addMenu("&Help")
        self.logs_action = QAction("Open logs folder", window)
        self.logs_action.triggered.connect(lambda: open_folder(log_dir()))
        self.update_action = QAction("Check for updates…", window)
        self.update_action.triggered.connect(lambda: self.updates.check_now(manual=True))
        self.update_action.setEnabled(self.updates.configured)
        if not self.updates.configured:
            self.update_action.setToolTip("This build has no release feed configured.")
        self.about_action = QAction("About Mashups Studio", window)
        self.about_action.triggered.connect(self.show_about)
        self.shortcuts_action = QAction("Keyboard shortcuts", window)
        self.shortcuts_action.setShortcut(QKeySequence("Ctrl+/"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        window.addAction(self.shortcuts_action)
        menu.addAction(self.shortcuts_action)
        menu.addAction(self.logs_action)
        menu.addAction(self.update_action)
        menu.addSeparator()
        menu.addAction(self.about_action)
        self.about: AboutDialog | None = None

    def show_shortcuts(self) -> ShortcutsDialog:
        """Built fresh each time: the sheet lists the actions as they are now."""
        dialog = ShortcutsDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_about(self) -> AboutDialog:
        if self.about is None:
            self.about = AboutDialog(self.window)
        self.about.show()
        self.about.raise_()
        return self.about
