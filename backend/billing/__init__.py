"""Billing service: Stripe Checkout and customer portal sessions for the
signed-in user, and the Stripe webhook that keeps entitlements in step with
subscriptions. Runs in the backend only; it holds the Stripe secret key and
a service-role database connection, never the desktop app."""

from .service import BillingConfig, BillingError, BillingService, PostgresBillingStore, WebhookResult
from .stripe_api import StripeApi, StripeSdkApi

__all__ = [
    "BillingConfig",
    "BillingError",
    "BillingService",
    "PostgresBillingStore",
    "StripeApi",
    "StripeSdkApi",
    "WebhookResult",
]
