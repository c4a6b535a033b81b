"""The Stripe webhook against replay, reorder, forgery and floods, through the
real service under waitress, the real ``stripe`` SDK and the development
Stripe server (backend/devserver), 24 deliveries at a time."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest

from backend.devserver.billing_dev import WEBHOOK_SECRET, DevBilling, start_dev_billing
from backend.devserver.fake_stripe import sign_payload
from backend.devserver.gateway import JWT_SECRET

from .conftest import N_CONCURRENT, Db, scalar, sql_as


@pytest.fixture
def stack(adb: Db) -> Iterator[DevBilling]:
    s = start_dev_billing(adb.dsn, auto_deliver=False)  # the test delivers events itself
    try:
        yield s
    finally:
        s.close()


def token(uid: str) -> str:
    return jwt.encode({"sub": uid, "role": "authenticated", "aud": "authenticated", "email": "u@example.test",
                       "exp": int(time.time()) + 600}, JWT_SECRET, algorithm="HS256")


def subscribe(stack: DevBilling, uid: str, tier: str) -> None:
    url = httpx.post(f"{stack.url}/checkout", json={"tier": tier}, headers={"Authorization": f"Bearer {token(uid)}"},
                     timeout=10).json()["url"]
    assert httpx.post(f"{stack.stripe.url}/c/pay/{url.rsplit('/', 1)[1]}/complete", timeout=10).status_code == 303


def tier(db: Db, uid: str) -> str:
    return str(sql_as(db, "authenticated", uid, "select public.get_entitlements() e")[0]["e"]["tier"])


def post(stack: DevBilling, payload: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return httpx.post(f"{stack.url}/webhook", content=payload, headers=headers, timeout=30)


def at_once(n: int, fn: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait(30)
        try:
            out[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def recorded(db: Db) -> int:
    return int(scalar(db, "select count(*) from private.stripe_events"))


def test_replayed_event_applies_once_under_concurrent_redelivery(adb: Db, stack: DevBilling) -> None:
    uid = adb.create_user()
    subscribe(stack, uid, "pro")
    evt = next(e for e in stack.stripe_state.events if e["type"] == "customer.subscription.created")
    payload = json.dumps(evt).encode()
    answers = at_once(N_CONCURRENT, lambda i: post(stack, payload, sign_payload(payload, WEBHOOK_SECRET)))
    assert all(isinstance(a, httpx.Response) and a.status_code == 200 for a in answers)
    statuses = [a.json()["status"] for a in answers]
    assert statuses.count("processed") == 1 and statuses.count("duplicate") == N_CONCURRENT - 1
    assert recorded(adb) == 1 and tier(adb, uid) == "pro"


def test_forged_stale_and_oversized_deliveries_record_nothing(adb: Db, stack: DevBilling) -> None:
    victim = adb.create_user()
    subscribe(stack, victim, "studio")
    evt = next(e for e in stack.stripe_state.events if e["type"] == "customer.subscription.created")
    good = json.dumps(evt).encode()
    now = int(time.time())
    forgeries: list[tuple[bytes, str | None]] = [
        (good, None),                                              # no signature
        (good, sign_payload(good, "whsec_guessed")),               # wrong secret
        (good, sign_payload(good, WEBHOOK_SECRET, now - 3600)),    # a captured delivery replayed an hour later
        (good.replace(b'"active"', b'"trialing"'), sign_payload(good, WEBHOOK_SECRET)),  # tampered body
        (good, sign_payload(good, WEBHOOK_SECRET).replace("v1=", "v0=")),                # unsupported scheme
        (good, f"t={now},v1={'0' * 64}"),                          # made-up MAC
        (b"{" + b" " * (2 * 1024 * 1024) + b"}", sign_payload(b"{}", WEBHOOK_SECRET)),  # 2 MB body
    ]
    answers = at_once(N_CONCURRENT, lambda i: post(stack, *forgeries[i % len(forgeries)]))
    assert all(isinstance(a, httpx.Response) and a.status_code in (400, 413) for a in answers), answers
    assert recorded(adb) == 0 and tier(adb, victim) == "free"


def test_reordered_concurrent_lifecycle_ends_in_stripes_current_state(adb: Db, stack: DevBilling) -> None:
    uid = adb.create_user()
    subscribe(stack, uid, "pro")
    portal = httpx.post(f"{stack.url}/portal", headers={"Authorization": f"Bearer {token(uid)}"}, timeout=10)
    purl = portal.json()["url"]
    price_studio = next(p.id for p in stack.stripe_state.prices.values() if p.tier == "studio")
    assert httpx.post(f"{purl}/switch", data={"price": price_studio}, timeout=10).status_code == 303
    assert httpx.post(f"{purl}/cancel_now", timeout=10).status_code == 303
    events = list(stack.stripe_state.events)
    deliveries = [events[i % len(events)] for i in range(N_CONCURRENT)]  # every event, several times
    random.Random(7).shuffle(deliveries)
    answers = at_once(N_CONCURRENT, lambda i: post(stack, (p := json.dumps(deliveries[i]).encode()),
                                                   sign_payload(p, WEBHOOK_SECRET)))
    assert all(isinstance(a, httpx.Response) and a.status_code == 200 for a in answers), answers
    assert recorded(adb) == len(events)
    assert tier(adb, uid) == "free"  # canceled is Stripe's current state, whatever order the events came in
    # a late redelivery of the first event changes nothing
    first = json.dumps(events[0]).encode()
    assert post(stack, first, sign_payload(first, WEBHOOK_SECRET)).json()["status"] == "duplicate"
    assert tier(adb, uid) == "free"


def test_flood_of_valid_events_of_many_customers_applies_each_once(adb: Db, stack: DevBilling) -> None:
    users = [adb.create_user() for _ in range(6)]
    for i, u in enumerate(users):
        subscribe(stack, u, "pro" if i % 2 else "studio")
    events = list(stack.stripe_state.events)
    deliveries = (events * (N_CONCURRENT // len(events) + 1))[:max(N_CONCURRENT, len(events))]
    answers = at_once(len(deliveries), lambda i: post(stack, (p := json.dumps(deliveries[i]).encode()),
                                                      sign_payload(p, WEBHOOK_SECRET)))
    assert all(isinstance(a, httpx.Response) and a.status_code == 200 for a in answers), answers
    assert recorded(adb) == len(events)
    assert [tier(adb, u) for u in users] == ["pro" if i % 2 else "studio" for i in range(len(users))]
