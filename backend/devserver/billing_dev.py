"""The billing service in test mode for development and tests: the real
service and WSGI app under waitress (the production server), talking through
the real ``stripe`` SDK to the development Stripe server, which sends its
signed events back to the service's webhook. Checkout and portal URLs are
therefore local pages (``/c/pay/...``, ``/p/session/...``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from backend.billing.app import make_app
from backend.billing.config import BillingConfig
from backend.billing.service import BillingService
from backend.billing.store import PostgresBillingStore
from backend.billing.stripe_api import StripeSdkApi

from .fake_stripe import Price, StripeState
from .gateway import JWT_SECRET
from .stripe_server import DevStripeServer

SECRET_KEY = "sk_test_local_backend"
WEBHOOK_SECRET = "whsec_local_backend"
DEFAULT_PRICES = (Price("pro", "price_pro_monthly", 900), Price("studio", "price_studio_monthly", 2900))


@dataclass
class DevBilling:
    url: str
    stripe: DevStripeServer
    service: BillingService
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def stripe_state(self) -> StripeState:
        return self.stripe.state

    def close(self) -> None:
        """Stop waitress from another thread (its loop sees the closed sockets and ends)."""
        self._stopping.set()
        for channel in list(self._server._map.values()):
            if channel is not self._server:
                channel.close()
        self._server.task_dispatcher.shutdown(timeout=1)
        self._server.close()
        self._thread.join(timeout=5)
        self.stripe.close()

    def _serve(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):
            if not self._stopping.is_set():
                raise


def start_dev_billing(dsn: str, *, port: int = 0, stripe_port: int = 0, jwt_secret: str = JWT_SECRET,
                      prices: tuple[Price, ...] = DEFAULT_PRICES, extra_stripe_prices: tuple[Price, ...] = (),
                      auto_deliver: bool = True) -> DevBilling:
    """``extra_stripe_prices`` exist in (development) Stripe but are not sold by the service."""
    from waitress import create_server

    state = StripeState(SECRET_KEY, {p.id: p for p in (*prices, *extra_stripe_prices)},
                        webhook_secret=WEBHOOK_SECRET, auto_deliver=auto_deliver)
    stripe = DevStripeServer(state, port=stripe_port).start()
    config = BillingConfig(webhook_secret=WEBHOOK_SECRET, jwt_secret=jwt_secret,
                           prices={p.tier: p.id for p in prices},
                           success_url=f"{stripe.url}/done", cancel_url=f"{stripe.url}/done",
                           portal_return_url=f"{stripe.url}/done", database_url=dsn,
                           stripe_secret_key=SECRET_KEY, stripe_api_base=stripe.url)
    store = PostgresBillingStore(dsn)
    store.sync_prices(config.prices)
    service = BillingService(config, StripeSdkApi(SECRET_KEY, api_base=stripe.url, max_network_retries=0), store)
    server = create_server(make_app(service), host="127.0.0.1", port=port, threads=4, ident="mashups-billing-dev")
    url = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    state.webhook_url = f"{url}/webhook"
    dev = DevBilling(url, stripe, service, server, threading.Thread())
    dev._thread = threading.Thread(target=dev._serve, name="dev-billing", daemon=True)
    dev._thread.start()
    return dev
