"""The Billing page through the widgets, against the local cloud (real
PostgreSQL, gateway, billing service under waitress, real Stripe SDK, the
development Stripe sending signed webhooks): a free user hits the project
limit, the dialog offers Upgrade, the Checkout URL opened is the one the
service created, the webhook arrives, the page shows the new plan without a
restart and the limit is lifted; a cancellation in the portal shows its date;
a failed payment shows the banner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel

from audio_engine.project.fileformat import save_project
from audio_engine.project.model import Project
from studio.cloud import CloudController
from studio.jobs import JobRunner
from studio.settings import Settings
from studio.theme import Theme
from studio.views.billing_page import BillingPage, LimitDialog
from sync.billing import Backoff, BillingClient

from .conftest import LocalCloud


class Browser(QObject):
    """Stands where the system browser is: QDesktopServices hands it the URLs the studio opens."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def browser(qapp: Any) -> Iterator[Browser]:
    b = Browser()
    QDesktopServices.setUrlHandler("http", b, "open")
    yield b
    QDesktopServices.unsetUrlHandler("http")


@pytest.fixture
def studio(local_cloud: LocalCloud, tmp_path: Path, qtbot: Any) -> Iterator[tuple[BillingPage, CloudController, str]]:
    session, uid = local_cloud.signed_up(tmp_path / "home")
    jobs = JobRunner()
    ctl = CloudController(session, jobs, Settings(tmp_path / "settings.ini"), auto_sync=False)
    page = BillingPage(ctl, BillingClient(session.require, local_cloud.billing.url), Theme("dark"),
                       backoff=Backoff(first_s=0.1, max_s=0.4, timeout_s=30))
    ctl.over_limit.connect(page.show_limit_dialog)  # what studio.cloud_ui wires in the window
    qtbot.addWidget(page)
    page.resize(1200, 900)
    page.show()
    yield page, ctl, uid
    page.watcher.close()
    jobs.shutdown(timeout=3)


def wait_until(qtbot: Any, cond: Any, timeout: float = 30.0) -> None:
    qtbot.waitUntil(cond, timeout=int(timeout * 1000))


def test_free_user_hits_the_project_limit_upgrades_and_the_limit_is_lifted(
        local_cloud: LocalCloud, studio: tuple[BillingPage, CloudController, str], browser: Browser,
        qtbot: Any, tmp_path: Path) -> None:
    page, ctl, uid = studio
    local_cloud.add_projects(uid, 5)
    page.refresh()
    wait_until(qtbot, lambda: page.usage_labels["max_projects"].text() == "5 of 5")
    assert page.plan_label.text() == "Plan: Free" and page.remaining_text("max_projects").startswith("0 of 5")
    assert [page.tier_buttons[t].text() for t in ("free", "pro", "studio")] == [
        "Current plan", "Upgrade to Pro", "Upgrade to Studio"]

    # the sixth project: the server refuses it, the dialog names the limit and offers Upgrade
    sixth = save_project(Project(title="Sixth"), tmp_path / "sixth.mashup")
    ctl.save_to_cloud(sixth)
    wait_until(qtbot, lambda: isinstance(getattr(page, "limit_dialog", None), LimitDialog)
               and page.limit_dialog.isVisible())
    dlg = page.limit_dialog
    assert dlg.limit == "max_projects" and dlg.upgrade_button is not None
    assert dlg.upgrade_button.text() == "Upgrade to Pro"
    local_cloud.billing.stripe_state.auto_deliver = False  # hold Stripe's events: the page must wait for them
    qtbot.mouseClick(dlg.upgrade_button, Qt.MouseButton.LeftButton)
    wait_until(qtbot, lambda: len(browser.urls) == 1)
    url = browser.urls[0]
    session = local_cloud.billing.stripe_state.sessions[url.rsplit("/", 1)[1]]  # the one the service created
    assert session["client_reference_id"] == uid and session["status"] == "open"

    # the creator pays in the browser and comes back to the studio's loopback page
    httpx.post(f"{url}/complete", follow_redirects=True, timeout=10).raise_for_status()
    wait_until(qtbot, lambda: page.state_label.text() == "Confirming payment…")
    qtbot.wait(800)  # several polls: no webhook yet, nothing changes
    assert page.plan_label.text() == "Plan: Free" and page.watcher.polling
    for evt in local_cloud.billing.stripe_state.events:  # now Stripe's signed webhooks arrive
        assert local_cloud.billing.stripe_state.deliver(evt) == 200
    wait_until(qtbot, lambda: page.plan_label.text() == "Plan: Pro")
    assert page.state_label.text() == "Payment confirmed: you are on Pro now."
    assert page.usage_labels["max_projects"].text() == "5 of 100" and page.when_label.text().startswith("Renews on")
    assert page.tier_buttons["pro"].text() == "Current plan"

    # the limit is lifted: the refused project goes up now
    for entry in ctl.session.rejected():
        ctl.session.retry(entry.key)
    ctl.sync_now()
    with local_cloud.db.connect() as conn:
        count = lambda: conn.execute("select count(*) n from public.projects where owner_id = %s",  # noqa: E731
                                     (uid,)).fetchone()["n"]
        wait_until(qtbot, lambda: count() == 6)
    page.refresh()
    wait_until(qtbot, lambda: page.usage_labels["max_projects"].text() == "6 of 100")


