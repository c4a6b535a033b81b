"""``python -m backend.billing``: the billing service under waitress (a
production WSGI server, pure Python), configured from the environment (see
:mod:`backend.billing.config`). Exits with a clear message when the
configuration is incomplete or the database is unreachable."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from backend.serve import serve

from .app import make_app
from .config import BillingConfig, ConfigError
from .service import BillingService
from .store import PostgresBillingStore
from .stripe_api import StripeSdkApi

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication


def build(config: BillingConfig) -> BillingService:
    store = PostgresBillingStore(config.database_url)
    store.ping()
    store.sync_prices(config.prices)
    api = StripeSdkApi(config.stripe_secret_key, api_base=config.stripe_api_base)
    return BillingService(config, api, store)


def start() -> tuple[BillingConfig, WSGIApplication]:
    config = BillingConfig.from_env()
    return config, make_app(build(config))


def main(argv: Sequence[str] | None = None) -> int:
    return serve(argv, name="billing", description=__doc__, default_port=8787, start=start, config_error=ConfigError,
                 max_request_body_size=1024 * 1024)


if __name__ == "__main__":
    sys.exit(main())
