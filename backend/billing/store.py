"""Billing bookkeeping in Postgres, through the private SECURITY DEFINER
functions of the migrations, as ``service_role``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
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
    version: int  # microseconds: when this state was read from Stripe (raised past the stored one on apply)


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

    @contextmanager
    def serialised(self, subscription_ids: Iterable[str]) -> Iterator[psycopg.Connection[Any]]:
        """A connection whose transaction holds a transaction-level advisory lock
        per subscription (taken in sorted order, so two holders never wait on
        each other in a cycle). The webhook reads Stripe and stores the result
        while holding it, so deliveries for one subscription are applied one
        after the other, in the order of their reads, by every instance of the
        service sharing this database. Released at commit or rollback."""
        with self._conn() as conn:
            for sub_id in sorted(set(subscription_ids)):
                conn.execute("select pg_advisory_xact_lock(hashtextextended('stripe-subscription:' || %s, 0))",
                             (sub_id,))
            yield conn

    def event_seen(self, event_id: str) -> bool:
        with self._conn() as conn:
            return conn.execute("select 1 from private.stripe_events where id = %s", (event_id,)).fetchone() is not None

    def apply_event(self, event_id: str, event_type: str, created: int, sub: SubscriptionState | None,
                    *, also: list[SubscriptionState] | None = None, forget_customer: str | None = None,
                    conn: psycopg.Connection[Any] | None = None) -> str | None:
        """Record the event and apply its effects in one transaction (a savepoint
        of ``conn``'s, the connection of :meth:`serialised` holding the
        subscriptions' locks, when given): the subscription snapshots (``sub``
        and ``also``), then forgetting a deleted customer. Returns the tier of
        ``sub``'s user after it, ``"duplicate"`` when the event was recorded
        before, or None when nothing was applied."""
        if conn is None:
            with self._conn() as own:
                return self._apply_event(own, event_id, event_type, created, sub, also, forget_customer, False)
        return self._apply_event(conn, event_id, event_type, created, sub, also, forget_customer, True)

    def _apply_event(self, conn: psycopg.Connection[Any], event_id: str, event_type: str, created: int,
                     sub: SubscriptionState | None, also: list[SubscriptionState] | None,
                     forget_customer: str | None, newest: bool) -> str | None:
        snapshots = ([sub] if sub else []) + list(also or [])
        try:
            with conn.transaction():
                row = conn.execute("select private.billing_record_event(%s, %s, %s)",
                                   (event_id, event_type, created)).fetchone()
                if row is None or not row[0]:
                    return "duplicate"
                tiers = [self._apply(conn, s, newest) for s in snapshots]
                if forget_customer:
                    conn.execute("select private.billing_forget_customer(%s)", (forget_customer,))
                return tiers[0] if sub and tiers else None
        except psycopg.errors.ForeignKeyViolation as exc:
            raise UnknownUserError(str(exc)) from exc

    @staticmethod
    def _apply(conn: psycopg.Connection[Any], sub: SubscriptionState, newest: bool) -> str | None:
        version = sub.version
        if newest:
            # Read under the subscription's lock, this state is the newest, so its
            # version must beat the stored one even if this instance's clock is
            # behind the one that stored it (only versions >= the stored apply).
            stored = conn.execute("select max(stripe_created) from public.subscriptions where id = %s",
                                  (sub.id,)).fetchone()
            if stored is not None and stored[0] is not None:
                version = max(version, int(stored[0]) + 1)
        res = conn.execute(
            "select private.billing_apply_subscription(%s, %s, %s, %s, %s, %s, %s, %s)",
            (sub.id, sub.user_id, sub.customer, sub.status, sub.price_id, sub.period_end,
             sub.cancel_at_period_end, version)).fetchone()
        return None if res is None else str(res[0])