def _subscribe(local_cloud: LocalCloud, page: BillingPage, browser: Browser, qtbot: Any, tier: str = "pro") -> None:
    page.upgrade(tier)
    wait_until(qtbot, lambda: len(browser.urls) == 1)
    httpx.post(f"{browser.urls.pop()}/complete", follow_redirects=True, timeout=10).raise_for_status()
    wait_until(qtbot, lambda: page.plan_label.text() == f"Plan: {tier.title()}")


def test_portal_cancellation_shows_the_date_and_past_due_shows_the_banner(
        local_cloud: LocalCloud, studio: tuple[BillingPage, CloudController, str], browser: Browser,
        qtbot: Any) -> None:
    page, _ctl, _uid = studio
    _subscribe(local_cloud, page, browser, qtbot)
    qtbot.mouseClick(page.manage_button, Qt.MouseButton.LeftButton)
    wait_until(qtbot, lambda: len(browser.urls) == 1)
    portal = browser.urls.pop()
    assert portal.startswith(f"{local_cloud.billing.stripe.url}/p/session/")
    local_cloud.portal(portal, "cancel_at_period_end")
    httpx.get(f"{page.watcher.return_url()}?portal=return", timeout=10)  # "Return" in the portal
    wait_until(qtbot, lambda: page.when_label.text().startswith("Cancels on"))
    sub = next(iter(local_cloud.billing.stripe_state.subscriptions.values()))
    end = time.gmtime(sub["items"]["data"][0]["current_period_end"])
    assert time.strftime("%B", end) in page.when_label.text() and str(end.tm_year) in page.when_label.text()
    assert "you keep Pro until then" in page.when_label.text() and not page.banner.isVisible()

    # a failed renewal: the creator comes back to the studio window (it becomes active again)
    page.manage()
    wait_until(qtbot, lambda: len(browser.urls) == 1)
    local_cloud.portal(browser.urls.pop(), "payment_failed")
    page.watcher._app_state(Qt.ApplicationState.ApplicationActive)
    wait_until(qtbot, lambda: page.banner.isVisible())
    assert "payment failed" in page.banner_text.text() and page.plan_label.text() == "Plan: Pro"


def test_cancelled_checkout_leaves_the_plan_and_an_unconfirmed_payment_times_out(
        local_cloud: LocalCloud, studio: tuple[BillingPage, CloudController, str], browser: Browser,
        qtbot: Any) -> None:
    page, _ctl, _uid = studio
    wait_until(qtbot, lambda: page.plan is not None)
    page.upgrade("studio")
    wait_until(qtbot, lambda: len(browser.urls) == 1)
    httpx.get(f"{page.watcher.return_url()}?checkout=cancel", timeout=10)
    wait_until(qtbot, lambda: page.state_label.text() == "Checkout cancelled: your plan is unchanged.")
    assert page.plan_label.text() == "Plan: Free" and not page.watcher.polling
    # paid, but the webhook never comes: after the timeout the page says what to do
    page.watcher.backoff = Backoff(first_s=0.1, max_s=0.2, timeout_s=1.0)
    local_cloud.billing.stripe_state.auto_deliver = False
    page.upgrade("studio")
    wait_until(qtbot, lambda: len(browser.urls) == 2)
    httpx.post(f"{browser.urls[-1]}/complete", follow_redirects=True, timeout=10).raise_for_status()
    wait_until(qtbot, lambda: "haven't received the payment confirmation" in page.state_label.text())
    assert page.plan_label.text() == "Plan: Free"


