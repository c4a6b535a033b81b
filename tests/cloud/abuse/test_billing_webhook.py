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


def test_concurrent_deliveries_never_store_an_older_read_last(adb: Db, stack: DevBilling) -> None:
    """Two deliveries for one subscription read Stripe around a plan change; the
    network hands the older read (pro) back after the newer one (studio). The
    entitlement must end as Stripe's latest state (studio), not the read that
    arrived last: the service serialises read-and-store per subscription."""
    uid = adb.create_user()
    subscribe(stack, uid, "pro")
    purl = httpx.post(f"{stack.url}/portal", headers={"Authorization": f"Bearer {token(uid)}"}, timeout=10).json()["url"]
    for action in ("cancel_at_period_end", "resume", "payment_failed", "payment_recovered"):  # more old events
        assert httpx.post(f"{purl}/{action}", timeout=10).status_code == 303
    old = list(stack.stripe_state.events)
    sub_id = next(iter(stack.stripe_state.subscriptions))
    price_pro, price_studio = (next(p.id for p in stack.stripe_state.prices.values() if p.tier == t)
                               for t in ("pro", "studio"))
    gate, delayed, reads = threading.Event(), [], threading.Semaphore(0)

    def network(method: str, path: str, answer: Any) -> None:  # older answers arrive late
        if method == "GET" and path.rstrip("/") == f"/v1/subscriptions/{sub_id}":
            reads.release()
            if answer["items"]["data"][0]["price"]["id"] == price_pro:
                delayed.append(path)
                gate.wait(5)

    stack.stripe_state.answer_delay = network
    results: list[Any] = []

    def deliver(evt: dict[str, Any]) -> None:
        payload = json.dumps(evt).encode()
        try:
            results.append(post(stack, payload, sign_payload(payload, WEBHOOK_SECRET)))
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    first = [threading.Thread(target=deliver, args=(old[i],)) for i in (0, 3)]  # two old events read "pro"
    for t in first:
        t.start()
    assert reads.acquire(timeout=10)  # an old read is on its way back
    assert httpx.post(f"{purl}/switch", data={"price": price_studio}, timeout=10).status_code == 303
    new = stack.stripe_state.events[-1]
    assert new["type"] == "customer.subscription.updated"
    others = [e for j, e in enumerate(old) if j not in (0, 3)]  # a redelivery of those would be a duplicate
    later = [new if i % 2 == 0 else others[(i // 2) % len(others)]  # interleaved, every old event at least once
             for i in range(N_CONCURRENT - len(first))]
    rest = [threading.Thread(target=deliver, args=(e,)) for e in later]
    for t in rest:
        t.start()
    # The older answers arrive once every newer delivery is done (without
    # serialisation nothing holds them up) or once one of them waits for the
    # older delivery's lock (with it, nothing can pass the older one).
    deadline = time.monotonic() + 90
    while any(t.is_alive() for t in rest) and time.monotonic() < deadline and not scalar(
            adb, "select count(*) from pg_locks where locktype = 'advisory' and not granted"):
        time.sleep(0.05)
    gate.set()
    for t in first + rest:
        t.join(60)
    assert delayed, "no read was delayed: the race was not exercised"
    assert len(results) == N_CONCURRENT
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in results), results
    assert recorded(adb) == len(old) + 1
    row = sql_as(adb, "service_role", None, "select s.price_id, s.tier, e.tier as entitled from public.subscriptions s "
                 "join public.entitlements e on e.user_id = s.user_id where s.id = %s", sub_id)
    assert row == [{"price_id": price_studio, "tier": "studio", "entitled": "studio"}]
    assert tier(adb, uid) == "studio"
