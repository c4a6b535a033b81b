"""Plans and billing, client side (Qt-free): the signed-in user's plan and
usage (the server's ``get_entitlements``), the tiers with their prices (the
billing service's ``/plans``, which serves the same tiers.json the database's
tiers are generated from; the bundled copy when offline), Checkout and portal
sessions from the billing service, and waiting until a payment has reached the
entitlements.

The billing service's address comes from Settings (``billing_url``), the
environment (``MASHUPS_BILLING_URL``) or the build's ``resources/cloud.json``
(``"billing_url"``). Local processing is never limited; only cloud actions
count against a plan.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .cloud import Cloud
from .config import CloudConfig
from .errors import NotConfiguredError, SyncError
from .tiers import Entitlements, bundled_tiers
from .transport import Transport

#: Every limit of a tier, in the order the studio shows them, with a label and a unit.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("max_projects", "Cloud projects", "count"),
    ("storage_bytes", "Cloud storage", "bytes"),
    ("published_mashups_per_month", "Publishes this month", "count"),
    ("max_collaborators", "Collaborators per project", "count"),
    ("ai_jobs_per_month", "Cloud AI jobs this month", "count"),
)
LOCAL_NOTE = ("Local processing (separation, captions, Magic, render, export) is never limited: "
              "plans only count what you keep or do in the cloud.")


class BillingNotConfiguredError(SyncError):
    def __init__(self) -> None:
        super().__init__("Billing is not set up for this cloud: set MASHUPS_BILLING_URL (or billing_url in "
                         "Settings / resources/cloud.json) to the billing service's address.")


def billing_url(settings: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None,
                bundled: Path | None = None) -> str | None:
    """The billing service's address: Settings, then environment, then the build's cloud.json."""
    env = os.environ if env is None else env
    url = ((settings or {}).get("billing_url") or env.get("MASHUPS_BILLING_URL") or "").strip()
    if not url and bundled is not None:
        try:
            data = json.loads(bundled.read_text(encoding="utf-8"))
            url = str(data.get("billing_url") or "").strip() if isinstance(data, dict) else ""
        except (OSError, ValueError):
            url = ""
    return url.rstrip("/") or None


def format_amount(value: int | None, unit: str) -> str:
    if value is None:
        return "unlimited"
    if unit != "bytes":
        return f"{value:,}"
    size = float(value)
    for suffix in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or suffix == "TB":
            return f"{size:.0f} {suffix}" if suffix in ("B", "KB") or size >= 100 else f"{size:.1f} {suffix}"
        size /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Price:
    unit_amount: int
    currency: str
    interval: str

    @property
    def label(self) -> str:
        symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(self.currency.lower())
        amount = f"{self.unit_amount / 100:.2f}".removesuffix(".00")
        text = f"{symbol}{amount}" if symbol else f"{amount} {self.currency.upper()}"
        return f"{text} / {self.interval}"


@dataclass(frozen=True)
class Tier:
    name: str
    label: str
    rank: int
    limits: dict[str, int | None]
    price: Price | None = None
    purchasable: bool = False

    @property
    def price_label(self) -> str:
        if self.price is not None:
            return self.price.label
        return "No charge" if not self.purchasable else "price unavailable"


@dataclass(frozen=True)
class Subscription:
    status: str  # active | trialing | past_due | canceled | unpaid | incomplete ...
    tier: str
    period_end: datetime | None
    cancel_at_period_end: bool


@dataclass(frozen=True)
class Plan:
    """The user's plan as the server says (or the last answer, offline)."""

    entitlements: Entitlements
    subscription: Subscription | None = None
    valid_until: datetime | None = None
    tiers: dict[str, Tier] = field(default_factory=dict)

    @property
    def tier(self) -> str:
        return self.entitlements.tier

    @property
    def from_server(self) -> bool:
        return self.entitlements.from_server

    @property
    def past_due(self) -> bool:
        return self.subscription is not None and self.subscription.status == "past_due"

    @property
    def cancels_on(self) -> datetime | None:
        s = self.subscription
        return s.period_end if s and s.cancel_at_period_end and s.status != "canceled" else None

    @property
    def renews_on(self) -> datetime | None:
        s = self.subscription
        if s and not s.cancel_at_period_end and s.status in ("active", "trialing", "past_due"):
            return s.period_end
        return None

    def usage(self, metric: str) -> int:
        return self.entitlements.usage.get(metric, 0)

    def limit(self, metric: str) -> int | None:
        return self.entitlements.limits.get(metric)

    def remaining(self, metric: str) -> int | None:
        return self.entitlements.remaining(metric)

    def remaining_text(self, metric: str) -> str:
        """``"2 of 5 cloud projects left"``: what the studio shows before a cloud action."""
        unit = next((u for m, _, u in METRICS if m == metric), "count")
        label = next((lbl for m, lbl, _ in METRICS if m == metric), metric).lower()
        limit = self.limit(metric)
        if limit is None:
            return f"{label}: unlimited on {self.tier.title()}"
        left = self.remaining(metric) or 0
        return f"{format_amount(left, unit)} of {format_amount(limit, unit)} {label} left"

    def cheapest_tier_lifting(self, metric: str, need: int = 1) -> Tier | None:
        """The lowest-ranked purchasable tier whose limit allows ``need`` more than now used."""
        used = self.usage(metric)
        for tier in sorted(self.tiers.values(), key=lambda t: t.rank):
            lim = tier.limits.get(metric)
            if tier.purchasable and tier.name != self.tier and (lim is None or used + need <= lim):
                return tier
        return None


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def tiers_from_json(data: Mapping[str, Any]) -> dict[str, Tier]:
    """``/plans`` answer (list of tiers with prices) or tiers.json (a mapping, no prices)."""
    raw = data.get("tiers") or {}
    items = raw if isinstance(raw, list) else [{"tier": k, **v} for k, v in raw.items()]
    out: dict[str, Tier] = {}
    for t in items:
        p = t.get("price")
        price = Price(int(p["unit_amount"]), str(p["currency"]), str(p.get("interval") or "month")) if (
            p and p.get("unit_amount") is not None) else None
        name = str(t["tier"])
        sold = t.get("purchasable", name != data.get("default_tier", "free"))  # tiers.json: all but the default
        out[name] = Tier(name, str(t.get("label") or name), int(t.get("rank", 0)), dict(t.get("limits") or {}),
                         price, bool(sold))
    return out


