"""Stripe's request conventions, for the development Stripe server.

Stripe's v1 API takes ``application/x-www-form-urlencoded`` bodies with
bracketed keys (``line_items[0][price]=price_1``, ``metadata[user_id]=u``) and
answers errors as ``{"error": {"type", "code", "param", "message"}}``. The
parameter lists below are Stripe's documented ones (API reference, 2026-10
"endive" version; the same names as the ``stripe`` SDK's typed params), so a
request the real API would refuse for an unknown or malformed parameter is
refused here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class StripeRequestError(Exception):
    """A request Stripe would refuse: HTTP status and Stripe's error object."""

    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str = "parameter_invalid", type_: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": type_, "code": code, "message": message,
                                               **({"param": param} if param else {})}}


def decode_form(body: bytes | str) -> dict[str, Any]:
    """Bracketed form fields -> nested dicts and lists (``a[0][b]=1`` -> ``{"a": [{"b": "1"}]}``)."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True, strict_parsing=False):
        m = _KEY.match(key)
        if not m:
            raise StripeRequestError(400, f"Invalid parameter name: {key}", param=key)
        parts = [m.group(1), *re.findall(r"\[([^\[\]]*)\]", m.group(2))]
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise StripeRequestError(400, f"Invalid parameter nesting: {key}", param=key)
            node = child
        last = parts[-1] if parts[-1] != "" else str(len(node))
        node[last] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    """Turn dicts keyed "0", "1", ... into lists (Stripe's array encoding)."""
    if isinstance(node, dict):
        conv = {k: _lists(v) for k, v in node.items()}
        if conv and all(k.isdigit() for k in conv):
            idx = sorted(int(k) for k in conv)
            if idx != list(range(len(idx))):
                raise StripeRequestError(400, "Array indices must be consecutive from 0")
            return [conv[str(i)] for i in idx]
        return conv
    return node


# Documented parameters (API reference) of the endpoints the billing service uses.
CHECKOUT_SESSION_PARAMS = frozenset({
    "adaptive_pricing", "after_expiration", "allow_promotion_codes", "allowed_payment_method_types",
    "automatic_tax", "billing_address_collection", "branding_settings", "cancel_url", "client_reference_id",
    "consent_collection", "currency", "custom_fields", "custom_text", "customer", "customer_account",
    "customer_creation", "customer_email", "customer_update", "discounts", "excluded_payment_method_types",
    "expand", "expires_at", "integration_identifier", "invoice_creation", "line_items", "locale",
    "managed_payments", "metadata", "mode", "name_collection", "optional_items", "origin_context",
    "payment_intent_data", "payment_method_collection", "payment_method_configuration", "payment_method_data",
    "payment_method_options", "permissions", "phone_number_collection", "redirect_on_completion", "return_url",
    "saved_payment_method_options", "setup_intent_data", "shipping_address_collection", "shipping_options",
    "submit_type", "subscription_data", "success_url", "tax_id_collection", "ui_mode", "wallet_options",
})
CHECKOUT_LINE_ITEM_PARAMS = frozenset({"adjustable_quantity", "metadata", "price", "price_data", "quantity",
                                       "tax_rates"})
CHECKOUT_SUBSCRIPTION_DATA_PARAMS = frozenset({
    "application_fee_percent", "billing_cycle_anchor", "billing_cycle_anchor_config", "billing_mode",
    "default_tax_rates", "description", "invoice_settings", "metadata", "on_behalf_of",
    "pending_invoice_item_interval", "proration_behavior", "transfer_data", "trial_end", "trial_period_days",
    "trial_settings",
})
PORTAL_SESSION_PARAMS = frozenset({"after_expiration", "configuration", "customer", "customer_account", "expand",
                                   "flow_data", "locale", "on_behalf_of", "return_url"})
CUSTOMER_PARAMS = frozenset({
    "address", "balance", "business_name", "cash_balance", "description", "email", "expand", "individual_name",
    "invoice_prefix", "invoice_settings", "metadata", "name", "next_invoice_sequence", "payment_method", "phone",
    "preferred_locales", "shipping", "source", "tax", "tax_exempt", "tax_id_data", "test_clock", "validate",
})
SUBSCRIPTION_UPDATE_PARAMS = frozenset({
    "add_invoice_items", "application_fee_percent", "automatic_tax", "billing_cycle_anchor", "billing_schedules",
    "billing_thresholds", "cancel_at", "cancel_at_period_end", "cancellation_details", "collection_method",
    "days_until_due", "default_payment_method", "default_source", "default_tax_rates", "description", "discounts",
    "expand", "invoice_settings", "items", "metadata", "off_session", "on_behalf_of", "pause_collection",
    "payment_behavior", "payment_settings", "pending_invoice_item_interval", "proration_behavior",
    "proration_date", "transfer_data", "trial_end", "trial_from_plan", "trial_settings",
})
RETRIEVE_PARAMS = frozenset({"expand"})


def check_known(params: Mapping[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    for name in params:
        if name not in allowed:
            raise StripeRequestError(400, f"Received unknown parameter: {prefix}{name}",
                                     param=f"{prefix}{name}", code="parameter_unknown")


def require(params: Mapping[str, Any], name: str) -> Any:
    if name not in params or params[name] in ("", None):
        raise StripeRequestError(400, f"Missing required param: {name}.", param=name, code="parameter_missing")
    return params[name]


def as_bool(params: Mapping[str, Any], name: str) -> bool | None:
    if name not in params:
        return None
    value = params[name]
    if value not in ("true", "false"):
        raise StripeRequestError(400, f"Invalid boolean: {value}", param=name)
    return bool(value == "true")


def as_int(value: Any, name: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise StripeRequestError(400, f"Invalid integer: {value}", param=name)
    return int(value)


def as_url(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise StripeRequestError(400, "Not a valid URL", param=name, code="url_invalid")
    return value


def check_metadata(value: Any, name: str = "metadata") -> dict[str, str]:
    """Stripe: up to 50 keys, keys up to 40 characters, values up to 500 characters."""
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeRequestError(400, "Invalid object", param=name)
    if len(value) > 50:
        raise StripeRequestError(400, "Metadata can have up to 50 keys", param=name)
    for key, val in value.items():
        if len(key) > 40 or not isinstance(val, str) or len(val) > 500:
            raise StripeRequestError(400, f"Invalid metadata entry {key!r}", param=f"{name}[{key}]")
    return dict(value)
