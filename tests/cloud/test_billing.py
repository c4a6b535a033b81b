"""Billing service on the real database, served by waitress, talking through
the real ``stripe`` SDK to the development Stripe server, which sends its
signed events back to the webhook over HTTP."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from backend.billing import BillingError, SubscriptionState
from backend.devserver.billing_dev import WEBHOOK_SECRET, DevBilling, start_dev_billing
from backend.devserver.fake_stripe import Price, sign_payload
from backend.devserver.gateway import JWT_SECRET
from backend.tiers import load_tiers

from .conftest import Db, act_as

LEGACY = Price("legacy", "price_legacy_2019", 500)


@pytest.fixture
def billing(fresh_db: Db) -> Iterator[DevBilling]:
    stack = start_dev_billing(fresh_db.dsn, extra_stripe_prices=(LEGACY,))
    try:
        yield stack
    finally:
        stack.close()


def entitlements(db: Db, uid: str) -> dict[str, Any]:
    with db.connect() as conn, conn.transaction():
        act_as(conn, "authenticated", uid)
        row = conn.execute("select public.get_entitlements() e").fetchone()
    assert row is not None
    return dict(row["e"])


def tier_of(db: Db, uid: str) -> str:
    return str(entitlements(db, uid)["tier"])


def token(uid: str, email: str = "u@example.test") -> str:
    return jwt.encode({"sub": uid, "role": "authenticated", "aud": "authenticated", "email": email,
                       "exp": int(time.time()) + 600}, JWT_SECRET, algorithm="HS256")


def post(stack: DevBilling, path: str, uid: str | None, body: dict[str, Any] | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token(uid)}"} if uid else {}
    return httpx.post(f"{stack.url}{path}", json=body or {}, headers=headers, timeout=10)


def buy(stack: DevBilling, uid: str, tier: str) -> dict[str, Any]:
    """Checkout as the user does it: the service's URL, then Pay on the Checkout page."""
    url = post(stack, "/checkout", uid, {"tier": tier}).json()["url"]
    sid = url.rsplit("/", 1)[1]
    r = httpx.post(f"{stack.stripe.url}/c/pay/{sid}/complete", timeout=10)
    assert r.status_code == 303
    return stack.stripe_state.sessions[sid]


def portal(stack: DevBilling, uid: str, action: str, price: str | None = None) -> None:
    url = post(stack, "/portal", uid).json()["url"]
    r = httpx.post(f"{url}/{action}", data={"price": price} if price else {}, timeout=10)
    assert r.status_code == 303, r.text


