"""The only place that talks to Stripe over the network. Everything else in
the billing service depends on the :class:`StripeApi` protocol, so it can be
tested without reaching Stripe."""

from __future__ import annotations

from typing import Any, Protocol


class StripeApi(Protocol):
    def create_customer(self, *, email: str | None, user_id: str, idempotency_key: str) -> str: ...

    def create_checkout_session(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]: ...

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]: ...

    def retrieve_subscription(self, subscription_id: str) -> dict[str, Any]: ...


class StripeSdkApi:
    """StripeApi over the official ``stripe`` package (StripeClient, v1 services)."""

    def __init__(self, secret_key: str) -> None:
        import stripe

        self._client = stripe.StripeClient(secret_key)

    def create_customer(self, *, email: str | None, user_id: str, idempotency_key: str) -> str:
        params: dict[str, Any] = {"metadata": {"user_id": user_id}}
        if email:
            params["email"] = email
        customer = self._client.v1.customers.create(params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return str(customer.id)

    def create_checkout_session(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        session = self._client.v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return dict(session.to_dict())

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        session = self._client.v1.billing_portal.sessions.create(params)  # type: ignore[arg-type]
        return dict(session.to_dict())

    def retrieve_subscription(self, subscription_id: str) -> dict[str, Any]:
        sub = self._client.v1.subscriptions.retrieve(subscription_id)
        return dict(sub.to_dict())
