"""Billing service: Stripe Checkout and customer portal sessions for the
signed-in user, the plans with their prices, and the Stripe webhook that keeps
entitlements in step with subscriptions. Runs in the backend only (``python
-m backend.billing``); it holds the Stripe secret key and a service-role
database connection, never the desktop app."""

from .config import BillingConfig, ConfigError
from .service import BillingError, BillingService, WebhookResult
from .store import PostgresBillingStore, SubscriptionState
from .stripe_api import StripeApi, StripeSdkApi

__all__ = [
    "BillingConfig",
    "BillingError",
    "BillingService",
    "ConfigError",
    "PostgresBillingStore",
    "StripeApi",
    "StripeSdkApi",
    "SubscriptionState",
    "WebhookResult",
]
