"""Billing service against the real database: Checkout/portal session
creation (Stripe's HTTP API replaced by a recording double, the only part not
exercised), and the webhook with real Stripe-signed payloads."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import time
from typing import Any

import jwt
import pytest

from backend.billing import BillingConfig, BillingError, BillingService, PostgresBillingStore
from backend.billing.app import make_app
from backend.devserver.gateway import JWT_SECRET

from .conftest import Db, act_as

WHSEC = "whsec_test_secret_for_signatures"
PRICES = {"pro": "price_pro_monthly", "studio": "price_studio_monthly"}


class FakeStripe:
    """Stands in for Stripe's HTTP API: records requests, serves subscriptions' current state."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.down = False
        self._n = 0

    def create_customer(self, *, email: str | None, user_id: str, idempotency_key: str) -> str:
        self._n += 1
        self.calls.append(("customer", {"email": email, "user_id": user_id, "key": idempotency_key}))
        return f"cus_{self._n}"

    def create_checkout_session(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        self.calls.append(("checkout", params))
        return {"id": "cs_1", "url": "https://checkout.stripe.com/c/pay/cs_1"}

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("portal", params))
        return {"id": "bps_1", "url": "https://billing.stripe.com/p/session/1"}

    def retrieve_subscription(self, subscription_id: str) -> dict[str, Any]:
        if self.down:
            raise ConnectionError("stripe unreachable")
        return self.subscriptions[subscription_id]

    def set_sub(self, sub_id: str, user: str, customer: str, status: str, tier: str) -> dict[str, Any]:
        sub = {"id": sub_id, "object": "subscription", "customer": customer, "status": status,
               "metadata": {"user_id": user}, "cancel_at_period_end": False,
               "items": {"object": "list", "data": [{"price": {"id": PRICES[tier]},
                                                      "current_period_end": int(time.time()) + 30 * 86400}]}}
        self.subscriptions[sub_id] = sub
        return sub


def sign(payload: bytes, secret: str = WHSEC, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(evt_id: str, evt_type: str, obj: dict[str, Any], created: int | None = None) -> bytes:
    return json.dumps({"id": evt_id, "object": "event", "type": evt_type, "api_version": "2025-06-30",
                       "created": created or int(time.time()), "livemode": False,
                       "data": {"object": obj}}).encode()


@pytest.fixture
def billing(fresh_db: Db) -> tuple[BillingService, FakeStripe, PostgresBillingStore]:
    config = BillingConfig(webhook_secret=WHSEC, jwt_secret=JWT_SECRET, prices=PRICES,
                           success_url="https://x/ok", cancel_url="https://x/cancel", portal_return_url="https://x/a")
    store = PostgresBillingStore(fresh_db.dsn)
    store.sync_prices(PRICES)
    api = FakeStripe()
    return BillingService(config, api, store), api, store


def tier_of(db: Db, uid: str) -> str:
    with db.connect() as conn, conn.transaction():
        act_as(conn, "authenticated", uid)
        row = conn.execute("select public.get_entitlements() e").fetchone()
    assert row is not None
    return str(row["e"]["tier"])


def token(uid: str) -> str:
    return jwt.encode({"sub": uid, "role": "authenticated", "aud": "authenticated", "email": "u@example.test",
                       "exp": int(time.time()) + 600}, JWT_SECRET, algorithm="HS256")


def call(app: Any, path: str, body: bytes, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    out: dict[str, Any] = {}
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body), **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}}
    chunks = app(environ, lambda status, hdrs: out.setdefault("status", status))
    return out["status"], json.loads(b"".join(chunks))


def test_checkout_and_portal_for_the_signed_in_user(fresh_db: Db, billing: Any) -> None:
    service, api, store = billing
    app = make_app(service)
    uid = fresh_db.create_user()
    status, body = call(app, "/checkout", b'{"tier": "pro"}', {"Authorization": f"Bearer {token(uid)}"})
    assert status.startswith("200") and body["url"].startswith("https://checkout.stripe.com/")
    call(app, "/checkout", b'{"tier": "studio"}', {"Authorization": f"Bearer {token(uid)}"})
    kinds = [k for k, _ in api.calls]
    assert kinds == ["customer", "checkout", "checkout"]  # one customer per user
    params = api.calls[1][1]
    assert params["client_reference_id"] == uid and params["mode"] == "subscription"
    assert params["line_items"] == [{"price": "price_pro_monthly", "quantity": 1}]
    assert params["subscription_data"]["metadata"]["user_id"] == uid
    assert store.customer_for(uid) == params["customer"]
    status, body = call(app, "/portal", b"", {"Authorization": f"Bearer {token(uid)}"})
    assert status.startswith("200") and api.calls[-1][1]["customer"] == params["customer"]
    # refusals
    assert call(app, "/checkout", b'{"tier": "pro"}', {})[0].startswith("401")
    forged = jwt.encode({"sub": uid, "role": "authenticated", "aud": "authenticated"}, "wrong-secret-" * 3)
    assert call(app, "/checkout", b'{"tier": "pro"}', {"Authorization": f"Bearer {forged}"})[0].startswith("401")
    assert call(app, "/checkout", b'{"tier": "free"}', {"Authorization": f"Bearer {token(uid)}"})[0].startswith("400")
    other = fresh_db.create_user()
    assert call(app, "/portal", b"", {"Authorization": f"Bearer {token(other)}"})[0].startswith("404")