def test_the_window_has_a_billing_page_in_the_sidebar(local_cloud: LocalCloud, tmp_path: Path, qtbot: Any,
                                                       monkeypatch: pytest.MonkeyPatch, browser: Browser) -> None:
    from backend.devserver.gateway import ANON_KEY
    from studio.cloud_ui import over_limit_dialog
    from studio.main_window import MainWindow
    from studio.services import build_services

    monkeypatch.setenv("MASHUPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUPABASE_URL", local_cloud.gateway.url)
    monkeypatch.setenv("SUPABASE_ANON_KEY", ANON_KEY)
    monkeypatch.setenv("MASHUPS_BILLING_URL", local_cloud.billing.url)
    services = build_services(settings_path=tmp_path / "settings.ini")
    services.settings.set("audio/device", "null")
    w = MainWindow(services, first_run_prompt=False)
    qtbot.addWidget(w)
    w.show()
    try:
        nav = w.nav_buttons["Billing"]
        assert nav.isEnabled()
        qtbot.mouseClick(nav, Qt.MouseButton.LeftButton)
        page = w.pages["Billing"]
        assert w.stack.currentWidget() is page and isinstance(page, BillingPage)
        wait_until(qtbot, lambda: page.plan is not None and page.tier_buttons.get("pro") is not None)
        # signed out: the free plan, the prices to compare, a way to sign in; no Upgrade without an account
        assert page.plan_label.text() == "Plan: Free" and page.sign_in_button.isVisible()
        assert [page.tier_buttons[t].isEnabled() for t in ("free", "pro", "studio")] == [False, False, False]
        # a refused cloud action anywhere in the window opens the Billing page's dialog
        w.go("Library")
        dlg = over_limit_dialog(w, services.cloud, "storage_bytes", "Your plan's limit on cloud storage is reached.")
        assert isinstance(dlg, LimitDialog) and dlg.upgrade_button is not None
        see_plans = next(b for b in dlg.findChildren(type(dlg.upgrade_button)) if b.text() == "See plans")
        qtbot.mouseClick(see_plans, Qt.MouseButton.LeftButton)
        assert w.current_page() == "Billing"
        # signed in: what remains is shown on the Projects page before "Save to cloud" is clicked
        services.cloud.session.sign_up(f"w-{time.monotonic_ns()}@example.test", "a long enough password")
        limits = w.projects_page.findChild(QLabel, "cloud_limits")
        wait_until(qtbot, lambda: limits.text() == "Free plan: 5 of 5 cloud projects left · "
                                                   "500 MB of 500 MB cloud storage left")
        assert w.projects_page.save_btn.toolTip() == limits.text()
        assert page.plan_label.text() == "Plan: Free" and not page.sign_in_button.isVisible()
        assert page.tier_buttons["pro"].isEnabled()
    finally:
        w.close()
        services.close()


def test_without_a_billing_service_the_page_says_so_and_compares_the_bundled_tiers(
        local_cloud: LocalCloud, tmp_path: Path, qtbot: Any) -> None:
    session, _uid = local_cloud.signed_up(tmp_path / "home")
    jobs = JobRunner()
    ctl = CloudController(session, jobs, Settings(tmp_path / "settings.ini"), auto_sync=False)
    page = BillingPage(ctl, BillingClient(session.require, None), Theme("light"))
    qtbot.addWidget(page)
    page.show()
    try:
        wait_until(qtbot, lambda: page.plan is not None and "not available" in page.state_label.text())
        assert page.plan_label.text() == "Plan: Free" and page.usage_labels["max_projects"].text() == "0 of 5"
        assert [page.tier_buttons[t].isEnabled() for t in ("free", "pro", "studio")] == [False, False, False]
        assert not page.manage_button.isEnabled()
        assert page.plan.tiers["pro"].price_label == "price unavailable"
    finally:
        page.watcher.close()
        jobs.shutdown(timeout=3)