def plan_from_json(data: Mapping[str, Any], *, from_server: bool, tiers: dict[str, Tier]) -> Plan:
    sub = data.get("subscription")
    subscription = Subscription(str(sub.get("status")), str(sub.get("tier")), _dt(sub.get("current_period_end")),
                                bool(sub.get("cancel_at_period_end"))) if isinstance(sub, Mapping) else None
    return Plan(Entitlements.from_json(dict(data), from_server=from_server), subscription,
                _dt(data.get("valid_until")), tiers)


class BillingClient:
    """Billing for the signed-in user of ``cloud`` (a callable: the session may be reconfigured)."""

    def __init__(self, cloud: Callable[[], Cloud], url: str | None, *,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self._cloud = cloud
        self.url = url
        self._sleep = sleep
        self._clock = clock
        self._tiers: dict[str, Tier] | None = None

    @property
    def configured(self) -> bool:
        return self.url is not None

    def _service(self) -> Transport:
        if self.url is None:
            raise BillingNotConfiguredError()
        c = self._cloud()
        # the billing service is another origin: same retries, token refresh and error mapping
        return Transport(CloudConfig(self.url, c.config.anon_key, c.config.timeout_s), c.http, c.auth,
                         retry=c.transport.retry, sleep=c.transport.sleep)

    # ------------------------------------------------------------ tiers and plan
    def tiers(self, *, refresh: bool = False) -> dict[str, Tier]:
        """Tiers with prices from the billing service; the bundled tier data (no prices) when unreachable."""
        if self._tiers is not None and not refresh:
            return self._tiers
        try:
            data = self._service().request("GET", "/plans", auth=False).json()
            self._tiers = tiers_from_json(data)
        except (SyncError, ValueError, KeyError, TypeError):
            bundled = tiers_from_json(bundled_tiers())
            return self._tiers or bundled
        return self._tiers

    def plan_signed_out(self) -> Plan:
        """What someone without an account has: the default tier (and the tiers to compare)."""
        return plan_from_json(bundled_default(), from_server=False, tiers=self.tiers())

    def plan(self) -> Plan:
        """The plan from the server (cached for offline use; the last answer or the free tier offline)."""
        try:
            c = self._cloud()
        except NotConfiguredError:
            return self.plan_signed_out()
        try:
            data = c.transport.rpc("get_entitlements")
        except SyncError:
            cached = c.store.cached_json("entitlements")
            return plan_from_json(cached or bundled_default(), from_server=False, tiers=self.tiers())
        c.store.cache_json("entitlements", data)
        return plan_from_json(data, from_server=True, tiers=self.tiers())

    # ------------------------------------------------------------ sessions
    def checkout_url(self, tier: str, *, return_url: str | None = None) -> str:
        """A Stripe Checkout page for ``tier``, created by the billing service for this user."""
        body: dict[str, Any] = {"tier": tier}
        if return_url:
            body["return_url"] = return_url
        return str(self._service().request("POST", "/checkout", json_body=body).json()["url"])

    def portal_url(self, *, return_url: str | None = None) -> str:
        """The Stripe customer portal (card, cancel, switch plan) for this user."""
        body = {"return_url": return_url} if return_url else {}
        return str(self._service().request("POST", "/portal", json_body=body).json()["url"])

    def wait_for_change(self, before: Plan, *, tier: str | None = None, backoff: Backoff | None = None,
                        cancelled: Callable[[], bool] = lambda: False) -> Plan | None:
        """Poll the entitlements with backoff until the plan differs from ``before``
        (or reaches ``tier``). None after the backoff's timeout or when cancelled."""
        backoff = backoff or Backoff()
        deadline = self._clock() + backoff.timeout_s
        for delay in backoff.delays():
            if cancelled():
                return None
            now = self.plan()
            if confirmed(before, now, tier):
                return now
            left = deadline - self._clock()
            if left <= 0:
                return None
            self._sleep(min(delay, left))
        return None


@dataclass(frozen=True)
class Backoff:
    """How often to ask whether a payment has arrived: 1 s, then 1.6x longer
    each time up to 8 s, for two minutes (a webhook usually lands in seconds)."""

    first_s: float = 1.0
    max_s: float = 8.0
    factor: float = 1.6
    timeout_s: float = 120.0

    def delays(self) -> Iterator[float]:
        delay = self.first_s
        while True:
            yield delay
            delay = min(self.max_s, delay * self.factor)


def confirmed(before: Plan, now: Plan, tier: str | None) -> bool:
    """Has the server applied the change (``tier`` reached, or anything about the plan changed)?"""
    if not now.from_server:
        return False
    return now.tier == tier if tier else (before.tier, before.subscription) != (now.tier, now.subscription)


class ReturnPage:
    """The loopback page Checkout and the portal return to
    (``http://127.0.0.1:PORT/billing?checkout=success|cancel`` or ``?portal=return``):
    it tells the creator to go back to the studio and reports the query to ``on_return``
    (called on the server's thread)."""

    def __init__(self, on_return: Callable[[dict[str, str]], None]) -> None:
        on = on_return

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                if url.path != "/billing":
                    self.send_error(404)
                    return
                query = dict(parse_qsl(url.query))
                text = {"success": "Payment received. Mashups Studio is confirming it — you can close this tab.",
                        "cancel": "Checkout cancelled: nothing was charged and your plan is unchanged."}.get(
                    query.get("checkout", ""), "You can close this tab and go back to Mashups Studio.")
                body = (f"<!doctype html><meta charset='utf-8'><title>Mashups Studio</title>"
                        f"<body style='font-family:sans-serif;margin:4em'><h1>Mashups Studio</h1>"
                        f"<p>{html.escape(text)}</p></body>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                on(query)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/billing"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True,
                                        name="billing-return")
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def bundled_default() -> dict[str, Any]:
    data = bundled_tiers()
    tier = str(data["default_tier"])
    return {"tier": tier, "limits": data["tiers"][tier]["limits"], "usage": {}}
