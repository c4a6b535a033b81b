"""WSGI front of the billing service (any WSGI server; ``python -m
backend.billing.app`` serves it with wsgiref for development).

POST /checkout {"tier": "pro"}  (Authorization: Bearer <Supabase access token>) -> {"url": ...}
POST /portal                    (Authorization: Bearer ...)                      -> {"url": ...}
POST /webhook                   (Stripe-Signature; raw body)                      -> {"status": ...}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from .service import BillingError, BillingService

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
MAX_BODY = 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            413: "Payload Too Large", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def make_app(service: BillingService) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def reply(status: int, body: dict[str, Any]) -> list[bytes]:
            data = json.dumps(body).encode()
            start_response(f"{status} {_REASONS.get(status, '')}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]

        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST":
            return reply(405, {"error": "POST only"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return reply(413, {"error": "body too large"})
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            if path == "/webhook":
                res = service.handle_webhook(raw, environ.get("HTTP_STRIPE_SIGNATURE"))
                return reply(200, {"status": res.status, "event": res.event_id, "tier": res.tier})
            if path in ("/checkout", "/portal"):
                uid, email = service.authenticate(environ.get("HTTP_AUTHORIZATION"))
                if path == "/portal":
                    return reply(200, {"url": service.create_portal(uid)})
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return reply(400, {"error": "invalid JSON"})
                return reply(200, {"url": service.create_checkout(uid, email, str(body.get("tier", "")))})
            return reply(404, {"error": "not found"})
        except BillingError as exc:
            return reply(exc.status, {"error": exc.message})

    return app


def main() -> None:  # pragma: no cover - development server
    import os
    from wsgiref.simple_server import make_server

    from .service import BillingConfig, PostgresBillingStore
    from .stripe_api import StripeSdkApi

    config = BillingConfig.from_env()
    store = PostgresBillingStore(config.database_url)
    store.sync_prices(config.prices)
    service = BillingService(config, StripeSdkApi(os.environ["STRIPE_SECRET_KEY"]), store)
    with make_server("127.0.0.1", int(os.environ.get("PORT", "8787")), make_app(service)) as server:
        server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
