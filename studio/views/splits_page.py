"""Splits page (issue 16): the revenue splits you own or are paid from, your
earnings (payable once past the minimum payout, else held over), and, for
your own splits, the draft -> active -> paused workflow with new versions.
The rules are the server's; the Qt-free client is :mod:`sync.splits`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from studio.views.community_common import CommunityPage, heading, label
from studio.widgets import Card, muted
from sync.community import CommunityClient, Fetched
from sync.splits import (
    ROLES,
    Earnings,
    Recipient,
    SplitError,
    Splits,
    SplitView,
    check_recipients,
    format_bps,
    format_cents,
    gross_bps,
)

if TYPE_CHECKING:
    from sync.cloud import Cloud

PAYOUTS_NOTE = ("Payouts (Stripe Connect) come next: nothing is paid out yet. Earnings of closed months become "
                "payable once they reach the minimum; smaller amounts are held over to the next month.")


class RecipientsDialog(QDialog):
    """Edit a draft's recipients: name, account id or e-mail, role, share of the net."""

    def __init__(self, view: SplitView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Recipients of “{view.title}” (version {view.version})")
        self.resize(720, 360)
        lay = QVBoxLayout(self)
        lay.addWidget(muted("Shares are of the net after the platform fee; they must total exactly 100 % to "
                            "activate. A recipient is an account id, or a name with an e-mail (they claim it "
                            "when they sign up with that address)."))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("split_recipients_table")
        self.table.setHorizontalHeaderLabels(["Name", "Account id or e-mail", "Role", "Share %"])
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        for r in view.recipients:
            self.add_row(r)
        row = QHBoxLayout()
        add = QPushButton("Add recipient")
        add.setObjectName("split_add_recipient")
        add.clicked.connect(lambda: self.add_row(None))
        row.addWidget(add)
        self.total = QLabel("")
        self.total.setObjectName("split_total")
        row.addStretch(1)
        row.addWidget(self.total)
        lay.addLayout(row)
        self.error = QLabel("")
        self.error.setObjectName("split_dialog_error")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self._update_total()

    def add_row(self, r: Recipient | None) -> None:
        i = self.table.rowCount()
        self.table.insertRow(i)
        name = QLineEdit(r.name if r else "")
        who = QLineEdit((r.account or r.email or "") if r else "")
        role = QComboBox()
        role.addItems(list(ROLES))
        role.setCurrentText(r.role if r else "other")
        share = QDoubleSpinBox()
        share.setRange(0.0, 100.0)
        share.setDecimals(2)
        share.setSuffix(" %")
        share.setValue((r.share_bps if r else 0) / 100)
        share.valueChanged.connect(lambda _v: self._update_total())
        for col, w in enumerate((name, who, role, share)):
            self.table.setCellWidget(i, col, w)

    def recipients(self) -> list[Recipient]:
        out = []
        for i in range(self.table.rowCount()):
            name, who, role, share = (self.table.cellWidget(i, c) for c in range(4))
            assert isinstance(name, QLineEdit) and isinstance(who, QLineEdit)
            assert isinstance(role, QComboBox) and isinstance(share, QDoubleSpinBox)
            ident = who.text().strip()
            is_mail = "@" in ident
            out.append(Recipient(name.text().strip(), role.currentText(), round(share.value() * 100),
                                 account=None if is_mail or not ident else ident, email=ident if is_mail else None))
        return out

    def _update_total(self) -> None:
        total = sum(r.share_bps for r in self.recipients())
        self.total.setText(f"Total {format_bps(total)}" + ("" if total == 10000 else " (100 % to activate)"))

    def _accept(self) -> None:
        try:
            check_recipients(self.recipients())
        except SplitError as e:
            self.error.setText(f"⚠ {e}")
            return
        self.accept()


class SplitsPage(CommunityPage):
    TITLE = "Splits"
    SUBTITLE = "Revenue splits of your published mashups, and what you earn from others'."

    def __init__(self, cloud: Any, client: CommunityClient | None, session: Callable[[], Cloud] | None) -> None:
        super().__init__(cloud, client)
        self.session = session
        self.earnings: Earnings | None = None
        self._edit_when_loaded: str | None = None  # a split made from the publish dialog: edit it once listed

    def splits(self) -> Splits:
        assert self.session is not None
        return Splits(self.session().transport)

    def fetch(self, client: CommunityClient) -> Fetched:
        return Fetched(self.splits().earnings(), datetime.now(UTC))

    def render(self, data: Earnings) -> None:
        self.earnings = data
        summary = Card()
        summary.body.addWidget(heading("Your earnings"))
        summary.body.addWidget(label(
            f"Earned {format_cents(data.earned_cents)} · payable {format_cents(data.payable_cents)} · "
            f"held over {format_cents(data.held_cents)} (minimum payout {format_cents(data.min_payout_cents)})",
            name="splits_summary", bold=True))
        summary.body.addWidget(muted(PAYOUTS_NOTE))
        self.body_lay.addWidget(summary)
        if not data.splits:
            card = Card()
            card.body.addWidget(muted("No splits yet. Publish a mashup, then set up its split here "
                                      "(Publish dialog → Split revenue) or be invited to one."))
            self.body_lay.addWidget(card)
        for s in data.splits:
            self.body_lay.addWidget(self._split_card(s))

    def _split_card(self, s: SplitView) -> Card:
        card = Card()
        fee = f" · platform fee {format_bps(s.fee_bps)}" if s.fee_bps is not None else ""
        card.body.addWidget(heading(f"{s.title} — version {s.version} · {s.status}{fee}"))
        for r in s.recipients:
            who = r.name or r.email or (r.account or "")[:8]
            gross = f" ({format_bps(round(gross_bps(r.share_bps, s.fee_bps)))} of revenue)" if s.fee_bps is not None else ""
            card.body.addWidget(label(f"{'▶ ' if r.me else ''}{who} · {r.role} · {format_bps(r.share_bps)}{gross}"))
        if not s.owner or s.earned_cents:
            card.body.addWidget(muted(f"You earned {format_cents(s.earned_cents)} from this split."))
        if s.owner:
            row = QHBoxLayout()
            if s.status == "draft":
                row.addWidget(self.action_button("Edit recipients…", lambda *_a, s=s: self.edit(s), name=f"split_edit_{s.split}"))
                row.addWidget(self.action_button("Activate", lambda *_a, s=s: self.activate(s), name=f"split_activate_{s.split}",
                                                 tip="Fix the split: it cannot change afterwards except by a new version"))
            if s.status == "active":
                row.addWidget(self.action_button("Pause", lambda *_a, s=s: self.pause(s), name=f"split_pause_{s.split}"))
            if s.status in ("active", "paused"):
                row.addWidget(self.action_button("New version", lambda *_a, s=s: self.new_version(s),
                                                 name=f"split_version_{s.split}"))
            row.addStretch(1)
            card.body.addLayout(row)
        return card

    # ------------------------------------------------------------ actions
    def edit(self, s: SplitView) -> None:
        dlg = RecipientsDialog(s, self)
        me = self.my_id()
        if not s.recipients and me:  # a new split starts with you as the creator, all of it
            dlg.add_row(Recipient("You", "creator", 10000, account=me))
            dlg._update_total()
        if dlg.exec() == QDialog.DialogCode.Accepted:
            people = dlg.recipients()
            self.act("Save split recipients", lambda _c: self.splits().set_recipients(s.split, people),
                     lambda total: self.say(f"Saved: the shares total {format_bps(int(total))}."))

    def activate(self, s: SplitView) -> None:
        self.act("Activate split", lambda _c: self.splits().activate(s.split),
                 lambda fee: self.say(f"Activated with a platform fee of {format_bps(int(fee))}."))

    def pause(self, s: SplitView) -> None:
        self.act("Pause split", lambda _c: self.splits().pause(s.split), lambda _r: self.say("Paused."))

    def new_version(self, s: SplitView) -> None:
        self.act("New split version", lambda _c: self.splits().new_version(s.mashup),
                 lambda _r: self.say("A new draft version holds the same recipients: edit it, then activate."))

    def split_for_mashup(self, mashup: str, *, edit: bool = False) -> None:
        """Start the split of a published mashup (a draft version) and, with
        ``edit``, open its recipients editor once the page has reloaded."""

        def made(split: Any) -> None:
            self.say("A draft split was made: add recipients, then activate.")
            if edit:
                self._edit_when_loaded = str(split)

        self.act("New split", lambda _c: self.splits().new_version(mashup), made)

    def show_fetched(self, f: Fetched) -> None:
        super().show_fetched(f)
        want, self._edit_when_loaded = self._edit_when_loaded, None
        view = next((s for s in self.earnings.splits if s.split == want), None) if want and self.earnings else None
        if view is not None and view.status == "draft":
            self.edit(view)


def add_nav_button(window: Any, name: str, page: Any, *, after: str, tip: str) -> None:
    """Add ``page`` to the window with a sidebar entry placed after the button ``after``."""
    from PySide6.QtCore import QSize, Qt
    from PySide6.QtWidgets import QToolButton

    window.pages[name] = page
    window.stack.addWidget(page)
    b = QToolButton()
    b.setText(f"  {name}")
    b.setObjectName(f"nav_{name}")
    b.setIcon(window.s.theme.icon("billing" if name == "Splits" else "stems"))
    b.setIconSize(QSize(18, 18))
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    b.setSizePolicy(b.sizePolicy().horizontalPolicy().Expanding, b.sizePolicy().verticalPolicy())
    b.setMinimumHeight(32)
    b.setCheckable(True)
    b.setToolTip(tip)
    anchor = window.findChild(QToolButton, after)
    side = anchor.parentWidget().layout() if anchor is not None and anchor.parentWidget() else None
    if side is not None:
        side.insertWidget(side.indexOf(anchor) + 1, b)
    window.nav.addButton(b)
    window.nav_buttons[name] = b
    b.clicked.connect(lambda _c=False: window.go(name))


def install_splits(window: Any, cloud: Any) -> SplitsPage:
    """The Splits page in the window, with its sidebar entry under the community pages."""
    page = SplitsPage(cloud, CommunityClient(cloud.session.require), cloud.session.require)
    add_nav_button(window, "Splits", page, after="nav_Analytics", tip="Revenue splits and your earnings")
    return page
