"""``mashups plan [--json]``, ``mashups upgrade TIER``, ``mashups billing-portal``."""

from __future__ import annotations

import argparse
import webbrowser
from typing import Any

from sync.billing import METRICS, BillingClient, Plan, billing_url, format_amount
from sync.cli.common import command, emit
from sync.errors import AuthRequiredError
from sync.session import CloudSession, bundled_config_path

EXAMPLES = [
    "mashups plan                      # tier, usage against every limit, renewal date",
    "mashups plan --json",
    "mashups upgrade pro               # prints the Checkout URL and opens it in the browser",
    "mashups billing-portal --no-browser",
]


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="your plan: tier, usage and limits",
                       description="Your plan, usage against every limit, and the tiers with prices. Local "
                                   "processing is never limited.")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=command(_plan))
    u = sub.add_parser("upgrade", help="open Stripe Checkout for a plan",
                       description="Creates a Checkout session for the signed-in user, prints its URL and opens "
                                   "it in the browser. The plan changes when the payment is confirmed.")
    u.add_argument("tier", metavar="TIER", help="the plan to buy (see `mashups plan`)")
    u.add_argument("--no-browser", action="store_true", help="only print the URL")
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=command(_upgrade))
    b = sub.add_parser("billing-portal", help="open the billing portal (card, cancel, switch plan)")
    b.add_argument("--no-browser", action="store_true", help="only print the URL")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=command(_portal))


def client(s: CloudSession) -> BillingClient:
    return BillingClient(s.require, billing_url(bundled=bundled_config_path()))


def _signed_in(s: CloudSession) -> None:
    if not s.require().auth.signed_in:
        raise AuthRequiredError("mashups account login EMAIL")


def plan_json(plan: Plan) -> dict[str, Any]:
    sub = plan.subscription
    return {
        "tier": plan.tier, "from_server": plan.from_server,
        "usage": {m: plan.usage(m) for m, _, _ in METRICS}, "limits": {m: plan.limit(m) for m, _, _ in METRICS},
        "subscription": None if sub is None else {
            "status": sub.status, "tier": sub.tier, "cancel_at_period_end": sub.cancel_at_period_end,
            "current_period_end": sub.period_end.isoformat() if sub.period_end else None},
        "tiers": [{"tier": t.name, "label": t.label, "price": t.price_label, "limits": t.limits}
                  for t in sorted(plan.tiers.values(), key=lambda t: t.rank)],
    }


def plan_text(plan: Plan) -> str:
    label = plan.tiers[plan.tier].label if plan.tier in plan.tiers else plan.tier
    lines = [f"Plan: {label}" + ("" if plan.from_server else " (offline: last known)")]
    if plan.cancels_on:
        lines.append(f"Cancels on {plan.cancels_on:%Y-%m-%d} (you keep it until then)")
    elif plan.renews_on:
        lines.append(f"Renews on {plan.renews_on:%Y-%m-%d}")
    if plan.past_due:
        lines.append("Payment failed: update your card with `mashups billing-portal`.")
    for metric, name, unit in METRICS:
        lines.append(f"  {name:<28} {format_amount(plan.usage(metric), unit):>10} of "
                     f"{format_amount(plan.limit(metric), unit)}")
    lines.append("Tiers: " + ", ".join(f"{t.label} {t.price_label}"
                                       for t in sorted(plan.tiers.values(), key=lambda t: t.rank)))
    lines.append("Local processing is never limited.")
    return "\n".join(lines)


def _plan(args: argparse.Namespace, s: CloudSession) -> int:
    _signed_in(s)
    plan = client(s).plan()
    emit(args, plan_json(plan), plan_text(plan))
    return 0


def _upgrade(args: argparse.Namespace, s: CloudSession) -> int:
    _signed_in(s)
    c = client(s)
    tiers = c.tiers()
    if args.tier not in tiers or not tiers[args.tier].purchasable:
        buyable = ", ".join(t.name for t in tiers.values() if t.purchasable)
        raise ValueError(f"no plan named {args.tier!r} to buy; choose one of: {buyable}")
    url = c.checkout_url(args.tier)
    opened = not args.no_browser and webbrowser.open(url)
    emit(args, {"tier": args.tier, "url": url, "opened": bool(opened)},
         f"Checkout for {tiers[args.tier].label}: {url}" + ("\n(opened in your browser)" if opened else ""))
    return 0


def _portal(args: argparse.Namespace, s: CloudSession) -> int:
    _signed_in(s)
    url = client(s).portal_url()
    opened = not args.no_browser and webbrowser.open(url)
    emit(args, {"url": url, "opened": bool(opened)},
         f"Billing portal: {url}" + ("\n(opened in your browser)" if opened else ""))
    return 0
