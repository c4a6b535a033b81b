"""The always-visible cloud status (signed out / online / offline / syncing,
with the number of pending changes) and the sync panel it opens: pending and
rejected changes with the server's reasons; a rejected change can be retried,
discarded (the cloud's version comes back) or kept as a local copy."""

from __future__ import annotations

import json
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.cloud import CloudController
from studio.widgets import muted
from sync.session import Status
from sync.store import OutboxEntry

REASONS = {
    "tier_limit": "over your plan's limit",
    "forbidden": "not allowed (no access to this project any more)",
    "invalid": "refused as invalid",
    "clock_ahead": "this computer's clock is far ahead",
}


def describe(e: OutboxEntry) -> str:
    what = {"project": "Project", "project_media": "Media", "props": "Project settings", "track": "Track",
            "clip": "Clip", "marker": "Marker", "caption": "Captions", "media": "Song"}.get(e.kind, e.kind)
    if e.op == "delete":
        return f"{what} {e.entity_id[:14]} deleted"
    names = ", ".join(sorted(e.fields))[:60]
    return f"{what} {e.entity_id[:14]}: {names}"


class CloudStatusButton(QToolButton):
    def __init__(self, cloud: CloudController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cloud = cloud
        self.setObjectName("CloudStatus")
        self.setAutoRaise(True)
        self.clicked.connect(self.open_panel)
        cloud.status_changed.connect(self.show_status)
        self.show_status(cloud.status)
        self.panel: SyncPanel | None = None

    def show_status(self, st: Status) -> None:
        dot = {"online": "●", "syncing": "◌", "offline": "○", "signed_out": "○", "not_configured": "·"}[st.state]
        self.setText(f"{dot} {st.label}")
        tip = st.message or {"online": "Connected; changes sync automatically.",
                             "offline": "Offline: your changes are kept here and sync when the connection is back.",
                             "syncing": "Syncing with the cloud…",
                             "signed_out": "Not signed in: everything works locally.",
                             "not_configured": "Cloud sync is off."}[st.state]
        self.setToolTip(tip)
        # with no cloud address there is nothing to sync: the menu bar's account button alone says "Cloud off"
        self.setVisible(st.state != "not_configured")

    def open_panel(self) -> None:
        self.panel = SyncPanel(self.cloud, self.window())
        self.panel.open()


class SyncPanel(QDialog):
    def __init__(self, cloud: CloudController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cloud = cloud
        self.setWindowTitle("Cloud sync")
        self.resize(720, 460)
        lay = QVBoxLayout(self)
        self.state = QLabel("")
        self.state.setObjectName("SectionTitle")
        lay.addWidget(self.state)
        lay.addWidget(QLabel("Waiting to be sent"))
        self.pending = QTableWidget(0, 2)
        self.pending.setHorizontalHeaderLabels(["Change", "Made"])
        self.pending.horizontalHeader().setStretchLastSection(True)
        self.pending.setColumnWidth(0, 420)
        lay.addWidget(self.pending, 1)
        lay.addWidget(QLabel("Refused by the cloud"))
        self.rejected = QTableWidget(0, 2)
        self.rejected.setObjectName("rejected_table")
        self.rejected.setHorizontalHeaderLabels(["Change", "Why"])
        self.rejected.horizontalHeader().setStretchLastSection(True)
        self.rejected.setColumnWidth(0, 320)
        self.rejected.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        lay.addWidget(self.rejected, 1)
        lay.addWidget(muted("Retry sends it again (e.g. after an upgrade); Discard takes the cloud's version back; "
                            "Keep local keeps your version on this computer only."))
        row = QHBoxLayout()
        self.retry_btn = QPushButton("Retry")
        self.discard_btn = QPushButton("Discard")
        self.keep_btn = QPushButton("Keep local copy")
        self.sync_btn = QPushButton("Sync now")
        self.sync_btn.setObjectName("Primary")
        for b, fn in ((self.retry_btn, cloud.session.retry), (self.discard_btn, cloud.session.discard),
                      (self.keep_btn, cloud.session.keep_local)):
            b.clicked.connect(lambda _c=False, f=fn: self._act(f))
            row.addWidget(b)
        row.addStretch(1)
        self.sync_btn.clicked.connect(lambda: cloud.sync_now())
        row.addWidget(self.sync_btn)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(close)
        lay.addLayout(row)
        cloud.status_changed.connect(lambda _s: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        st = self.cloud.status
        self.state.setText(st.label + (f" — {st.message}" if st.message else ""))
        if not self.cloud.session.configured:
            return
        pend = self.cloud.session.pending(200)
        self.pending.setRowCount(len(pend))
        for i, e in enumerate(pend):
            self.pending.setItem(i, 0, QTableWidgetItem(describe(e)))
            self.pending.setItem(i, 1, QTableWidgetItem(time.strftime("%Y-%m-%d %H:%M:%S",
                                                                      time.localtime(int(e.clock[:13]) / 1000))))
        rej = self.cloud.session.rejected()
        self.rejected.setRowCount(len(rej))
        for i, e in enumerate(rej):
            item = QTableWidgetItem(describe(e))
            item.setData(Qt.ItemDataRole.UserRole, e.key)
            item.setToolTip(json.dumps(e.fields)[:400])
            self.rejected.setItem(i, 0, item)
            self.rejected.setItem(i, 1, QTableWidgetItem(f"{REASONS.get(e.reason or '', e.reason)}: {e.detail or ''}"))
        has = bool(rej)
        for b in (self.retry_btn, self.discard_btn, self.keep_btn):
            b.setEnabled(has)

    def selected_key(self) -> str | None:
        row = self.rejected.currentRow()
        if row < 0 and self.rejected.rowCount():
            row = 0
        item = self.rejected.item(row, 0) if row >= 0 else None
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _act(self, fn: object) -> None:
        key = self.selected_key()
        if key is None:
            return
        fn(key)  # type: ignore[operator]
        self.refresh()
        if fn == self.cloud.session.retry:
            self.cloud.sync_now()
