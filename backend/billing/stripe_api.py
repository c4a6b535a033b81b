"""The only place that talks to Stripe over the network. Everything else in
the billing service depends on the :class:`StripeApi` protocol.

Tests run :class:`StripeSdkApi` unchanged, through the real ``stripe`` SDK,
against the development Stripe server (``backend/devserver/stripe_server.py``)
by giving it that server's address as ``api_base``."""

from __future__ import annotations

from typing import Any, Protocol


class StripeApi(Protocol):
    def create_customer(self, *, email: str | None, user_id: str, idempotency_key: str) -> str: ...

    def create_checkout_session(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]: ...

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]: ...

    def retrieve_subscription(self, subscription_id: str) -> dict[str, Any]: ...

    def retrieve_price(self, price_id: str) -> dict[str, Any]: ...


class StripeSdkApi:
    """StripeApi over the official ``stripe`` package (StripeClient, v1 services).

    ``api_base`` replaces ``https://api.stripe.com`` (the development server in
    test mode); ``max_network_retries`` lets the SDK retry connection errors and
    409/5xx answers, safe because every create carries an idempotency key."""

    def __init__(self, secret_key: str, *, api_base: str | None = None, max_network_retries: int = 2,
                 http_client: Any = None) -> None:
        import stripe

        if not secret_key.startswith(("sk_", "rk_")):
            raise ValueError("STRIPE_SECRET_KEY must be a secret (sk_...) or restricted (rk_...) key")
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else {},
            max_network_retries=max_network_retries,
            http_client=http_client,
        )

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

    def retrieve_price(self, price_id: str) -> dict[str, Any]:
        price = self._client.v1.prices.retrieve(price_id)
        return dict(price.to_dict())
