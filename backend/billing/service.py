"""Checkout, portal, plans and webhook logic of the billing service.

Webhook rules:
* the signature is verified on the raw body (``stripe.Webhook.construct_event``,
  which also refuses timestamps older than five minutes);
* every event id is recorded once, in the same database transaction as its
  effect, so a duplicate delivery changes nothing and a failed one is retried
  by Stripe (nothing recorded);
* the entitlement is derived from the subscription's *current* state, fetched
  from Stripe when the event arrives, and stored only if it is newer than what
  is stored; so out-of-order and duplicate events are harmless;
* the read from Stripe and the store happen under a transaction-level advisory
  lock per subscription (``PostgresBillingStore.serialised``), so two
  concurrent deliveries cannot store an older read after a newer one (a read
  delayed on the network, a slow thread, another instance of the service);
* events that cannot change anyone's plan (a price this service does not sell,
  a customer or user nobody here knows) are recorded and answered 200 with
  ``status: ignored`` and the reason, so Stripe stops retrying them;
* ``customer.deleted`` ends that customer's subscriptions here and forgets the
  customer, so the user's next Checkout creates a new one.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import jwt
import psycopg
import stripe

from backend.tiers import load_tiers

from .config import BillingConfig
from .store import PostgresBillingStore, SubscriptionState, UnknownUserError
from .stripe_api import StripeApi

log = logging.getLogger("backend.billing")

SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "checkout.session.completed",
    "invoice.paid",
    "invoice.payment_failed",
}
PRICE_CACHE_S = 600.0


class BillingError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class WebhookResult:
    status: str  # processed | duplicate | ignored
    event_id: str
    tier: str | None = None
    reason: str | None = None


def loopback_url(url: str | None) -> str | None:
    """A return address a desktop client may ask for: only ``http://127.0.0.1:PORT/...``
    (or localhost / [::1]); anything else would make the service an open redirect."""
    if not url:
        return None
    parts = urlsplit(url)
    if (parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1") or parts.port is None
            or parts.username or parts.password or len(url) > 500):
        raise BillingError(400, "return_url must be a loopback address http://127.0.0.1:PORT/...")
    return url.split("?", 1)[0].split("#", 1)[0]


class BillingService:
    def __init__(self, config: BillingConfig, api: StripeApi, store: PostgresBillingStore, *,
                 now_us: Callable[[], int] | None = None) -> None:
        self.config = config
        self.api = api
        self.store = store
        self._now_us = now_us or (lambda: time.time_ns() // 1000)
        self._prices: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._jwks = jwt.PyJWKClient(config.jwks_url, cache_keys=True, lifespan=600, timeout=10) \
            if config.jwks_url else None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ who is asking
    def authenticate(self, authorization: str | None) -> tuple[str, str | None]:
        """Verify the Supabase access token (HS256 with the JWT secret, or RS256/ES256
        with the project's published signing keys); returns (user id, email)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise BillingError(401, "sign in required")
        token = authorization[7:].strip()
        try:
            alg = jwt.get_unverified_header(token).get("alg")
            if alg == "HS256" and self.config.jwt_secret:
                key: Any = self.config.jwt_secret
            elif alg in ("RS256", "ES256") and self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
            else:
                raise BillingError(401, f"invalid session: tokens signed with {alg!r} are not accepted")
            claims = jwt.decode(token, key, algorithms=[str(alg)], audience="authenticated")
        except jwt.PyJWKClientConnectionError as exc:
            raise BillingError(503, f"could not read the signing keys: {exc}") from exc
        except jwt.PyJWTError as exc:
            raise BillingError(401, f"invalid session: {exc}") from exc
        if claims.get("role") != "authenticated" or not claims.get("sub"):
            raise BillingError(401, "sign in required")
        return str(claims["sub"]), claims.get("email")

    # ------------------------------------------------------------ plans
    def plans(self) -> dict[str, Any]:
        """The tiers of tiers.json with their Stripe prices (cached), for the client's comparison."""
        data = load_tiers()
        tiers = []
        for name, tier in sorted(data["tiers"].items(), key=lambda kv: int(kv[1]["rank"])):
            tiers.append({"tier": name, "label": tier["label"], "rank": tier["rank"], "limits": tier["limits"],
                          "price": self._price(self.config.prices[name]) if name in self.config.prices else None,
                          "purchasable": name in self.config.prices})
        return {"version": data["version"], "default_tier": data["default_tier"], "grace": data.get("grace", {}),
                "tiers": tiers}

    def _price(self, price_id: str) -> dict[str, Any] | None:
        with self._lock:
            cached = self._prices.get(price_id)
        if cached and time.monotonic() - cached[0] < PRICE_CACHE_S:
            return cached[1]
        try:
            p = self.api.retrieve_price(price_id)
            rec = p.get("recurring") or {}
            price: dict[str, Any] | None = {"id": price_id, "unit_amount": p.get("unit_amount"),
                                            "currency": p.get("currency"), "interval": rec.get("interval")}
        except Exception as exc:  # shown as "price unavailable"; the plan can still be bought
            log.warning("could not read price %s: %s", price_id, exc)
            return cached[1] if cached else None
        with self._lock:
            self._prices[price_id] = (time.monotonic(), price)
        return price

    # ------------------------------------------------------------ sessions
    def _customer(self, user_id: str, email: str | None) -> str:
        existing = self.store.customer_for(user_id)
        if existing:
            return existing
        created = self.api.create_customer(email=email, user_id=user_id,
                                           idempotency_key=f"customer-{user_id}-{uuid.uuid4()}")
        return self.store.remember_customer(user_id, created)

    def create_checkout(self, user_id: str, email: str | None, tier: str, *, return_url: str | None = None) -> str:
        price = self.config.prices.get(tier)
        if not price:
            raise BillingError(400, f"unknown plan {tier!r}")
        back = loopback_url(return_url)
        customer = self._customer(user_id, email)
        session = self.api.create_checkout_session(
            {
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": user_id,
                "line_items": [{"price": price, "quantity": 1}],
                "subscription_data": {"metadata": {"user_id": user_id}},
                "metadata": {"user_id": user_id},
                "success_url": f"{back}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}" if back
                else self.config.success_url,
                "cancel_url": f"{back}?checkout=cancel" if back else self.config.cancel_url,
                "allow_promotion_codes": True,
            },
            idempotency_key=f"checkout-{user_id}-{tier}-{uuid.uuid4()}",
        )
        url = session.get("url")
        if not url:
            raise BillingError(502, "Stripe returned no checkout URL")
        return str(url)

    def create_portal(self, user_id: str, *, return_url: str | None = None) -> str:
        customer = self.store.customer_for(user_id)
        if not customer:
            raise BillingError(404, "no billing account yet: subscribe first")
        back = loopback_url(return_url)
        session = self.api.create_portal_session(
            {"customer": customer, "return_url": f"{back}?portal=return" if back else self.config.portal_return_url})
        url = session.get("url")
        if not url:
            raise BillingError(502, "Stripe returned no portal URL")
        return str(url)

    # ------------------------------------------------------------ webhook
    @staticmethod
    def _subscription_id(obj: Mapping[str, Any], event_type: str) -> str | None:
        if event_type.startswith("customer.subscription."):
            return str(obj.get("id")) if obj.get("id") else None
        sub = obj.get("subscription")
        if not sub:
            parent = obj.get("parent") or {}
            sub = (parent.get("subscription_details") or {}).get("subscription")
        if isinstance(sub, Mapping):
            sub = sub.get("id")
        return str(sub) if sub else None

    def _state(self, sub: Mapping[str, Any], hint_user: str | None) -> SubscriptionState | None:
        customer = sub.get("customer")
        if isinstance(customer, Mapping):
            customer = customer.get("id")
        # the customer -> user mapping this service stored wins over metadata
        user = (self.store.user_for_customer(str(customer)) if customer else None) or (
            sub.get("metadata") or {}).get("user_id") or hint_user
        if not user:
            return None
        items = ((sub.get("items") or {}).get("data")) or []
        price = ((items[0].get("price") or {}).get("id")) if items else None
        period_end = sub.get("current_period_end") or (items[0].get("current_period_end") if items else None)
        return SubscriptionState(
            id=str(sub["id"]), user_id=str(user), customer=str(customer or ""), status=str(sub.get("status")),
            price_id=str(price or ""),
            period_end=datetime.fromtimestamp(int(period_end), UTC) if period_end else None,
            cancel_at_period_end=bool(sub.get("cancel_at_period_end")), version=self._now_us())

    def _current(self, sub_id: str) -> dict[str, Any] | None:
        try:
            return self.api.retrieve_subscription(sub_id)  # the current state, not the event's
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                return None
            raise BillingError(503, f"could not read subscription {sub_id}: {exc}") from exc
        except Exception as exc:
            raise BillingError(503, f"could not read subscription {sub_id}: {exc}") from exc

    def _decide(self, event_type: str, obj: Mapping[str, Any], sub_id: str | None, ended: list[str]
                ) -> tuple[SubscriptionState | None, list[SubscriptionState], str | None]:
        """What an event changes, from Stripe's current state: the subscription's
        snapshot, the snapshots of a deleted customer's ``ended`` subscriptions,
        or the reason it changes nothing."""
        if event_type == "customer.deleted":
            also = []
            for ended_id in ended:
                current = self._current(ended_id)
                snap = self._state(current, None) if current else None
                if snap:  # a deleted customer pays for nothing any more
                    also.append(dataclasses.replace(snap, status="canceled"))
            return None, also, None
        if event_type not in SUBSCRIPTION_EVENTS:
            return None, [], "event type not used"
        current = self._current(sub_id) if sub_id else None
        if sub_id and current is None:
            return None, [], "subscription does not exist"
        if current is None:
            return None, [], None
        state = self._state(current, obj.get("client_reference_id"))
        if state is None:
            return None, [], "unknown customer"
        if state.price_id not in self.config.prices.values():
            return None, [], f"unknown price {state.price_id}"
        return state, [], None

    def handle_webhook(self, payload: bytes, signature: str | None) -> WebhookResult:
        try:
            event = stripe.Webhook.construct_event(payload, signature or "", self.config.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise BillingError(400, f"invalid webhook: {exc}") from exc
        event_id, event_type, created = str(event["id"]), str(event["type"]), int(event["created"])
        if self.store.event_seen(event_id):
            return WebhookResult("duplicate", event_id)
        obj = event["data"]["object"].to_dict()
        forget = str(obj.get("id")) if event_type == "customer.deleted" else None
        sub_id = self._subscription_id(obj, event_type) if event_type in SUBSCRIPTION_EVENTS else None
        locked = self.store.subscriptions_of_customer(forget) if forget else [sub_id] if sub_id else []
        try:
            # Read Stripe and store what was read under the subscriptions' locks:
            # concurrent deliveries for one subscription are applied one after the
            # other, each with a read newer than the last stored one.
            with self.store.serialised(locked) as conn:
                state, also, reason = self._decide(event_type, obj, sub_id, locked if forget else [])
                try:
                    result = self.store.apply_event(event_id, event_type, created, state, also=also,
                                                    forget_customer=forget, conn=conn)
                except UnknownUserError:
                    reason, state = "unknown user", None
                    result = self.store.apply_event(event_id, event_type, created, None, forget_customer=forget,
                                                    conn=conn)
        except psycopg.Error as exc:  # nothing recorded: Stripe retries the delivery
            raise BillingError(500, f"could not record event {event_id}: {exc}") from exc
        if result == "duplicate":
            return WebhookResult("duplicate", event_id)
        if reason:
            log.warning("webhook %s (%s) ignored: %s", event_id, event_type, reason)
        processed = state is not None or bool(also) or forget is not None
        return WebhookResult("processed" if processed else "ignored", event_id, result, None if processed else reason)
