"""Billing page: the plan and its renewal or cancellation date, usage against
every limit of the tier, the tiers side by side with prices, Upgrade (Stripe
Checkout in the system browser), Manage billing (the Stripe customer portal),
a banner when a payment failed, and the dialog a refused cloud action gets.

Everything that talks to the network runs as a job of the one job runner
through the cloud controller (:mod:`studio.cloud`); the Qt-free work is
:mod:`sync.billing`. After Checkout the studio learns of the payment from the
loopback page Checkout returns to, or from the window becoming active again,
then polls the entitlements with backoff until the webhook has been applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.theme import Theme
from studio.widgets import Card, clear_layout, muted, page_header
from sync.billing import (
    LOCAL_NOTE,
    METRICS,
    Backoff,
    BillingClient,
    Plan,
    ReturnPage,
    billing_url,
    confirmed,
    format_amount,
)

if TYPE_CHECKING:
    from studio.cloud import CloudController
    from studio.main_window import MainWindow

SETTING_BILLING_URL = "cloud/billing_url"


class PaymentWatcher(QObject):
    """After Checkout (or the portal): wait for the creator to come back (the
    loopback return page, or the app becoming active), then poll the plan with
    backoff until the server shows the change, or give up after a timeout."""

    confirming = Signal()
    confirmed = Signal(object)  # Plan
    timed_out = Signal()
    cancelled = Signal()
    _returned = Signal(dict)

    def __init__(self, cloud: CloudController, billing: BillingClient, backoff: Backoff | None = None) -> None:
        super().__init__()
        self.cloud = cloud
        self.billing = billing
        self.backoff = backoff or Backoff()
        self.before: Plan | None = None
        self.tier: str | None = None
        self.waiting = False  # a browser page is open; the creator may come back
        self.polling = False
        self._delays: Iterator[float] = iter(())
        self._left_ms = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._poll)
        self._returned.connect(self._on_return)
        self.page: ReturnPage | None = None
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._app_state)

    def return_url(self) -> str:
        if self.page is None:
            self.page = ReturnPage(self._returned.emit)  # the server's thread -> queued to ours
        return self.page.url

    def expect(self, before: Plan, tier: str | None) -> None:
        """A Checkout (``tier``) or portal (None) page was opened in the browser."""
        self.before, self.tier, self.waiting = before, tier, True

    def _on_return(self, query: dict[str, str]) -> None:
        if query.get("checkout") == "cancel":
            self.waiting = False
            self._stop()
            self.cancelled.emit()
        elif self.waiting or query.get("checkout") == "success":
            self.start()

    def _app_state(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive and self.waiting and not self.polling:
            self.start()

    def start(self) -> None:
        if self.polling or self.before is None:
            return
        self.waiting, self.polling = False, True
        self._delays = self.backoff.delays()
        self._left_ms = self.backoff.timeout_s * 1000
        self.confirming.emit()
        self._poll()

    def _poll(self) -> None:
        if not self.polling:
            return
        self.cloud.run("Confirming payment", lambda _p, _c: self.billing.plan(), on_result=self._checked, quiet=True,
                       background=True)

    def _checked(self, plan: Plan) -> None:
        if not self.polling or self.before is None:
            return
        if confirmed(self.before, plan, self.tier):
            self._stop()
            self.confirmed.emit(plan)
            return
        delay_ms = next(self._delays) * 1000
        if self._left_ms <= 0:
            self._stop()
            self.timed_out.emit()
            return
        self._left_ms -= delay_ms
        self._timer.start(int(delay_ms))

    def _stop(self) -> None:
        self.polling = False
        self._timer.stop()

    def close(self) -> None:
        self._stop()
        if self.page is not None:
            self.page.close()
            self.page = None


class LimitDialog(QDialog):
    """A cloud action was refused by a plan limit: name it, show what the next
    plan gives, and offer Upgrade (Checkout) or the Billing page."""

    def __init__(self, parent: QWidget | None, limit: str, message: str, plan: Plan | None,
                 upgrade: Callable[[str], None], see_plans: Callable[[], None]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plan limit reached")
        self.setObjectName("over_limit_dialog")
        self.limit = limit
        lay = QVBoxLayout(self)
        name = next((label for m, label, _ in METRICS if m == limit), limit)
        title = QLabel(f"<b>{name}</b>: your plan's limit is reached")
        lay.addWidget(title)
        lay.addWidget(muted(message))
        buttons = QDialogButtonBox()
        self.upgrade_button: QPushButton | None = None
        better = plan.cheapest_tier_lifting(limit) if plan else None
        if plan is not None:
            unit = next((u for m, _, u in METRICS if m == limit), "count")
            lay.addWidget(QLabel(f"Now: {format_amount(plan.usage(limit), unit)} of "
                                 f"{format_amount(plan.limit(limit), unit)} on {plan.tier.title()}."))
        if better is not None:
            unit = next((u for m, _, u in METRICS if m == limit), "count")
            lay.addWidget(QLabel(f"{better.label} gives {format_amount(better.limits.get(limit), unit)} "
                                 f"for {better.price_label}."))
            self.upgrade_button = buttons.addButton(f"Upgrade to {better.label}", QDialogButtonBox.ButtonRole.AcceptRole)
            self.upgrade_button.setObjectName("Primary")
            self.upgrade_button.clicked.connect(lambda: (upgrade(better.name), self.accept()))
        plans = buttons.addButton("See plans", QDialogButtonBox.ButtonRole.ActionRole)
        plans.clicked.connect(lambda: (see_plans(), self.accept()))
        buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole).clicked.connect(self.reject)
        lay.addWidget(muted(LOCAL_NOTE))
        lay.addWidget(buttons)


class BillingPage(QWidget):
    """The sidebar's Billing page."""

    show_page = Signal()  # the window brings this page to the front
    plan_loaded = Signal(object)  # Plan: for "what remains" beside cloud actions

    def __init__(self, cloud: CloudController, billing: BillingClient, theme: Theme, *,
                 backoff: Backoff | None = None) -> None:
        super().__init__()
        self.cloud = cloud
        self.billing = billing
        self.theme = theme
        self.plan: Plan | None = None
        self.last_url: str | None = None
        self.watcher = PaymentWatcher(cloud, billing, backoff)
        self.watcher.confirming.connect(lambda: self._say("Confirming payment…"))
        self.watcher.confirmed.connect(self._confirmed)
        self.watcher.timed_out.connect(lambda: self._say(
            "We haven't received the payment confirmation yet. If you paid, it can take a few minutes: "
            "press Refresh later, or check the receipt Stripe e-mailed you. You were not charged twice."
            if self.watcher.tier else "No change from the billing portal has arrived yet; press Refresh if "
            "you changed something there."))
        self.watcher.cancelled.connect(lambda: self._say("Checkout cancelled: your plan is unchanged."))
        self._who: tuple[bool, str | None] | None = None
        self._generation = 0
        cloud.status_changed.connect(self._status)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 12)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.manage_button = QPushButton("Manage billing")
        self.manage_button.clicked.connect(self.manage)
        outer.addWidget(page_header("Billing", "Your plan, what you use, and the plans side by side.",
                                    [self.manage_button, self.refresh_button]))
        self.banner = QFrame()
        self.banner.setStyleSheet(f"QFrame {{ background: {theme.colors['warning']}; border-radius: 10px; }} "
                                  "QLabel { color: #15171c; background: transparent; }")
        bl = QHBoxLayout(self.banner)
        self.banner_text = QLabel("Your last payment failed. Update your card to keep your plan.")
        self.banner_text.setWordWrap(True)
        bl.addWidget(self.banner_text, 1)
        fix = QPushButton("Update payment")
        fix.clicked.connect(self.manage)
        bl.addWidget(fix)
        self.banner.hide()
        outer.addWidget(self.banner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 0, 0, 0)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        summary = Card()
        self.plan_label = QLabel("Plan: …")
        self.plan_label.setObjectName("PageTitle")
        self.when_label = muted("")
        self.state_label = QLabel("")
        self.state_label.setWordWrap(True)
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.clicked.connect(lambda: cloud.sign_in_needed.emit("Sign in to see your plan."))
        for w in (self.plan_label, self.when_label, self.state_label, self.sign_in_button):
            summary.body.addWidget(w)
        self.body.addWidget(summary)

        usage = Card()
        usage.body.addWidget(QLabel("<b>Usage</b>"))
        grid = QGridLayout()
        self.usage_bars: dict[str, QProgressBar] = {}
        self.usage_labels: dict[str, QLabel] = {}
        for row, (metric, label, _unit) in enumerate(METRICS):
            grid.addWidget(QLabel(label), row, 0)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(False)
            bar.setFixedHeight(8)
            grid.addWidget(bar, row, 1)
            text = QLabel("")
            text.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(text, row, 2)
            self.usage_bars[metric], self.usage_labels[metric] = bar, text
        grid.setColumnStretch(1, 1)
        usage.body.addLayout(grid)
        usage.body.addWidget(muted(LOCAL_NOTE))
        self.body.addWidget(usage)

        self.tiers_box = QHBoxLayout()
        self.tier_buttons: dict[str, QPushButton] = {}
        self.body.addLayout(self.tiers_box)
        self.body.addStretch(1)
        self.refresh()

    # ------------------------------------------------------------ data
    def _status(self, status: Any) -> None:
        """Signed in or out, or someone else: reload (not on every sync's online/syncing change)."""
        who = (self.cloud.signed_in, getattr(status, "email", None))
        if who != self._who:
            self.refresh()

    def refresh(self) -> None:
        self._who = (self.cloud.signed_in, self.cloud.status.email)
        signed_in = self.cloud.signed_in
        self.sign_in_button.setVisible(not signed_in)
        self.manage_button.setEnabled(signed_in and self.billing.configured)
        if not signed_in:
            self.plan_label.setText("Plan: Free")
            self.when_label.setText("Sign in to see your plan and usage. Without an account everything local "
                                    "still works.")
            self.banner.hide()
        self._generation += 1
        gen = self._generation

        def loaded(plan: Plan) -> None:
            if gen == self._generation:  # an older read finishing late never overwrites a newer one
                self.show_plan(plan)

        self.cloud.run("Plan and usage", lambda _p, _c: self._load(signed_in), on_result=loaded, quiet=True,
                       background=True)

    def _load(self, signed_in: bool) -> Plan:
        return self.billing.plan() if signed_in else self.billing.plan_signed_out()

    def show_plan(self, plan: Plan) -> None:
        self.plan = plan
        tiers = plan.tiers
        label = tiers[plan.tier].label if plan.tier in tiers else plan.tier.title()
        self.plan_label.setText(f"Plan: {label}")
        if plan.cancels_on:
            when = f"Cancels on {plan.cancels_on:%B %-d, %Y} — you keep {label} until then."
        elif plan.renews_on:
            when = f"Renews on {plan.renews_on:%B %-d, %Y}."
        elif self.cloud.signed_in:
            when = "No subscription." if plan.tier == "free" else ""
        else:
            when = self.when_label.text()
        if self.cloud.signed_in and not plan.from_server:
            when += " (offline: the last known plan)"
        self.when_label.setText(when)
        self.banner.setVisible(plan.past_due)
        if not self.billing.configured and not self.state_label.text():
            self._say("Upgrades are not available with this cloud: it has no billing service address. "
                      "Local work is never limited.")
        # the portal needs a Stripe customer: there is one once a Checkout has been started
        self.manage_button.setEnabled(self.cloud.signed_in and self.billing.configured
                                      and plan.subscription is not None)
        self.manage_button.setToolTip("" if plan.subscription else "Available once you have subscribed.")
        for metric, _label, unit in METRICS:
            used, limit = plan.usage(metric), plan.limit(metric)
            self.usage_labels[metric].setText(f"{format_amount(used, unit)} of {format_amount(limit, unit)}")
            self.usage_bars[metric].setValue(0 if not limit else min(1000, int(1000 * used / limit)))
        self._show_tiers(plan)
        self.plan_loaded.emit(plan)

    def _show_tiers(self, plan: Plan) -> None:
        clear_layout(self.tiers_box)
        self.tier_buttons.clear()
        current = plan.tiers.get(plan.tier)
        for tier in sorted(plan.tiers.values(), key=lambda t: t.rank):
            card = Card()
            card.body.addWidget(QLabel(f"<b>{tier.label}</b>"))
            price = QLabel(tier.price_label)
            price.setObjectName("PageSubtitle")
            card.body.addWidget(price)
            for metric, label, unit in METRICS:
                card.body.addWidget(muted(f"{label}: {format_amount(tier.limits.get(metric), unit)}"))
            if tier.name == plan.tier:
                btn = QPushButton("Current plan")
                btn.setEnabled(False)
            elif tier.purchasable and (current is None or tier.rank > current.rank) and not (
                    plan.subscription and plan.subscription.status in ("active", "trialing", "past_due")):
                btn = QPushButton(f"Upgrade to {tier.label}")
                btn.setObjectName("Primary")
                btn.clicked.connect(lambda _=False, t=tier.name: self.upgrade(t))
            else:
                btn = QPushButton("Change in Manage billing")
                btn.clicked.connect(self.manage)
            btn.setEnabled(btn.isEnabled() and self.cloud.signed_in and self.billing.configured)
            self.tier_buttons[tier.name] = btn
            card.body.addStretch(1)
            card.body.addWidget(btn)
            self.tiers_box.addWidget(card, 1)

    # ------------------------------------------------------------ actions
    def _say(self, text: str) -> None:
        self.state_label.setText(text)

    def _open(self, url: str) -> None:
        self.last_url = url
        QDesktopServices.openUrl(QUrl(url))

    def upgrade(self, tier: str) -> None:
        """Ask the billing service for a Checkout session and open it in the browser."""
        before = self.plan
        back = self.watcher.return_url()
        self._say("Opening Checkout in your browser…")

        def opened(url: Any) -> None:
            self.watcher.expect(before or self.billing.plan_signed_out(), tier)
            self._open(str(url))
            self._say("Finish the payment in your browser; this page updates by itself when it is confirmed.")

        self.cloud.run(f"Checkout for {tier.title()}", lambda _p, _c: self.billing.checkout_url(tier, return_url=back),
                       on_result=opened)

    def manage(self) -> None:
        """The Stripe customer portal: card, invoices, cancel, switch plan."""
        before = self.plan
        back = self.watcher.return_url()

        def opened(url: Any) -> None:
            if before is not None:
                self.watcher.expect(before, None)
            self._open(str(url))
            self._say("The billing portal is open in your browser; changes show here when you come back.")

        self.cloud.run("Billing portal", lambda _p, _c: self.billing.portal_url(return_url=back), on_result=opened)

    def _confirmed(self, plan: Plan) -> None:
        self._generation += 1  # reads started before the confirmation are older than it
        self.show_plan(plan)
        label = plan.tiers[plan.tier].label if plan.tier in plan.tiers else plan.tier
        self._say(f"Payment confirmed: you are on {label} now." if self.watcher.tier else "Your plan is up to date.")

    def show_limit_dialog(self, limit: str, message: str) -> LimitDialog:
        """The hook for a refused cloud action (``CloudController.over_limit``)."""
        dlg = LimitDialog(self.window(), limit, message, self.plan, self.upgrade, self.show_page.emit)
        dlg.setModal(False)
        dlg.show()
        self.limit_dialog = dlg
        self.refresh()
        return dlg

    def remaining_text(self, metric: str) -> str:
        """What is left before a cloud action (e.g. beside Save to cloud)."""
        return self.plan.remaining_text(metric) if self.plan else ""

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.watcher.close()
        super().closeEvent(event)


