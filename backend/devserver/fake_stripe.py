"""A development stand-in for Stripe's HTTP API (test mode), never shipped.

It speaks the wire protocol the official ``stripe`` SDK speaks (form-encoded
POSTs to ``/v1/...``, Bearer secret key, idempotency keys, Stripe's error
objects) for the endpoints the billing service uses: Customers, Checkout
Sessions, Billing Portal Sessions, Subscriptions and Prices. Each request's
parameters are checked against Stripe's documented ones
(:mod:`backend.devserver.stripe_forms`). It also serves the two pages a
customer sees in the browser, a Checkout page (Pay / Cancel) and a customer
portal (cancel at period end, resume, switch plan, simulate a failed or
recovered payment), and sends the resulting events, signed like Stripe signs
them, to the billing service's webhook.

The HTTP server and its command line are in :mod:`backend.devserver.stripe_server`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .stripe_forms import (
    CHECKOUT_LINE_ITEM_PARAMS,
    CHECKOUT_SESSION_PARAMS,
    CHECKOUT_SUBSCRIPTION_DATA_PARAMS,
    CUSTOMER_PARAMS,
    PORTAL_SESSION_PARAMS,
    RETRIEVE_PARAMS,
    SUBSCRIPTION_UPDATE_PARAMS,
    StripeRequestError,
    as_bool,
    as_int,
    as_url,
    check_known,
    check_metadata,
    require,
)

API_VERSION = "2026-10-28.endive"
PERIOD_S = 30 * 86400


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value, computed as Stripe documents it."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass
class Price:
    tier: str
    id: str
    unit_amount: int
    currency: str = "usd"
    interval: str = "month"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "object": "price", "active": True, "billing_scheme": "per_unit",
                "created": 1700000000, "currency": self.currency, "livemode": False, "lookup_key": self.tier,
                "metadata": {"tier": self.tier}, "nickname": self.tier.title(), "product": f"prod_{self.tier}",
                "recurring": {"interval": self.interval, "interval_count": 1, "usage_type": "licensed"},
                "tax_behavior": "unspecified", "type": "recurring", "unit_amount": self.unit_amount,
                "unit_amount_decimal": str(self.unit_amount)}


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    stripe_version: str | None


@dataclass
class StripeState:
    """Objects of one Stripe test-mode account, and the events they produced."""

    secret_key: str
    prices: dict[str, Price]  # by price id
    base_url: str = ""
    webhook_url: str | None = None
    webhook_secret: str = ""
    auto_deliver: bool = True
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portal_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (event id, HTTP status)
    requests: list[RecordedRequest] = field(default_factory=list)
    _idempotency: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    _outbox: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Network latency, for tests of races: called with (method, path, answer)
    # after an API answer is computed and before it is sent, lock released; it
    # may sleep or wait, so that an older answer reaches the client after a
    # newer one, as a slow network can make it.
    answer_delay: Callable[[str, str, Any], None] | None = None

    # ------------------------------------------------------------ API (/v1)
    def api(self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        auth = headers.get("authorization", "")
        if auth != f"Bearer {self.secret_key}":
            raise StripeRequestError(401, "Invalid API Key provided", code="api_key_invalid")
        key = headers.get("idempotency-key")
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        with self.lock:
            self.requests.append(RecordedRequest(method, path, params, key, headers.get("stripe-version")))
            if key and method == "POST" and key in self._idempotency:
                seen, status, body = self._idempotency[key]
                if seen != fingerprint:
                    raise StripeRequestError(400, "Keys for idempotent requests can only be used with the same "
                                             "parameters they were first used with.", code="idempotency_error",
                                             type_="idempotency_error")
                return status, body
            status, body = self._route(method, path.rstrip("/").split("/")[2:], params)
            body = json.loads(json.dumps(body))  # the answer as of now: later changes do not leak into it
            if key and method == "POST":
                self._idempotency[key] = (fingerprint, status, body)
            return status, body

    def _route(self, method: str, parts: list[str], params: dict[str, Any]) -> tuple[int, Any]:
        match method, parts:
            case "POST", ["customers"]:
                return 200, self.create_customer(params)
            case "GET", ["customers", cid]:
                check_known(params, RETRIEVE_PARAMS)
                return 200, self._get(self.customers, cid, "customer")
            case "DELETE", ["customers", cid]:
                return 200, self.delete_customer(cid)
            case "POST", ["checkout", "sessions"]:
                return 200, self.create_checkout_session(params)
            case "GET", ["checkout", "sessions", sid]:
                check_known(params, RETRIEVE_PARAMS)
                return 200, self._get(self.sessions, sid, "checkout.session")
            case "POST", ["billing_portal", "sessions"]:
                return 200, self.create_portal_session(params)
            case "GET", ["subscriptions", sub_id]:
                check_known(params, RETRIEVE_PARAMS)
                return 200, self._get(self.subscriptions, sub_id, "subscription")
            case "POST", ["subscriptions", sub_id]:
                return 200, self.update_subscription(sub_id, params)
            case "DELETE", ["subscriptions", sub_id]:
                return 200, self.cancel_subscription(sub_id)
            case "GET", ["prices", price_id]:
                check_known(params, RETRIEVE_PARAMS)
                if price_id not in self.prices:
                    raise StripeRequestError(404, f"No such price: '{price_id}'", param="id",
                                             code="resource_missing")
                return 200, self.prices[price_id].to_json()
        raise StripeRequestError(404, f"Unrecognized request URL ({method}: /v1/{'/'.join(parts)}).",
                                 code="resource_missing")

    @staticmethod
    def _get(table: dict[str, dict[str, Any]], obj_id: str, kind: str) -> dict[str, Any]:
        if obj_id not in table:
            raise StripeRequestError(404, f"No such {kind}: '{obj_id}'", param="id", code="resource_missing")
        return table[obj_id]

    def _customer(self, cid: Any, param: str = "customer") -> dict[str, Any]:
        cus = self.customers.get(str(cid))
        if cus is None or cus.get("deleted"):
            raise StripeRequestError(400, f"No such customer: '{cid}'", param=param, code="resource_missing")
        return cus

    def create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        check_known(params, CUSTOMER_PARAMS)
        cid = _id("cus")
        cus = {"id": cid, "object": "customer", "address": None, "balance": 0, "created": int(time.time()),
               "currency": None, "default_source": None, "delinquent": False, "description": params.get("description"),
               "email": params.get("email"), "invoice_prefix": secrets.token_hex(4).upper(),
               "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                                    "rendering_options": None},
               "livemode": False, "metadata": check_metadata(params.get("metadata", {})), "name": params.get("name"),
               "phone": params.get("phone"), "preferred_locales": [], "shipping": None, "tax_exempt": "none",
               "test_clock": None}
        self.customers[cid] = cus
        return cus

    def delete_customer(self, cid: str) -> dict[str, Any]:
        self._customer(cid, "id")
        for sub in self.subscriptions.values():
            if sub["customer"] == cid and sub["status"] != "canceled":
                self.cancel_subscription(sub["id"])
        self.customers[cid] = {"id": cid, "object": "customer", "deleted": True}
        self.emit("customer.deleted", {"id": cid, "object": "customer", "deleted": True})
        return self.customers[cid]

    def create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        check_known(params, CHECKOUT_SESSION_PARAMS)
        mode = require(params, "mode")
        if mode not in ("payment", "setup", "subscription"):
            raise StripeRequestError(400, "Invalid mode: must be one of payment, setup, or subscription",
                                     param="mode")
        success_url, cancel_url = as_url(params, "success_url"), as_url(params, "cancel_url")
        if params.get("ui_mode", "hosted") == "hosted" and success_url is None:
            raise StripeRequestError(400, "Missing required param: success_url.", param="success_url",
                                     code="parameter_missing")
        customer = self._customer(params["customer"])["id"] if "customer" in params else None
        items = params.get("line_items", [])
        if mode == "subscription" and not items:
            raise StripeRequestError(400, "line_items is required in subscription mode", param="line_items",
                                     code="parameter_missing")
        if not isinstance(items, list):
            raise StripeRequestError(400, "Invalid array", param="line_items")
        for i, item in enumerate(items):
            check_known(item, CHECKOUT_LINE_ITEM_PARAMS, f"line_items[{i}][")
            price = require(item, "price") if "price_data" not in item else None
            if price is not None and price not in self.prices:
                raise StripeRequestError(400, f"No such price: '{price}'", param=f"line_items[{i}][price]",
                                         code="resource_missing")
            if as_int(require(item, "quantity"), f"line_items[{i}][quantity]") < 1:
                raise StripeRequestError(400, "Quantity must be at least 1", param=f"line_items[{i}][quantity]")
        sub_data = params.get("subscription_data", {})
        if sub_data:
            if mode != "subscription":
                raise StripeRequestError(400, "subscription_data can only be used in subscription mode",
                                         param="subscription_data")
            check_known(sub_data, CHECKOUT_SUBSCRIPTION_DATA_PARAMS, "subscription_data[")
            check_metadata(sub_data.get("metadata", {}), "subscription_data[metadata]")
        ref = params.get("client_reference_id")
        if ref is not None and len(ref) > 200:
            raise StripeRequestError(400, "client_reference_id is too long", param="client_reference_id")
        promo = as_bool(params, "allow_promotion_codes")
        sid = _id("cs")
        session = {"id": sid, "object": "checkout.session", "allow_promotion_codes": promo,
                   "cancel_url": cancel_url, "client_reference_id": ref, "created": int(time.time()),
                   "currency": "usd", "customer": customer, "customer_email": params.get("customer_email"),
                   "expires_at": int(time.time()) + 86400, "livemode": False,
                   "metadata": check_metadata(params.get("metadata", {})), "mode": mode, "payment_status": "unpaid",
                   "status": "open", "subscription": None, "success_url": success_url, "ui_mode": "hosted",
                   "url": f"{self.base_url}/c/pay/{sid}",
                   "_line_items": items, "_subscription_metadata": dict(sub_data.get("metadata", {}) or {})}
        self.sessions[sid] = session
        return _public(session)

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        check_known(params, PORTAL_SESSION_PARAMS)
        customer = self._customer(require(params, "customer"))["id"]
        bid = _id("bps")
        portal = {"id": bid, "object": "billing_portal.session", "configuration": "bpc_test_default",
                  "created": int(time.time()), "customer": customer, "flow": None, "livemode": False,
                  "locale": params.get("locale"), "on_behalf_of": None, "return_url": as_url(params, "return_url"),
                  "url": f"{self.base_url}/p/session/{bid}"}
        self.portal_sessions[bid] = portal
        return portal

    def update_subscription(self, sub_id: str, params: dict[str, Any]) -> dict[str, Any]:
        check_known(params, SUBSCRIPTION_UPDATE_PARAMS)
        sub = self._get(self.subscriptions, sub_id, "subscription")
        if sub["status"] == "canceled":
            raise StripeRequestError(400, "A canceled subscription can only update its cancellation_details "
                                     "and metadata.")
        cancel = as_bool(params, "cancel_at_period_end")
        if cancel is not None:
            sub["cancel_at_period_end"] = cancel
            sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"] if cancel else None
        if "metadata" in params:
            sub["metadata"].update(check_metadata(params["metadata"]))
        if "items" in params:
            for i, item in enumerate(params["items"]):
                price = require(item, "price")
                if price not in self.prices:
                    raise StripeRequestError(400, f"No such price: '{price}'", param=f"items[{i}][price]",
                                             code="resource_missing")
                sub["items"]["data"][0]["price"] = self.prices[price].to_json()
        self.emit("customer.subscription.updated", sub)
        return sub

    def cancel_subscription(self, sub_id: str) -> dict[str, Any]:
        sub = self._get(self.subscriptions, sub_id, "subscription")
        if sub["status"] == "canceled":
            raise StripeRequestError(400, f"No such subscription: '{sub_id}'", code="resource_missing")
        now = int(time.time())
        sub.update(status="canceled", canceled_at=now, ended_at=now, cancel_at_period_end=False)
        self.emit("customer.subscription.deleted", sub)
        return sub

    # ------------------------------------------------------------ what a customer does in the browser
    def complete_checkout(self, sid: str) -> dict[str, Any]:
        """The customer pays: a subscription starts and Stripe's events follow."""
        session = self._get(self.sessions, sid, "checkout.session")
        if session["status"] != "open":
            return session
        now = int(time.time())
        customer = session["customer"] or self.create_customer({"email": session.get("customer_email") or ""})["id"]
        price = self.prices[session["_line_items"][0]["price"]]
        sub_id = _id("sub")
        sub = {"id": sub_id, "object": "subscription", "billing_cycle_anchor": now, "cancel_at": None,
               "cancel_at_period_end": False, "canceled_at": None, "collection_method": "charge_automatically",
               "created": now, "currency": price.currency, "customer": customer, "ended_at": None,
               "items": {"object": "list", "has_more": False, "url": f"/v1/subscription_items?subscription={sub_id}",
                         "data": [{"id": _id("si"), "object": "subscription_item", "created": now,
                                   "current_period_start": now, "current_period_end": now + PERIOD_S,
                                   "metadata": {}, "price": price.to_json(), "quantity": 1,
                                   "subscription": sub_id}]},
               "latest_invoice": _id("in"), "livemode": False, "metadata": dict(session["_subscription_metadata"]),
               "start_date": now, "status": "active", "trial_end": None, "trial_start": None}
        self.subscriptions[sub_id] = sub
        session.update(status="complete", payment_status="paid", subscription=sub_id, customer=customer)
        self.emit("customer.subscription.created", sub)
        self.emit("checkout.session.completed", _public(session))
        self.emit("invoice.paid", self._invoice(sub, paid=True))
        return session

    def _invoice(self, sub: dict[str, Any], *, paid: bool) -> dict[str, Any]:
        item = sub["items"]["data"][0]
        return {"id": _id("in"), "object": "invoice", "customer": sub["customer"], "status": "paid" if paid else "open",
                "amount_due": item["price"]["unit_amount"], "amount_paid": item["price"]["unit_amount"] if paid else 0,
                "currency": sub["currency"], "created": int(time.time()), "livemode": False,
                "parent": {"type": "subscription_details",
                           "subscription_details": {"subscription": sub["id"], "metadata": sub["metadata"]}}}

    def portal_action(self, bid: str, action: str, price_id: str | None = None) -> dict[str, Any]:
        """What the portal's buttons do to the customer's live subscription."""
        portal = self._get(self.portal_sessions, bid, "billing_portal.session")
        subs = [s for s in self.subscriptions.values() if s["customer"] == portal["customer"]
                and s["status"] != "canceled"]
        if not subs:
            raise StripeRequestError(400, "This customer has no active subscription")
        sub = subs[-1]
        if action == "cancel_at_period_end":
            return self.update_subscription(sub["id"], {"cancel_at_period_end": "true"})
        if action == "resume":
            return self.update_subscription(sub["id"], {"cancel_at_period_end": "false"})
        if action == "cancel_now":
            return self.cancel_subscription(sub["id"])
        if action == "switch" and price_id:
            return self.update_subscription(sub["id"], {"items": [{"price": price_id}]})
        if action in ("payment_failed", "payment_recovered"):
            failed = action == "payment_failed"
            sub["status"] = "past_due" if failed else "active"
            self.emit("customer.subscription.updated", sub)
            self.emit("invoice.payment_failed" if failed else "invoice.paid", self._invoice(sub, paid=not failed))
            return sub
        raise StripeRequestError(400, f"unknown portal action {action!r}")

    # ------------------------------------------------------------ events
    def emit(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        evt = {"id": _id("evt"), "object": "event", "api_version": API_VERSION, "created": int(time.time()),
               "data": {"object": json.loads(json.dumps(_public(obj)))}, "livemode": False, "pending_webhooks": 1,
               "request": {"id": None, "idempotency_key": None}, "type": event_type}
        self.events.append(evt)
        if self.auto_deliver and self.webhook_url:
            self._outbox.append(evt)
        return evt

    def flush(self) -> None:
        """Deliver the events emitted so far. Called with the lock released:
        the webhook reads the subscription back from this server."""
        with self.lock:
            pending, self._outbox = self._outbox, []
        for evt in pending:
            self.deliver(evt)

    def deliver(self, evt: dict[str, Any], *, timestamp: int | None = None) -> int:
        """POST one event to the webhook, signed with the endpoint's secret. Returns the HTTP status."""
        assert self.webhook_url
        payload = json.dumps(evt).encode()
        try:
            status = httpx.post(self.webhook_url, content=payload, timeout=10, headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign_payload(payload, self.webhook_secret, timestamp)}).status_code
        except httpx.HTTPError:
            status = 0
        self.deliveries.append((str(evt["id"]), status))
        return status


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}
