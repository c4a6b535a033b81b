"""Account: sign up / sign in (e-mail and password, or an OAuth provider in
the system browser), sign out, plan and usage, and the cloud address
(advanced). Shown in Settings → Account and in a dialog from the account
button in the window's header. All calls run as jobs (studio.cloud)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenuBar,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.cloud import SETTING_KEY, SETTING_URL, CloudController
from studio.widgets import fmt_bytes, muted
from sync.session import Status
from sync.tiers import Entitlements

OAUTH_PROVIDERS = (("google", "Google"), ("github", "GitHub"))
NO_KEYCHAIN = ("This computer has no keychain the studio can use, so your sign-in lasts until the studio quits; "
               "you will be asked again next time.")


class AccountPanel(QWidget):
    """Everything about the account, for one :class:`CloudController`."""

    billing_requested = Signal()

    def __init__(self, cloud: CloudController) -> None:
        super().__init__()
        self.cloud = cloud
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget()
        self.off_page = muted("Cloud sync is off: this build has no cloud address. Set one under "
                              "“Cloud address” below (or SUPABASE_URL and SUPABASE_ANON_KEY) to turn it on. "
                              "Everything else works without an account.")
        self.pages.addWidget(self.off_page)
        self.pages.addWidget(self._signed_out_page())
        self.pages.addWidget(self._signed_in_page())
        lay.addWidget(self.pages)
        lay.addWidget(self._advanced())
        self.error = QLabel("")
        self.error.setObjectName("Error")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        lay.addStretch(1)  # in the roomy account dialog the content stays at the top
        cloud.status_changed.connect(self.show_status)
        cloud.projects_changed.connect(self.refresh_plan)
        self.show_status(cloud.status)

    # -- pages --------------------------------------------------------------------
    def _signed_out_page(self) -> QWidget:
        w = QWidget()
        f = QFormLayout(w)
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@example.com")
        self.email.setObjectName("account_email")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setObjectName("account_password")
        self.password.returnPressed.connect(lambda: self._submit(False))
        f.addRow("E-mail", self.email)
        f.addRow("Password", self.password)
        row = QHBoxLayout()
        self.sign_in_btn = QPushButton("Sign in")
        self.sign_in_btn.setObjectName("Primary")
        self.sign_in_btn.clicked.connect(lambda: self._submit(False))
        self.sign_up_btn = QPushButton("Create account")
        self.sign_up_btn.clicked.connect(lambda: self._submit(True))
        row.addWidget(self.sign_in_btn)
        row.addWidget(self.sign_up_btn)
        row.addStretch(1)
        f.addRow("", row)
        orow = QHBoxLayout()
        self.oauth_buttons: dict[str, QPushButton] = {}
        for key, label in OAUTH_PROVIDERS:
            b = QPushButton(f"Continue with {label}")
            b.setToolTip("Opens your web browser; come back here when it says you are signed in.")
            b.clicked.connect(lambda _c=False, k=key: self._oauth(k))
            self.oauth_buttons[key] = b
            orow.addWidget(b)
        orow.addStretch(1)
        f.addRow("", orow)
        self.stay = QCheckBox("Stay signed in on this computer (system keychain)")
        self.stay.setChecked(True)
        f.addRow("", self.stay)
        self.keychain_note = muted("")
        f.addRow("", self.keychain_note)
        return w

    def _signed_in_page(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        head = QHBoxLayout()
        self.who = QLabel("")
        self.who.setObjectName("SectionTitle")
        self.sign_out_btn = QPushButton("Sign out")
        self.sign_out_btn.clicked.connect(self._sign_out)
        head.addWidget(self.who, 1)
        head.addWidget(self.sign_out_btn)
        v.addLayout(head)
        self.session_note = muted("")
        v.addWidget(self.session_note)
        plan = QGroupBox("Plan and usage")
        pf = QFormLayout(plan)
        self.tier = QLabel("…")
        self.projects_bar = QProgressBar()
        self.storage_bar = QProgressBar()
        for b in (self.projects_bar, self.storage_bar):
            b.setTextVisible(True)
        pf.addRow("Plan", self.tier)
        pf.addRow("Cloud projects", self.projects_bar)
        pf.addRow("Cloud storage", self.storage_bar)
        v.addWidget(plan)
        self.plan_note = muted("")
        v.addWidget(self.plan_note)
        self.upgrade_btn = QPushButton("Plans and billing…")
        self.upgrade_btn.clicked.connect(self.billing_requested.emit)
        self.upgrade_btn.clicked.connect(self.cloud.billing_requested.emit)
        v.addWidget(self.upgrade_btn, 0, Qt.AlignmentFlag.AlignLeft)
        v.addStretch(1)
        return w

    def _advanced(self) -> QWidget:
        box = QGroupBox("Cloud address (advanced)")
        box.setCheckable(True)
        box.setChecked(False)
        outer = QVBoxLayout(box)
        body = QWidget()
        f = QFormLayout(body)
        f.setContentsMargins(0, 0, 0, 0)
        self.url = QLineEdit(self.cloud.settings.str(SETTING_URL))
        self.url.setPlaceholderText("from the build or SUPABASE_URL")
        self.key = QLineEdit(self.cloud.settings.str(SETTING_KEY))
        self.key.setPlaceholderText("from the build or SUPABASE_ANON_KEY")
        apply = QPushButton("Use this address")
        apply.clicked.connect(self._apply_address)
        f.addRow("Supabase URL", self.url)
        f.addRow("Anon key", self.key)
        f.addRow("", apply)
        outer.addWidget(body)
        body.setVisible(False)
        box.setFlat(True)  # folded: the title and its box alone, not an empty frame
        box.toggled.connect(body.setVisible)
        box.toggled.connect(lambda on: (box.setFlat(not on), box.style().unpolish(box), box.style().polish(box)))
        self.advanced = box
        return box

    # -- behaviour --------------------------------------------------------------------
    def _show_page(self, index: int) -> None:
        """Show one page, the stack as tall as that page (a QStackedWidget is as
        tall as its tallest page: the one-line "cloud off" note sat in a blank box)."""
        self.pages.setCurrentIndex(index)
        for i in range(self.pages.count()):
            page = self.pages.widget(i)
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.pages.updateGeometry()

    def show_status(self, st: Status) -> None:
        if st.state == "not_configured":
            self._show_page(0)
        elif st.state == "signed_out":
            self._show_page(1)
            keychain = self._keychain_works()
            self.keychain_note.setText("" if keychain else NO_KEYCHAIN)
            self.stay.setEnabled(keychain)
            if not keychain:
                self.stay.setChecked(False)
        else:
            self._show_page(2)
            self.who.setText(f"Signed in as {st.email or 'you'}")
            self.session_note.setText(("Stays signed in through your system keychain." if st.persistent_login
                                       else NO_KEYCHAIN) + ("" if st.state != "offline" else
                                                            " Offline now: changes wait and sync later."))
        if st.message and st.state == "signed_out":
            self.error.setText(st.message)

    def _keychain_works(self) -> bool:
        return self.cloud.session.keychain_available

    def _busy(self, on: bool) -> None:
        for b in (self.sign_in_btn, self.sign_up_btn, *self.oauth_buttons.values()):
            b.setEnabled(not on)

    def _submit(self, sign_up: bool) -> None:
        email, pw = self.email.text().strip(), self.password.text()
        if "@" not in email or not pw:
            self.error.setText("Enter your e-mail address and a password.")
            return
        if sign_up and len(pw) < 6:
            self.error.setText("Choose a password of at least 6 characters.")
            return
        self.error.setText("")
        self._busy(True)
        self.cloud.session.remember(self.stay.isChecked())
        job = self.cloud.sign_in(email, pw, sign_up=sign_up, on_done=self._done)
        job.on_error = self._failed

    def _oauth(self, provider: str) -> None:
        self.error.setText("Continue in your web browser…")
        self._busy(True)
        self.cloud.session.remember(self.stay.isChecked())
        job = self.cloud.sign_in_oauth(provider, on_done=self._done)
        job.on_error = self._failed

    def _done(self, _uid: Any) -> None:
        self._busy(False)
        self.password.clear()
        self.error.setText("")
        self.refresh_plan()

    def _failed(self, e: BaseException) -> None:
        self._busy(False)
        self.error.setText(str(e))
        self.cloud.handle_error(e)

    def _sign_out(self) -> None:
        self.cloud.sign_out()

    def _apply_address(self) -> None:
        try:
            self.cloud.reconfigure(self.url.text().strip(), self.key.text().strip())
        except ValueError as e:
            self.error.setText(str(e))
            return
        self.error.setText("")

    def refresh_plan(self) -> None:
        if self.cloud.signed_in:
            self.cloud.load_entitlements(self.show_plan)

    def show_plan(self, ent: Entitlements) -> None:
        self.tier.setText(ent.tier.title() + ("" if ent.from_server else "  (last known; offline)"))
        self._bar(self.projects_bar, ent, "max_projects", str)
        self._bar(self.storage_bar, ent, "storage_bytes", fmt_bytes)
        self.plan_note.setText("Local work is never limited; limits apply to what you keep in the cloud.")

    @staticmethod
    def _bar(bar: QProgressBar, ent: Entitlements, metric: str, fmt: Any) -> None:
        used = ent.usage.get(metric, 0)
        limit = ent.limits.get(metric)
        if limit is None:
            bar.setRange(0, 1)
            bar.setValue(0)
            bar.setFormat(f"{fmt(used)} · no limit")
            return
        scale = 1024 * 1024 if metric == "storage_bytes" else 1
        bar.setRange(0, max(1, int(limit // scale)))
        bar.setValue(min(int(limit // scale), int(used // scale)))
        bar.setFormat(f"{fmt(used)} of {fmt(limit)}")


class AccountDialog(QDialog):
    def __init__(self, cloud: CloudController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Account")
        self.setMinimumSize(580, 480)
        lay = QVBoxLayout(self)
        self.panel = AccountPanel(cloud)
        lay.addWidget(self.panel)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        lay.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.panel.billing_requested.connect(self.accept)


class AccountButton(QToolButton):
    """The header's account button: the e-mail when signed in, else “Sign in”."""

    def __init__(self, cloud: CloudController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cloud = cloud
        self.setObjectName("AccountButton")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.clicked.connect(self.open_dialog)
        cloud.status_changed.connect(self._show)
        self._show(cloud.status)
        self.dialog: AccountDialog | None = None

    def _show(self, st: Status) -> None:
        if st.state == "not_configured":
            self.setText("Cloud off")
        elif st.state == "signed_out":
            self.setText("Sign in")
        else:
            self.setText(st.email or "Account")
        self.setToolTip("Your account, plan and cloud sync")
        # the menu bar places its corner widget when it is set: set it again at the new width
        self.setFixedWidth(self.fontMetrics().horizontalAdvance(self.text()) + 28)
        bar = self.parentWidget()
        if isinstance(bar, QMenuBar) and bar.cornerWidget(Qt.Corner.TopRightCorner) is self:
            bar.setCornerWidget(self, Qt.Corner.TopRightCorner)

    def open_dialog(self) -> None:
        self.dialog = AccountDialog(self.cloud, self.window())
        self.dialog.open()
        self.dialog.panel.refresh_plan()