def test_checkout_and_portal_for_the_signed_in_user(fresh_db: Db, billing: DevBilling) -> None:
    uid = fresh_db.create_user()
    r = post(billing, "/checkout", uid, {"tier": "pro", "return_url": "http://127.0.0.1:45678/billing"})
    assert r.status_code == 200 and r.json()["url"].startswith(f"{billing.stripe.url}/c/pay/cs_test_")
    post(billing, "/checkout", uid, {"tier": "studio"})
    calls = [(q.method, q.path) for q in billing.stripe_state.requests]
    assert calls == [("POST", "/v1/customers"), ("POST", "/v1/checkout/sessions"),
                     ("POST", "/v1/checkout/sessions")]  # one customer per user
    customer_req, checkout = billing.stripe_state.requests[0], billing.stripe_state.requests[1]
    assert customer_req.params == {"email": "u@example.test", "metadata": {"user_id": uid}}
    p = checkout.params
    assert p["client_reference_id"] == uid and p["mode"] == "subscription" and p["allow_promotion_codes"] == "true"
    assert p["line_items"] == [{"price": "price_pro_monthly", "quantity": "1"}]
    assert p["subscription_data"] == {"metadata": {"user_id": uid}} and p["metadata"] == {"user_id": uid}
    assert p["success_url"] == "http://127.0.0.1:45678/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}"
    assert p["cancel_url"] == "http://127.0.0.1:45678/billing?checkout=cancel"
    assert checkout.idempotency_key and checkout.idempotency_key.startswith(f"checkout-{uid}-pro-")
    assert billing.service.store.customer_for(uid) == p["customer"]
    r = post(billing, "/portal", uid, {"return_url": "http://127.0.0.1:45678/billing"})
    assert r.status_code == 200 and r.json()["url"].startswith(f"{billing.stripe.url}/p/session/bps_test_")
    assert billing.stripe_state.requests[-1].params == {"customer": p["customer"],
                                                         "return_url": "http://127.0.0.1:45678/billing?portal=return"}
    # refusals
    assert post(billing, "/checkout", None, {"tier": "pro"}).status_code == 401
    forged = jwt.encode({"sub": uid, "role": "authenticated", "aud": "authenticated"}, "wrong-secret-" * 3)
    r = httpx.post(f"{billing.url}/checkout", json={"tier": "pro"}, headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert post(billing, "/checkout", uid, {"tier": "free"}).status_code == 400
    for evil in ("https://evil.example/phish", "http://evil.example:80/x", "http://127.0.0.1/no-port",
                 "http://user:pw@127.0.0.1:5/x", "javascript:alert(1)"):
        assert post(billing, "/checkout", uid, {"tier": "pro", "return_url": evil}).status_code == 400, evil
    assert post(billing, "/portal", fresh_db.create_user()).status_code == 404
    assert httpx.get(f"{billing.url}/checkout").status_code == 405
    assert httpx.post(f"{billing.url}/checkout", content=b"[1]", headers={
        "Authorization": f"Bearer {token(uid)}"}).status_code == 400


def test_plans_carry_tiers_json_limits_and_stripe_prices(billing: DevBilling) -> None:
    plans = httpx.get(f"{billing.url}/plans").json()
    data = load_tiers()
    assert [t["tier"] for t in plans["tiers"]] == ["free", "pro", "studio"]
    for t in plans["tiers"]:
        assert t["limits"] == data["tiers"][t["tier"]]["limits"] and t["label"] == data["tiers"][t["tier"]]["label"]
    by = {t["tier"]: t for t in plans["tiers"]}
    assert by["free"]["price"] is None and not by["free"]["purchasable"]
    assert by["pro"]["price"] == {"id": "price_pro_monthly", "unit_amount": 900, "currency": "usd",
                                  "interval": "month"}
    assert by["studio"]["price"]["unit_amount"] == 2900 and plans["grace"] == data["grace"]
    assert httpx.get(f"{billing.url}/healthz").json() == {"ok": True}


def test_checkout_portal_lifecycle_reaches_entitlements(fresh_db: Db, billing: DevBilling) -> None:
    uid = fresh_db.create_user()
    assert tier_of(fresh_db, uid) == "free" and entitlements(fresh_db, uid)["subscription"] is None
    session = buy(billing, uid, "pro")
    assert [s for _, s in billing.stripe_state.deliveries] == [200, 200, 200]
    ent = entitlements(fresh_db, uid)
    sub = billing.stripe_state.subscriptions[session["subscription"]]
    assert ent["tier"] == "pro" and ent["limits"] == load_tiers()["tiers"]["pro"]["limits"]
    assert ent["subscription"]["status"] == "active" and not ent["subscription"]["cancel_at_period_end"]
    period_end = sub["items"]["data"][0]["current_period_end"]
    # cancel at period end in the portal: still pro, the date is known
    portal(billing, uid, "cancel_at_period_end")
    ent = entitlements(fresh_db, uid)
    assert ent["tier"] == "pro" and ent["subscription"]["cancel_at_period_end"] is True
    assert abs(_ts(ent["subscription"]["current_period_end"]) - period_end) < 1
    portal(billing, uid, "resume")
    assert entitlements(fresh_db, uid)["subscription"]["cancel_at_period_end"] is False
    portal(billing, uid, "switch", "price_studio_monthly")
    assert tier_of(fresh_db, uid) == "studio"
    # a failed payment: past_due, the tier stays within the grace period
    portal(billing, uid, "payment_failed")
    ent = entitlements(fresh_db, uid)
    assert ent["tier"] == "studio" and ent["subscription"]["status"] == "past_due"
    assert ent["subscription"]["past_due_since"] is not None
    portal(billing, uid, "payment_recovered")
    ent = entitlements(fresh_db, uid)
    assert ent["subscription"]["status"] == "active" and ent["subscription"]["past_due_since"] is None
    portal(billing, uid, "cancel_now")
    ent = entitlements(fresh_db, uid)
    assert ent["tier"] == "free" and ent["subscription"]["status"] == "canceled"


def _ts(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def test_past_due_grace_follows_tiers_json(fresh_db: Db, billing: DevBilling) -> None:
    grace = load_tiers()["grace"]
    uid = fresh_db.create_user()
    buy(billing, uid, "pro")
    portal(billing, uid, "payment_failed")
    assert tier_of(fresh_db, uid) == "pro"
    days = grace["past_due_days"]
    for since, expected in ((days - 0.5, "pro"), (days + 0.5, "free")):
        with fresh_db.connect(autocommit=True) as conn:
            conn.execute("update public.subscriptions set past_due_since = now() - make_interval(secs => %s)",
                         (since * 86400,))
            conn.execute("set role service_role")
            conn.execute("select private.billing_recompute_entitlement(%s)", (uid,))
        assert tier_of(fresh_db, uid) == expected, since
    # an active subscription keeps its tier for after_period_end_days past the period end
    portal(billing, uid, "payment_recovered")
    for past, expected in ((grace["after_period_end_days"] - 0.5, "pro"), (grace["after_period_end_days"] + 0.5, "free")):
        with fresh_db.connect(autocommit=True) as conn:
            conn.execute("update public.subscriptions set current_period_end = now() - make_interval(secs => %s)",
                         (past * 86400,))
            conn.execute("set role service_role")
            conn.execute("select private.billing_recompute_entitlement(%s)", (uid,))
        assert tier_of(fresh_db, uid) == expected, past


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_and_duplicated_events_end_in_the_latest_state(fresh_db: Db, fresh_stack: Any, seed: int) -> None:
    stack: DevBilling = fresh_stack
    uid = fresh_db.create_user()
    rng = random.Random(seed)
    buy(stack, uid, "pro")
    for _ in range(6):
        action = rng.choice(["cancel_at_period_end", "resume", "switch", "payment_failed", "payment_recovered"])
        price = rng.choice(["price_pro_monthly", "price_studio_monthly"]) if action == "switch" else None
        portal(stack, uid, action, price)
    if rng.random() < 0.5:
        portal(stack, uid, "cancel_now")
    events = list(stack.stripe_state.events) * 2
    rng.shuffle(events)
    for evt in events:
        assert stack.stripe_state.deliver(evt) == 200
    sub = next(iter(stack.stripe_state.subscriptions.values()))
    expected = "free" if sub["status"] == "canceled" else sub["items"]["data"][0]["price"]["lookup_key"]
    ent = entitlements(fresh_db, uid)
    assert ent["tier"] == expected
    assert ent["subscription"]["status"] == sub["status"]
    assert ent["subscription"]["cancel_at_period_end"] == sub["cancel_at_period_end"]
    with fresh_db.connect() as conn:
        n = conn.execute("select count(*) n from private.stripe_events").fetchone()
    assert n is not None and n["n"] == len(stack.stripe_state.events)


@pytest.fixture
def fresh_stack(fresh_db: Db) -> Iterator[DevBilling]:
    stack = start_dev_billing(fresh_db.dsn, auto_deliver=False)
    try:
        yield stack
    finally:
        stack.close()


def webhook(stack: DevBilling, payload: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return httpx.post(f"{stack.url}/webhook", content=payload, headers=headers, timeout=10)


def test_forged_stale_and_missing_signatures_record_nothing(fresh_db: Db, fresh_stack: DevBilling) -> None:
    stack = fresh_stack
    uid = fresh_db.create_user()
    buy(stack, uid, "studio")  # events held, not delivered
    evt = stack.stripe_state.events[0]
    payload = json.dumps(evt).encode()
    tampered = payload.replace(b'"active"', b'"trialing"')
    for body, sig in ((payload, None), (payload, ""), (payload, sign_payload(payload, "whsec_other")),
                      (payload, sign_payload(payload, WEBHOOK_SECRET, int(time.time()) - 3600)),
                      (tampered, sign_payload(payload, WEBHOOK_SECRET)), (payload, "t=1,v1=deadbeef"),
                      (b"not json", sign_payload(b"not json", WEBHOOK_SECRET))):
        r = webhook(stack, body, sig)
        assert r.status_code == 400, (sig, r.text)
    assert not stack.service.store.event_seen(evt["id"]) and tier_of(fresh_db, uid) == "free"
    assert stack.stripe_state.deliver(evt) == 200 and tier_of(fresh_db, uid) == "studio"


def test_unknown_price_customer_and_user_are_ignored_and_acknowledged(fresh_db: Db, billing: DevBilling) -> None:
    state = billing.stripe_state
    uid = fresh_db.create_user()
    buy(billing, uid, "pro")
    # the subscription moves (in Stripe) to a price this service does not sell: nothing changes here
    state.auto_deliver = False
    sub_id = next(iter(state.subscriptions))
    state.update_subscription(sub_id, {"items": [{"price": LEGACY.id}]})
    r = webhook(billing, json.dumps(state.events[-1]).encode(),
                sign_payload(json.dumps(state.events[-1]).encode(), WEBHOOK_SECRET))
    assert r.status_code == 200 and r.json()["status"] == "ignored" and "unknown price" in r.json()["reason"]
    assert tier_of(fresh_db, uid) == "pro"
    # a subscription of a customer nobody here knows, without our metadata
    stranger = state.create_customer({"email": "x@example.test"})
    orphan = dict(state.subscriptions[sub_id], id="sub_test_orphan", customer=stranger["id"], metadata={})
    orphan["items"] = json.loads(json.dumps(state.subscriptions[sub_id]["items"]))
    orphan["items"]["data"][0]["price"] = state.prices["price_pro_monthly"].to_json()
    state.subscriptions["sub_test_orphan"] = orphan
    evt = state.emit("customer.subscription.created", orphan)
    assert state.deliver(evt) == 200 and state.deliveries[-1][1] == 200
    r = webhook(billing, json.dumps(evt).encode(), sign_payload(json.dumps(evt).encode(), WEBHOOK_SECRET))
    assert r.json()["status"] == "duplicate"
    # metadata naming a user that does not exist
    ghost = dict(orphan, id="sub_test_ghost", metadata={"user_id": "00000000-0000-0000-0000-00000000dead"})
    state.subscriptions["sub_test_ghost"] = ghost
    payload = json.dumps(state.emit("customer.subscription.created", ghost)).encode()
    r = webhook(billing, payload, sign_payload(payload, WEBHOOK_SECRET))
    assert r.status_code == 200 and r.json() == {"status": "ignored", "event": json.loads(payload)["id"],
                                                 "tier": None, "reason": "unknown user"}
    # an event for a subscription Stripe does not have
    bogus = state.emit("customer.subscription.updated", dict(orphan, id="sub_test_missing"))
    payload = json.dumps(bogus).encode()
    assert webhook(billing, payload, sign_payload(payload, WEBHOOK_SECRET)).json()["reason"] == \
        "subscription does not exist"
    with fresh_db.connect() as conn:
        rows = conn.execute("select user_id, tier from public.subscriptions").fetchall()
    assert [(str(r["user_id"]), r["tier"]) for r in rows] == [(uid, "pro")]


def test_deleted_customer_ends_the_plan_and_next_checkout_makes_a_new_customer(fresh_db: Db,
                                                                               billing: DevBilling) -> None:
    uid = fresh_db.create_user()
    buy(billing, uid, "studio")
    first = billing.service.store.customer_for(uid)
    assert tier_of(fresh_db, uid) == "studio" and first
    # only customer.deleted arrives (the subscription events are lost): the plan still ends
    billing.stripe_state.auto_deliver = False
    billing.stripe_state.delete_customer(first)
    deleted = [e for e in billing.stripe_state.events if e["type"] == "customer.deleted"]
    assert billing.stripe_state.deliver(deleted[0]) == 200
    assert tier_of(fresh_db, uid) == "free" and billing.service.store.customer_for(uid) is None
    billing.stripe_state.auto_deliver = True
    buy(billing, uid, "pro")
    assert billing.service.store.customer_for(uid) not in (None, first) and tier_of(fresh_db, uid) == "pro"


def test_older_snapshot_never_overwrites_newer(fresh_db: Db, billing: DevBilling) -> None:
    store = billing.service.store
    uid = fresh_db.create_user()
    new = SubscriptionState("sub_9", uid, "cus_9", "canceled", "price_pro_monthly", None, False, version=2_000)
    old = SubscriptionState("sub_9", uid, "cus_9", "active", "price_pro_monthly", None, False, version=1_000)
    assert store.apply_event("evt_a", "customer.subscription.deleted", 2, new) == "free"
    assert store.apply_event("evt_b", "customer.subscription.updated", 1, old) == "free"
    assert tier_of(fresh_db, uid) == "free"


def test_stripe_unreachable_means_retry_later(fresh_db: Db, fresh_stack: DevBilling) -> None:
    stack = fresh_stack
    uid = fresh_db.create_user()
    buy(stack, uid, "pro")
    evt = stack.stripe_state.events[0]
    payload = json.dumps(evt).encode()
    real_api = stack.service.api
    from backend.billing.stripe_api import StripeSdkApi

    stack.service.api = StripeSdkApi("sk_test_x", api_base="http://127.0.0.1:9", max_network_retries=0)
    with pytest.raises(BillingError) as err:
        stack.service.handle_webhook(payload, sign_payload(payload, WEBHOOK_SECRET))
    assert err.value.status == 503 and not stack.service.store.event_seen(evt["id"])
    assert webhook(stack, payload, sign_payload(payload, WEBHOOK_SECRET)).status_code == 503
    stack.service.api = real_api
    assert stack.stripe_state.deliver(evt) == 200 and tier_of(fresh_db, uid) == "pro"


def test_concurrent_duplicate_deliveries_apply_once(fresh_db: Db, fresh_stack: DevBilling) -> None:
    stack = fresh_stack
    uid = fresh_db.create_user()
    buy(stack, uid, "pro")
    evt = stack.stripe_state.events[0]
    results: list[str] = []

    def deliver() -> None:
        payload = json.dumps(evt).encode()
        results.append(webhook(stack, payload, sign_payload(payload, WEBHOOK_SECRET)).json()["status"])

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("processed") == 1 and results.count("duplicate") == 7
    assert tier_of(fresh_db, uid) == "pro"


def test_collaborators_usage_is_reported(fresh_db: Db) -> None:
    host, a, b = fresh_db.create_user(), fresh_db.create_user(), fresh_db.create_user()
    fresh_db.set_tier(host, "pro")
    with fresh_db.connect(autocommit=True) as conn:
        pid = conn.execute("insert into public.projects (id, owner_id, title) values (gen_random_uuid(), %s, 'p') returning id",
                           (host,)).fetchone()
        assert pid is not None
        sid = conn.execute("insert into public.collaboration_sessions (project_id, host_id) values (%s, %s) "
                           "returning id", (pid["id"], host)).fetchone()
        assert sid is not None
        for u in (a, b):
            conn.execute("insert into public.collaboration_participants (session_id, user_id) values (%s, %s)",
                         (sid["id"], u))
    assert entitlements(fresh_db, host)["usage"]["max_collaborators"] == 2
    assert entitlements(fresh_db, a)["usage"]["max_collaborators"] == 0


def test_production_command_serves_the_app(fresh_db: Db, billing: DevBilling) -> None:
    """``python -m backend.billing`` under waitress, configured from the environment only."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "STRIPE_SECRET_KEY": "sk_test_local_backend", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "SUPABASE_JWT_SECRET": JWT_SECRET, "DATABASE_URL": fresh_db.dsn,
           "STRIPE_PRICES": '{"pro": "price_pro_monthly", "studio": "price_studio_monthly"}',
           "STRIPE_API_BASE": billing.stripe.url, "HOST": "127.0.0.1", "PORT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "backend.billing"], cwd=Path(__file__).resolve().parents[2],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("BILLING_URL=http://127.0.0.1:"), line
        url = line.split("=", 1)[1]
        assert httpx.get(f"{url}/healthz", timeout=10).json() == {"ok": True}
        plans = httpx.get(f"{url}/plans", timeout=10).json()
        assert [t["price"]["unit_amount"] for t in plans["tiers"] if t["price"]] == [900, 2900]
        uid = fresh_db.create_user()
        r = httpx.post(f"{url}/checkout", json={"tier": "pro"}, headers={"Authorization": f"Bearer {token(uid)}"},
                       timeout=10)
        assert r.status_code == 200 and r.json()["url"].startswith(f"{billing.stripe.url}/c/pay/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_access_tokens_signed_with_the_projects_published_keys(fresh_db: Db, billing: DevBilling) -> None:
    """Supabase projects with asymmetric signing keys: ES256 tokens checked against the JWKS endpoint."""
    import dataclasses
    import http.server

    from cryptography.hazmat.primitives.asymmetric import ec

    from backend.billing import BillingService

    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "ES256", "use": "sig"}]}).encode()

    class Jwks(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = dataclasses.replace(billing.service.config, jwt_secret="",
                                     jwks_url=f"http://127.0.0.1:{server.server_address[1]}/auth/v1/.well-known/jwks.json")
        service = BillingService(config, billing.service.api, billing.service.store)
        uid = fresh_db.create_user()
        claims = {"sub": uid, "role": "authenticated", "aud": "authenticated", "email": "es@example.test",
                  "exp": int(time.time()) + 600}
        good = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})
        assert service.authenticate(f"Bearer {good}") == (uid, "es@example.test")
        for bad in (jwt.encode(claims, other, algorithm="ES256", headers={"kid": "k1"}),  # not the project's key
                    jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k9"}),  # unknown key id
                    token(uid),  # HS256, but no secret configured
                    jwt.encode(claims, None, algorithm="none")):
            with pytest.raises(BillingError) as err:
                service.authenticate(f"Bearer {bad}")
            assert err.value.status == 401
    finally:
        server.shutdown()
        server.server_close()