def install_billing(window: MainWindow, cloud: CloudController) -> BillingPage:
    """Put the Billing page in the window (the sidebar's Billing entry) and make
    it the home of over-limit dialogs (``studio.cloud_ui.over_limit_dialog``)."""
    from sync.session import bundled_config_path

    s = window.s
    url = billing_url({"billing_url": s.settings.str(SETTING_BILLING_URL)}, bundled=bundled_config_path())
    page = BillingPage(cloud, BillingClient(cloud.session.require, url), s.theme)
    window.pages["Billing"] = page
    window.stack.addWidget(page)
    button = window.findChild(QToolButton, "nav_Billing")
    settings_button = window.nav_buttons.get("Settings")
    if button is not None:
        side = button.parentWidget().layout() if button.parentWidget() else None
        if side is not None and settings_button is not None:  # out of "soon": beside Settings
            side.removeWidget(button)
            side.insertWidget(side.indexOf(settings_button) + 1, button)
        button.setEnabled(True)
        button.setCheckable(True)
        button.setToolTip("Your plan, usage and billing")
        button.setIcon(s.theme.icon("billing"))
        window.nav.addButton(button)
        window.nav_buttons["Billing"] = button
        button.clicked.connect(lambda _c=False: window.go("Billing"))
    page.show_page.connect(lambda: window.go("Billing"))
    projects = getattr(window, "projects_page", None)
    if projects is not None:  # what remains, shown before "Save to cloud" is clicked
        label = muted("")
        label.setObjectName("cloud_limits")
        lay = projects.layout()
        lay.insertWidget(lay.count() - 1, label)

        def show(plan: Plan) -> None:
            text = limits_summary(plan) if cloud.signed_in else ""
            label.setText(text)
            projects.save_btn.setToolTip(text)

        page.plan_loaded.connect(show)
        cloud.projects_changed.connect(page.refresh)
    return page


def limits_summary(plan: Plan) -> str:
    """``Free plan: 2 of 5 cloud projects left · 480 MB of 500 MB cloud storage left``."""
    label = plan.tiers[plan.tier].label if plan.tier in plan.tiers else plan.tier.title()
    return f"{label} plan: " + " · ".join(plan.remaining_text(m) for m in ("max_projects", "storage_bytes"))
