"""Checkout, portal and webhook logic of the billing service.

Webhook rules:
* the signature is verified on the raw body (``stripe.Webhook.construct_event``);
* every event id is recorded once, in the same database transaction as its
  effect, so a duplicate delivery changes nothing and a failed one is retried
  by Stripe (nothing recorded);
* the entitlement is derived from the subscription's *current* state, fetched
  from Stripe when the event arrives, and stored only if it is newer than what
  is stored; so out-of-order and duplicate events are harmless.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
import psycopg
import stripe

from .stripe_api import StripeApi

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


class BillingError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class BillingConfig:
    webhook_secret: str
    jwt_secret: str
    prices: Mapping[str, str]  # tier -> Stripe price id
    success_url: str
    cancel_url: str
    portal_return_url: str
    database_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BillingConfig:
        env = os.environ if env is None else env
        prices = json.loads(env.get("STRIPE_PRICES", "{}"))  # {"pro": "price_...", "studio": "price_..."}
        return cls(
            webhook_secret=env["STRIPE_WEBHOOK_SECRET"],
            jwt_secret=env["SUPABASE_JWT_SECRET"],
            prices=prices,
            success_url=env.get("CHECKOUT_SUCCESS_URL", "https://mashups.studio/billing/success"),
            cancel_url=env.get("CHECKOUT_CANCEL_URL", "https://mashups.studio/billing/cancel"),
            portal_return_url=env.get("PORTAL_RETURN_URL", "https://mashups.studio/account"),
            database_url=env.get("DATABASE_URL", ""),
        )


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    user_id: str
    customer: str
    status: str
    price_id: str
    period_end: datetime | None
    cancel_at_period_end: bool
    version: int  # microseconds: when this state was read from Stripe


@dataclass(frozen=True)
class WebhookResult:
    status: str  # processed | duplicate | ignored
    event_id: str
    tier: str | None = None


class PostgresBillingStore:
    """Billing bookkeeping through the private SECURITY DEFINER functions, as service_role."""

    def __init__(self, dsn: str, *, role: str = "service_role") -> None:
        self.dsn = dsn
        self.role = role

    def _conn(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.dsn)
        conn.execute(f"set role {self.role}")
        return conn

    def sync_prices(self, prices: Mapping[str, str]) -> None:
        with self._conn() as conn:
            for tier, price in prices.items():
                conn.execute("insert into private.price_tiers (price_id, tier) values (%s, %s) "
                             "on conflict (price_id) do update set tier = excluded.tier", (price, tier))

    def customer_for(self, user_id: str) -> str | None:
        with self._conn() as conn:
            row = conn.execute("select customer_id from private.stripe_customers where user_id = %s",
                               (user_id,)).fetchone()
        return None if row is None else str(row[0])

    def user_for_customer(self, customer: str) -> str | None:
        with self._conn() as conn:
            row = conn.execute("select user_id from private.stripe_customers where customer_id = %s",
                               (customer,)).fetchone()
        return None if row is None else str(row[0])

    def remember_customer(self, user_id: str, customer: str) -> str:
        with self._conn() as conn:
            row = conn.execute("select private.billing_remember_customer(%s, %s)", (user_id, customer)).fetchone()
        assert row is not None
        return str(row[0])

    def event_seen(self, event_id: str) -> bool:
        with self._conn() as conn:
            return conn.execute("select 1 from private.stripe_events where id = %s", (event_id,)).fetchone() is not None

    def apply_event(self, event_id: str, event_type: str, created: int, sub: SubscriptionState | None) -> str | None:
        """Record the event and apply its effect atomically. Returns the resulting
        tier, ``"duplicate"`` when the event was recorded before, or None."""
        with self._conn() as conn, conn.transaction():
            row = conn.execute("select private.billing_record_event(%s, %s, %s)",
                               (event_id, event_type, created)).fetchone()
            if row is None or not row[0]:
                return "duplicate"
            if sub is None:
                return None
            res = conn.execute(
                "select private.billing_apply_subscription(%s, %s, %s, %s, %s, %s, %s, %s)",
                (sub.id, sub.user_id, sub.customer, sub.status, sub.price_id, sub.period_end,
                 sub.cancel_at_period_end, sub.version)).fetchone()
            return None if res is None else str(res[0])


class BillingService:
    def __init__(self, config: BillingConfig, api: StripeApi, store: PostgresBillingStore, *,
                 now_us: Callable[[], int] | None = None) -> None:
        self.config = config
        self.api = api
        self.store = store
        self._now_us = now_us or (lambda: time.time_ns() // 1000)

    # ------------------------------------------------------------ who is asking
    def authenticate(self, authorization: str | None) -> tuple[str, str | None]:
        """Verify the Supabase access token; returns (user id, email)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise BillingError(401, "sign in required")
        try:
            claims = jwt.decode(authorization[7:], self.config.jwt_secret, algorithms=["HS256"],
                                audience="authenticated")
        except jwt.PyJWTError as exc:
            raise BillingError(401, f"invalid session: {exc}") from exc
        if claims.get("role") != "authenticated" or not claims.get("sub"):
            raise BillingError(401, "sign in required")
        return str(claims["sub"]), claims.get("email")

    # ------------------------------------------------------------ sessions
    def _customer(self, user_id: str, email: str | None) -> str:
        existing = self.store.customer_for(user_id)
        if existing:
            return existing
        created = self.api.create_customer(email=email, user_id=user_id, idempotency_key=f"customer-{user_id}")
        return self.store.remember_customer(user_id, created)

    def create_checkout(self, user_id: str, email: str | None, tier: str) -> str:
        price = self.config.prices.get(tier)
        if not price:
            raise BillingError(400, f"unknown plan {tier!r}")
        customer = self._customer(user_id, email)
        session = self.api.create_checkout_session(
            {
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": user_id,
                "line_items": [{"price": price, "quantity": 1}],
                "subscription_data": {"metadata": {"user_id": user_id}},
                "metadata": {"user_id": user_id},
                "success_url": self.config.success_url,
                "cancel_url": self.config.cancel_url,
                "allow_promotion_codes": True,
            },
            idempotency_key=f"checkout-{user_id}-{tier}-{uuid.uuid4()}",
        )
        url = session.get("url")
        if not url:
            raise BillingError(502, "Stripe returned no checkout URL")
        return str(url)

    def create_portal(self, user_id: str) -> str:
        customer = self.store.customer_for(user_id)
        if not customer:
            raise BillingError(404, "no billing account yet: subscribe first")
        session = self.api.create_portal_session({"customer": customer, "return_url": self.config.portal_return_url})
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
        user = (sub.get("metadata") or {}).get("user_id") or (
            self.store.user_for_customer(str(customer)) if customer else None) or hint_user
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

    def handle_webhook(self, payload: bytes, signature: str | None) -> WebhookResult:
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.config.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise BillingError(400, f"invalid webhook: {exc}") from exc
        event_id, event_type, created = str(event["id"]), str(event["type"]), int(event["created"])
        if self.store.event_seen(event_id):
            return WebhookResult("duplicate", event_id)
        state: SubscriptionState | None = None
        if event_type in SUBSCRIPTION_EVENTS:
            obj = event["data"]["object"].to_dict()
            sub_id = self._subscription_id(obj, event_type)
            if sub_id:
                try:
                    current = self.api.retrieve_subscription(sub_id)  # the current state, not the event's
                except Exception as exc:
                    raise BillingError(503, f"could not read subscription {sub_id}: {exc}") from exc
                state = self._state(current, obj.get("client_reference_id"))
        try:
            result = self.store.apply_event(event_id, event_type, created, state)
        except psycopg.Error as exc:  # nothing recorded: Stripe retries the delivery
            raise BillingError(500, f"could not record event {event_id}: {exc}") from exc
        if result == "duplicate":
            return WebhookResult("duplicate", event_id)
        return WebhookResult("processed" if state else "ignored", event_id, result)
