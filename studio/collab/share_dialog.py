"""Share the open cloud project, and answer invitations: File → Share
project… / Invitations…. Every server call runs as a cloud job (never on the
GUI thread); the dialog fills in when the answer comes back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sync.sharing import ROLES, Invitation, Member, Sharing

if TYPE_CHECKING:
    from studio.cloud import CloudController


class ShareDialog(QDialog):
    """Members of one project (owner: invite, role, remove; others: leave)."""

    def __init__(self, cloud: CloudController, project_id: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Share “{title}”")
        self.resize(640, 380)
        self.cloud = cloud
        self.project_id = project_id
        self.sharing = Sharing(cloud.session.require().transport)
        self.you = ""
        self.who = QLineEdit()
        self.who.setPlaceholderText("E-mail address or username")
        self.role = QComboBox()
        self.role.addItems(list(ROLES))
        self.invite_btn = QPushButton("Invite")
        self.invite_btn.clicked.connect(self._invite)
        row = QHBoxLayout()
        row.addWidget(self.who, 1)
        row.addWidget(self.role)
        row.addWidget(self.invite_btn)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Who", "Role", "Status", ""])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.message = QLabel("Loading…")
        self.message.setWordWrap(True)
        self.leave_btn = QPushButton("Leave this project")
        self.leave_btn.clicked.connect(lambda: self._call("Leave project", lambda: self.sharing.leave(project_id)))
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.message)
        lay.addWidget(self.leave_btn)
        self.refresh()

    def refresh(self) -> None:
        self.cloud.run("Project members", lambda _p, _c: self.sharing.members(self.project_id),
                       on_result=self._show, background=True)

    def _show(self, result: tuple[str, list[Member]]) -> None:
        self.you, members = result
        owner = self.you == "owner"
        for w in (self.who, self.role, self.invite_btn):
            w.setEnabled(owner)
        self.leave_btn.setVisible(not owner)
        if not owner:
            self.message.setText("Only the owner invites and changes roles.")
        elif self.message.text() == "Loading…":
            self.message.setText("")  # keep the last action's result
        self.table.setRowCount(len(members))
        for i, m in enumerate(members):
            self.table.setItem(i, 0, QTableWidgetItem(m.name or m.email or m.user_id[:8]))
            self.table.setItem(i, 2, QTableWidgetItem(m.status))
            if owner and m.role != "owner" and m.status in ("invited", "active"):
                combo = QComboBox()
                combo.addItems(list(ROLES))
                combo.setCurrentText(m.role)
                combo.currentTextChanged.connect(lambda r, uid=m.user_id: self._call(
                    "Change role", lambda: self.sharing.set_role(self.project_id, uid, r)))
                self.table.setCellWidget(i, 1, combo)
                remove = QPushButton("Remove")
                remove.clicked.connect(lambda _=False, uid=m.user_id: self._call(
                    "Remove collaborator", lambda: self.sharing.remove(self.project_id, uid)))
                self.table.setCellWidget(i, 3, remove)
            else:
                self.table.setItem(i, 1, QTableWidgetItem(m.role))

    def _invite(self) -> None:
        who, role = self.who.text().strip(), self.role.currentText()
        if not who:
            self.message.setText("Give an e-mail address or a username.")
            return
        self._call("Invite", lambda: self.sharing.invite(self.project_id, who, role),
                   done=f"Invited {who} as {role}. They accept from File → Invitations….")
        self.who.clear()

    def _call(self, title: str, fn: Any, done: str = "") -> None:
        def ok(_r: object) -> None:
            if done:
                self.message.setText(done)
            self.refresh()

        job = self.cloud.run(title, lambda _p, _c: fn(), on_result=ok)
        job.on_error = lambda e: self.message.setText(str(e))  # set before the GUI thread hears of a failure


def install_share_actions(window: Any, cloud: CloudController) -> None:
    """File → Share project… (the open cloud project) and File → Invitations…."""
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    file_menu.addSeparator()
    share = file_menu.addAction("Share project…")
    invites = file_menu.addAction("Invitations…")

    def open_share() -> None:
        ps = cloud.projects
        doc = window.editor_page.doc
        pid = ps.project_for(doc.project.id) if ps is not None and cloud.signed_in else None
        if pid is None:
            window.statusBar().showMessage("Save this project to the cloud (Projects page) and sign in to share it.",
                                           8000)
            return
        window.share_dialog = ShareDialog(cloud, pid, doc.project.title, window)
        window.share_dialog.show()

    def open_invites() -> None:
        if not cloud.signed_in:
            window.statusBar().showMessage("Sign in to see invitations.", 8000)
            return
        window.invitations_dialog = InvitationsDialog(cloud, window)
        window.invitations_dialog.show()

    share.triggered.connect(open_share)
    invites.triggered.connect(open_invites)


class InvitationsDialog(QDialog):
    """Invitations waiting for my answer: accept (the project comes with the next sync) or decline."""

    def __init__(self, cloud: CloudController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Invitations")
        self.resize(560, 300)
        self.cloud = cloud
        self.sharing = Sharing(cloud.session.require().transport)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Project", "From", "As", ""])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.message = QLabel("Loading…")
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        self.cloud.run("Invitations", lambda _p, _c: self.sharing.invitations(), on_result=self._show,
                       background=True)

    def _show(self, invites: list[Invitation]) -> None:
        self.message.setText("" if invites else "No invitations.")
        self.table.setRowCount(len(invites))
        for i, inv in enumerate(invites):
            self.table.setItem(i, 0, QTableWidgetItem(inv.title))
            self.table.setItem(i, 1, QTableWidgetItem(inv.inviter or "someone"))
            self.table.setItem(i, 2, QTableWidgetItem(inv.role))
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            for text, accept in (("Accept", True), ("Decline", False)):
                b = QPushButton(text)
                b.clicked.connect(lambda _=False, pid=inv.project_id, a=accept: self._answer(pid, a))
                row.addWidget(b)
            self.table.setCellWidget(i, 3, box)

    def _answer(self, project_id: str, accept: bool) -> None:
        def done(_r: object) -> None:
            self.message.setText("Accepted: the project appears on the Projects page." if accept else "Declined.")
            if accept:
                self.cloud.sync_now()
            self.refresh()

        self.cloud.run("Answer invitation", lambda _p, _c: self.sharing.respond(project_id, accept), on_result=done)
