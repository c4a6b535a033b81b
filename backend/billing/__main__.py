"""``python -m backend.billing``: the billing service under waitress (a
production WSGI server, pure Python), configured from the environment (see
:mod:`backend.billing.config`). Exits with a clear message when the
configuration is incomplete or the database is unreachable."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .app import make_app
from .config import BillingConfig, ConfigError
from .service import BillingService
from .store import PostgresBillingStore
from .stripe_api import StripeSdkApi


def build(config: BillingConfig) -> BillingService:
    store = PostgresBillingStore(config.database_url)
    store.ping()
    store.sync_prices(config.prices)
    api = StripeSdkApi(config.stripe_secret_key, api_base=config.stripe_api_base)
    return BillingService(config, api, store)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m backend.billing", description=__doc__)
    ap.add_argument("--host", help="listen address (default $HOST or 0.0.0.0)")
    ap.add_argument("--port", type=int, help="listen port (default $PORT or 8787; 0: any free port)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = BillingConfig.from_env()
        service = build(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # database unreachable, bad DATABASE_URL, ...
        print(f"error: cannot start the billing service: {exc}", file=sys.stderr)
        return 1
    from waitress import create_server

    server = create_server(make_app(service), host=args.host or config.host,
                           port=config.port if args.port is None else args.port, threads=config.threads,
                           ident="mashups-billing", max_request_body_size=1024 * 1024)
    addr = server.effective_host, server.effective_port  # type: ignore[union-attr]
    print(f"BILLING_URL=http://{addr[0]}:{addr[1]}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