def test_webhook_rejects_bad_signatures_and_records_nothing(fresh_db: Db, billing: Any) -> None:
    service, api, store = billing
    uid = fresh_db.create_user()
    sub = api.set_sub("sub_1", uid, "cus_x", "active", "studio")
    payload = event("evt_bad", "customer.subscription.created", sub)
    app = make_app(service)
    for sig in ("", sign(payload, "whsec_other"), sign(payload, t=int(time.time()) - 3600),
                sign(payload.replace(b"studio", b"studix"))):
        status, _ = call(app, "/webhook", payload.replace(b"active", b"active ") if sig == "" else payload,
                         {"Stripe-Signature": sig} if sig else {})
        assert status.startswith("400")
    tampered = payload.replace(b'"active"', b'"trialing"')
    assert call(app, "/webhook", tampered, {"Stripe-Signature": sign(payload)})[0].startswith("400")
    assert not store.event_seen("evt_bad") and tier_of(fresh_db, uid) == "free"


def test_webhook_entitlement_from_current_state_once_and_in_any_order(fresh_db: Db, billing: Any) -> None:
    service, api, store = billing
    app = make_app(service)
    uid = fresh_db.create_user()
    sub = api.set_sub("sub_1", uid, "cus_1", "active", "pro")
    created = event("evt_1", "customer.subscription.created", sub, created=1000)
    status, body = call(app, "/webhook", created, {"Stripe-Signature": sign(created)})
    assert status.startswith("200") and body == {"status": "processed", "event": "evt_1", "tier": "pro"}
    assert tier_of(fresh_db, uid) == "pro"
    # duplicate delivery: nothing happens even though Stripe's state changed meanwhile
    api.set_sub("sub_1", uid, "cus_1", "active", "studio")
    assert call(app, "/webhook", created, {"Stripe-Signature": sign(created)})[1]["status"] == "duplicate"
    assert tier_of(fresh_db, uid) == "pro"
    # upgrade
    upd = event("evt_2", "customer.subscription.updated", api.subscriptions["sub_1"], created=2000)
    assert call(app, "/webhook", upd, {"Stripe-Signature": sign(upd)})[1]["tier"] == "studio"
    # cancellation arrives, then an older "updated: active" event arrives late
    canceled = api.set_sub("sub_1", uid, "cus_1", "canceled", "studio")
    deleted = event("evt_4", "customer.subscription.deleted", canceled, created=4000)
    assert call(app, "/webhook", deleted, {"Stripe-Signature": sign(deleted)})[1]["tier"] == "free"
    stale_obj = dict(canceled, status="active")
    stale = event("evt_3", "customer.subscription.updated", stale_obj, created=3000)
    assert call(app, "/webhook", stale, {"Stripe-Signature": sign(stale)})[1]["tier"] == "free"
    assert tier_of(fresh_db, uid) == "free"
    with fresh_db.connect() as conn:
        n = conn.execute("select count(*) n from private.stripe_events").fetchone()
        subs = conn.execute("select status from public.subscriptions").fetchall()
    assert n is not None and n["n"] == 4 and [s["status"] for s in subs] == ["canceled"]


def test_older_snapshot_never_overwrites_newer(fresh_db: Db, billing: Any) -> None:
    service, api, store = billing
    uid = fresh_db.create_user()
    from backend.billing.service import SubscriptionState

    new = SubscriptionState("sub_9", uid, "cus_9", "canceled", PRICES["pro"], None, False, version=2_000)
    old = SubscriptionState("sub_9", uid, "cus_9", "active", PRICES["pro"], None, False, version=1_000)
    assert store.apply_event("evt_a", "customer.subscription.deleted", 2, new) == "free"
    assert store.apply_event("evt_b", "customer.subscription.updated", 1, old) == "free"
    assert tier_of(fresh_db, uid) == "free"


def test_stripe_unreachable_means_retry_later(fresh_db: Db, billing: Any) -> None:
    service, api, store = billing
    uid = fresh_db.create_user()
    sub = api.set_sub("sub_5", uid, "cus_5", "active", "pro")
    payload = event("evt_5", "checkout.session.completed",
                    {"id": "cs_5", "object": "checkout.session", "subscription": "sub_5", "client_reference_id": uid})
    api.down = True
    with pytest.raises(BillingError) as err:
        service.handle_webhook(payload, sign(payload))
    assert err.value.status == 503 and not store.event_seen("evt_5")
    api.down = False
    assert service.handle_webhook(payload, sign(payload)).tier == "pro"
    assert sub["status"] == "active" and tier_of(fresh_db, uid) == "pro"


def test_concurrent_duplicate_deliveries_apply_once(fresh_db: Db, billing: Any) -> None:
    service, api, store = billing
    uid = fresh_db.create_user()
    api.set_sub("sub_7", uid, "cus_7", "active", "pro")
    payload = event("evt_7", "customer.subscription.created", api.subscriptions["sub_7"])
    results: list[str] = []

    def deliver() -> None:
        results.append(service.handle_webhook(payload, sign(payload)).status)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("processed") == 1 and results.count("duplicate") == 7
    assert tier_of(fresh_db, uid) == "pro"
