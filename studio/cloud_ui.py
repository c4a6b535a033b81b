"""Puts the cloud into the main window (one call from MainWindow): the
Projects page in the sidebar, the account button in the window's header (the
menu bar's corner), the sync status in the status bar, the over-limit dialog,
the sign-in prompt after a revoked session, and the editor's commands ->
per-entity sync."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QMessageBox, QToolButton, QVBoxLayout, QWidget

from studio.cloud import CloudController
from studio.collab.controller import LiveController
from studio.collab.share_dialog import install_share_actions
from studio.views.account_page import AccountButton, AccountDialog
from studio.views.account_sync import CloudStatusButton
from studio.views.projects_page import ProjectsPage

if TYPE_CHECKING:
    from studio.main_window import MainWindow


def install_cloud(window: MainWindow, cloud: CloudController) -> ProjectsPage:
    page = ProjectsPage(window.s, cloud)
    window.pages["Projects"] = page
    window.stack.addWidget(page)
    _add_nav_button(window, "Projects", after="Editor")
    page.open_requested.connect(lambda p: window.open_project(Path(p)))

    window.account_button = AccountButton(cloud, window)
    window.menuBar().setCornerWidget(window.account_button, Qt.Corner.TopRightCorner)
    window.cloud_status = CloudStatusButton(cloud, window)
    window.statusBar().addPermanentWidget(window.cloud_status)

    cloud.billing_requested.connect(lambda: go_billing(window))
    cloud.over_limit.connect(lambda limit, msg: over_limit_dialog(window, cloud, limit, msg))
    cloud.sign_in_needed.connect(lambda msg: sign_in_prompt(window, cloud, msg))
    cloud.message.connect(lambda msg: window.statusBar().showMessage(msg, 8000))

    doc = window.editor_page.doc
    doc.changed.connect(lambda command: cloud.record(doc.project.id, command, doc.project))
    cloud.media_resolver = doc.resolver
    doc.undo_guard = lambda command: cloud.undo_refusal(doc.project.id, command)
    doc.undo_refused.connect(lambda why: (window.editor_page.status.setText(why),
                                          window.statusBar().showMessage(why, 8000)))
    cloud.local_project_updated.connect(lambda pid, project: _merged(window, cloud, pid, project))
    window.live_controller = LiveController(window.editor_page, cloud,  # type: ignore[attr-defined]
                                            window.edit_actions)
    install_share_actions(window, cloud)
    return page


def _add_nav_button(window: MainWindow, name: str, *, after: str) -> None:
    ref = window.nav_buttons[after]
    lay = window.sidebar.layout()
    assert isinstance(lay, QVBoxLayout)
    b = QToolButton()
    b.setText(f"  {name}")
    b.setIcon(window.s.theme.icon("open"))
    b.setIconSize(QSize(18, 18))
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    b.setCheckable(True)
    b.setSizePolicy(ref.sizePolicy())
    b.setMinimumHeight(36)
    b.setObjectName(f"nav_{name}")
    b.setToolTip("Local and cloud projects")
    lay.insertWidget(lay.indexOf(ref) + 1, b)
    window.nav.addButton(b)
    window.nav_buttons[name] = b
    b.clicked.connect(lambda _c=False: window.go(name))


def go_billing(window: MainWindow) -> None:
    """The Billing page when the build has one (issue 13), else a note."""
    if "Billing" in window.pages:
        window.go("Billing")
    else:
        window.statusBar().showMessage("Plans and billing open in the Billing page (not in this build yet).", 8000)


def over_limit_dialog(window: MainWindow, cloud: CloudController, limit: str, message: str) -> QWidget:
    billing = window.pages.get("Billing")
    if billing is not None and hasattr(billing, "show_limit_dialog"):  # issue 13: offers Upgrade (Checkout)
        window.over_limit_box = billing.show_limit_dialog(limit, message)
        return window.over_limit_box
    box = QMessageBox(window)
    box.setObjectName("over_limit_dialog")
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle("Plan limit reached")
    box.setText(message)
    box.setInformativeText("Local work is never limited. A bigger plan lifts the cloud limit.")
    plans = box.addButton("See plans", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.buttonClicked.connect(lambda b: cloud.billing_requested.emit() if b is plans else None)
    window.over_limit_box = box
    box.open()
    return box


def sign_in_prompt(window: MainWindow, cloud: CloudController, message: str) -> QWidget:
    dlg = AccountDialog(cloud, window)
    dlg.panel.error.setText(message)
    window.sign_in_dialog = dlg
    dlg.open()
    return dlg


def _merged(window: MainWindow, cloud: CloudController, pid: str, project: Any) -> None:
    """Another computer's edits reached the open project: merge them into it in
    place, as a change nobody undoes here (the undo history stays; sync.own_edits).
    The merge reads the store now (``project`` was composed on the sync's thread,
    maybe before an edit made since)."""
    if not shiboken6.isValid(window):
        return  # a sync that ended after its window closed
    ed = window.editor_page
    ps = cloud.projects
    if ps is None or ed.doc.path is None:
        return
    linked = ps.linked_path(pid)
    if linked is None or Path(linked).resolve() != Path(ed.doc.path).resolve():
        return
    if cloud.own_edits(pid).merge_into(ed.doc.project):
        ed.doc.remote_changed()
        window.statusBar().showMessage("Merged edits from your other computer.", 6000)
