"""Billing bookkeeping in Postgres, through the private SECURITY DEFINER
functions of the migrations, as ``service_role``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg


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


class UnknownUserError(Exception):
    """A subscription names a user that does not exist (deleted, or another project's)."""


class PostgresBillingStore:
    def __init__(self, dsn: str, *, role: str = "service_role") -> None:
        self.dsn = dsn
        self.role = role

    def _conn(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.dsn)
        conn.execute(f"set role {self.role}")
        return conn

    def ping(self) -> None:
        with self._conn() as conn:
            conn.execute("select 1")

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

    def subscriptions_of_customer(self, customer: str) -> list[str]:
        with self._conn() as conn:
            rows = conn.execute("select id from public.subscriptions where stripe_customer_id = %s order by id",
                                (customer,)).fetchall()
        return [str(r[0]) for r in rows]

    def event_seen(self, event_id: str) -> bool:
        with self._conn() as conn:
            return conn.execute("select 1 from private.stripe_events where id = %s", (event_id,)).fetchone() is not None

    def apply_event(self, event_id: str, event_type: str, created: int, sub: SubscriptionState | None,
                    *, also: list[SubscriptionState] | None = None, forget_customer: str | None = None) -> str | None:
        """Record the event and apply its effects in one transaction: the
        subscription snapshots (``sub`` and ``also``), then forgetting a deleted
        customer. Returns the tier of ``sub``'s user after it, ``"duplicate"``
        when the event was recorded before, or None when nothing was applied."""
        snapshots = ([sub] if sub else []) + list(also or [])
        try:
            with self._conn() as conn, conn.transaction():
                row = conn.execute("select private.billing_record_event(%s, %s, %s)",
                                   (event_id, event_type, created)).fetchone()
                if row is None or not row[0]:
                    return "duplicate"
                tiers = [self._apply(conn, s) for s in snapshots]
                if forget_customer:
                    conn.execute("select private.billing_forget_customer(%s)", (forget_customer,))
                return tiers[0] if sub and tiers else None
        except psycopg.errors.ForeignKeyViolation as exc:
            raise UnknownUserError(str(exc)) from exc

    @staticmethod
    def _apply(conn: psycopg.Connection[Any], sub: SubscriptionState) -> str | None:
        res = conn.execute(
            "select private.billing_apply_subscription(%s, %s, %s, %s, %s, %s, %s, %s)",
            (sub.id, sub.user_id, sub.customer, sub.status, sub.price_id, sub.period_end,
             sub.cancel_at_period_end, sub.version)).fetchone()
        return None if res is None else str(res[0])
