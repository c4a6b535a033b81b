"""Billing service configuration, read from the environment (12-factor):

==========================  ==================================================
``STRIPE_SECRET_KEY``       ``sk_live_…`` / ``sk_test_…`` (or a restricted ``rk_…`` key)
``STRIPE_WEBHOOK_SECRET``   ``whsec_…`` of the webhook endpoint
``STRIPE_PRICES``           ``{"pro": "price_…", "studio": "price_…"}`` (or one
                            ``STRIPE_PRICE_PRO`` / ``STRIPE_PRICE_STUDIO`` per tier)
``SUPABASE_JWT_SECRET``     verifies the users' Supabase access tokens (HS256, the legacy secret)
``SUPABASE_JWKS_URL``       and/or the project's signing keys (RS256/ES256):
                            ``https://<project>.supabase.co/auth/v1/.well-known/jwks.json``
``DATABASE_URL``            Postgres connection allowed to ``set role service_role``
``CHECKOUT_SUCCESS_URL``    where Checkout returns after paying (default below);
``CHECKOUT_CANCEL_URL``     a desktop client may instead ask for a loopback
``PORTAL_RETURN_URL``       (``http://127.0.0.1:<port>/…``) page it serves itself
``STRIPE_API_BASE``         optional: another Stripe API address (the development
                            Stripe of ``scripts/local-backend.sh``); test keys only
``HOST`` / ``PORT``         where the server listens (``0.0.0.0`` / ``8787``)
``THREADS``                 worker threads of the WSGI server (8)
==========================  ==================================================
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from backend.tiers import load_tiers

REQUIRED = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL")


class ConfigError(ValueError):
    """The environment does not describe a usable billing service."""


@dataclass(frozen=True)
class BillingConfig:
    webhook_secret: str
    jwt_secret: str
    prices: Mapping[str, str]  # tier -> Stripe price id
    success_url: str
    cancel_url: str
    portal_return_url: str
    database_url: str = ""
    stripe_secret_key: str = ""
    stripe_api_base: str | None = None
    host: str = "0.0.0.0"
    port: int = 8787
    threads: int = 8
    jwks_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BillingConfig:
        env = os.environ if env is None else env
        missing = [name for name in REQUIRED if not env.get(name, "").strip()]
        if not env.get("SUPABASE_JWT_SECRET", "").strip() and not env.get("SUPABASE_JWKS_URL", "").strip():
            missing.append("SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL")
        if missing:
            raise ConfigError(f"billing service: set {', '.join(missing)} (see backend/README.md)")
        paid = [t for t in load_tiers()["tiers"] if t != load_tiers()["default_tier"]]
        try:
            prices = dict(json.loads(env.get("STRIPE_PRICES") or "{}"))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f'STRIPE_PRICES must be JSON like {{"pro": "price_..."}}: {exc}') from exc
        for tier in paid:
            if env.get(f"STRIPE_PRICE_{tier.upper()}"):
                prices[tier] = env[f"STRIPE_PRICE_{tier.upper()}"]
        unknown = sorted(set(prices) - set(paid))
        if unknown:
            raise ConfigError(f"STRIPE_PRICES names tiers that tiers.json does not sell: {unknown}")
        if not prices:
            raise ConfigError(f"no Stripe price configured: set STRIPE_PRICES or STRIPE_PRICE_<TIER> for {paid}")
        key = env["STRIPE_SECRET_KEY"].strip()
        api_base = env.get("STRIPE_API_BASE", "").strip() or None
        if api_base and "_live_" in key:
            raise ConfigError("STRIPE_API_BASE is for test mode: refusing to send a live key elsewhere")
        try:
            port, threads = int(env.get("PORT", "8787")), int(env.get("THREADS", "8"))
        except ValueError as exc:
            raise ConfigError(f"PORT and THREADS must be integers: {exc}") from exc
        return cls(
            webhook_secret=env["STRIPE_WEBHOOK_SECRET"].strip(),
            jwt_secret=env.get("SUPABASE_JWT_SECRET", "").strip(),
            prices=prices,
            success_url=env.get("CHECKOUT_SUCCESS_URL", "https://mashups.studio/billing/success"),
            cancel_url=env.get("CHECKOUT_CANCEL_URL", "https://mashups.studio/billing/cancel"),
            portal_return_url=env.get("PORTAL_RETURN_URL", "https://mashups.studio/account"),
            database_url=env["DATABASE_URL"].strip(),
            stripe_secret_key=key,
            stripe_api_base=api_base,
            host=env.get("HOST", "0.0.0.0"),
            port=port,
            threads=threads,
            jwks_url=env.get("SUPABASE_JWKS_URL", "").strip() or None,
        )
