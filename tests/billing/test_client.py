"""sync.billing against the local cloud: plan and usage from get_entitlements,
tiers with prices from the billing service, Checkout and portal sessions, and
waiting for the webhook; the CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.tiers import load_tiers
from sync.billing import (
    Backoff,
    BillingClient,
    BillingNotConfiguredError,
    ReturnPage,
    billing_url,
    format_amount,
)
from sync.tiers import bundled_tiers

from .conftest import LocalCloud

FAST = Backoff(first_s=0.05, max_s=0.2, timeout_s=20)


def test_plan_tiers_checkout_and_webhook_round_trip(local_cloud: LocalCloud, tmp_path: Path) -> None:
    s, uid = local_cloud.signed_up(tmp_path / "a")
    local_cloud.add_projects(uid, 3)
    c = local_cloud.client(s)
    plan = c.plan()
    assert plan.from_server and plan.tier == "free" and plan.subscription is None
    assert plan.usage("max_projects") == 3 and plan.limit("max_projects") == 5
    assert plan.remaining_text("max_projects") == "2 of 5 cloud projects left"
    assert plan.remaining_text("storage_bytes") == "500 MB of 500 MB cloud storage left"
    tiers = c.tiers()
    assert [t.price_label for t in sorted(tiers.values(), key=lambda t: t.rank)] == ["No charge", "$9 / month",
                                                                                        "$29 / month"]
    for name, t in tiers.items():
        assert t.limits == load_tiers()["tiers"][name]["limits"]
    assert plan.cheapest_tier_lifting("max_projects", 3) is not None
    assert plan.cheapest_tier_lifting("max_projects", 3).name == "pro"  # type: ignore[union-attr]

    url = c.checkout_url("pro", return_url="http://127.0.0.1:40001/billing")
    sid = url.rsplit("/", 1)[1]
    session = local_cloud.billing.stripe_state.sessions[sid]  # the one the service created, for this user
    assert session["client_reference_id"] == uid
    assert session["success_url"].startswith("http://127.0.0.1:40001/billing?checkout=success")
    local_cloud.pay(url)
    after = c.wait_for_change(plan, tier="pro", backoff=FAST)
    assert after is not None and after.tier == "pro" and after.renews_on is not None
    assert after.remaining_text("max_projects") == "97 of 100 cloud projects left"

    portal = c.portal_url(return_url="http://127.0.0.1:40001/billing")
    local_cloud.portal(portal, "cancel_at_period_end")
    cancelled = c.wait_for_change(after, backoff=FAST)
    assert cancelled is not None and cancelled.tier == "pro"
    assert cancelled.cancels_on is not None and cancelled.renews_on is None
    sub = next(iter(local_cloud.billing.stripe_state.subscriptions.values()))
    assert int(cancelled.cancels_on.timestamp()) == sub["items"]["data"][0]["current_period_end"]
    local_cloud.portal(portal, "payment_failed")
    failed = c.wait_for_change(cancelled, backoff=FAST)
    assert failed is not None and failed.past_due and failed.tier == "pro"


def test_offline_shows_the_last_answer_and_waiting_times_out(local_cloud: LocalCloud, tmp_path: Path) -> None:
    s, uid = local_cloud.signed_up(tmp_path / "a")
    sleeps: list[float] = []
    clock = [0.0]

    def sleep(d: float) -> None:
        sleeps.append(d)
        clock[0] += d

    c = BillingClient(s.require, local_cloud.billing.url, sleep=sleep, clock=lambda: clock[0])
    before = c.plan()
    assert c.wait_for_change(before, tier="pro", backoff=Backoff(timeout_s=30)) is None  # no payment: gives up
    assert sleeps[0] == 1.0 and sleeps[1] == pytest.approx(1.6) and max(sleeps) <= 8.0 and sum(sleeps) == 30
    local_cloud.gateway.stop()
    offline = c.plan()
    assert not offline.from_server and offline.tier == "free" and offline.limit("max_projects") == 5


def test_billing_address_configuration(tmp_path: Path) -> None:
    cloud_json = tmp_path / "cloud.json"
    cloud_json.write_text(json.dumps({"supabase_url": "https://x.supabase.co", "billing_url": "https://bill.x/"}))
    assert billing_url({}, {}, cloud_json) == "https://bill.x"
    assert billing_url({}, {"MASHUPS_BILLING_URL": "http://127.0.0.1:9/"}, cloud_json) == "http://127.0.0.1:9"
    assert billing_url({"billing_url": "https://s.x"}, {"MASHUPS_BILLING_URL": "http://e"}, cloud_json) == "https://s.x"
    assert billing_url({}, {}, tmp_path / "missing.json") is None
    c = BillingClient(lambda: None, None)  # type: ignore[arg-type,return-value]
    with pytest.raises(BillingNotConfiguredError, match="MASHUPS_BILLING_URL"):
        c.checkout_url("pro")
    # without the service, the tier comparison still comes from the bundled tier data
    assert {n: t.limits for n, t in c.tiers().items()} == {
        n: t["limits"] for n, t in bundled_tiers()["tiers"].items()}


def test_amounts_read_like_people_write_them() -> None:
    assert format_amount(None, "count") == "unlimited"
    assert format_amount(1234, "count") == "1,234"
    assert format_amount(524288000, "bytes") == "500 MB"
    assert format_amount(21474836480, "bytes") == "20.0 GB"
    assert format_amount(214748364800, "bytes") == "200 GB"


def test_return_page_reports_the_query_and_answers_the_browser() -> None:
    import httpx

    got: list[dict[str, str]] = []
    page = ReturnPage(got.append)
    try:
        r = httpx.get(f"{page.url}?checkout=success&session_id=cs_test_1")
        assert r.status_code == 200 and "confirming" in r.text
        assert "unchanged" in httpx.get(f"{page.url}?checkout=cancel").text
        assert httpx.get(page.url.replace("/billing", "/other")).status_code == 404
    finally:
        page.close()
    assert got == [{"checkout": "success", "session_id": "cs_test_1"}, {"checkout": "cancel"}]
