"""WSGI front of the billing service. Production: ``python -m backend.billing``
(waitress); any WSGI server can serve :func:`make_app` too.

GET  /healthz                                                                      -> {"ok": true}
GET  /plans                                                                        -> tiers with prices
POST /checkout {"tier": "pro", "return_url"?}  (Authorization: Bearer <Supabase access token>) -> {"url": ...}
POST /portal   {"return_url"?}                 (Authorization: Bearer ...)                      -> {"url": ...}
POST /webhook                                  (Stripe-Signature; raw body)                      -> {"status": ...}

``return_url`` may only be a loopback address (the desktop studio's own page).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from .service import BillingError, BillingService

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
MAX_BODY = 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            413: "Payload Too Large", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
log = logging.getLogger("backend.billing")


def make_app(service: BillingService) -> WsgiApp:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def reply(status: int, body: dict[str, Any]) -> list[bytes]:
            data = json.dumps(body).encode()
            start_response(f"{status} {_REASONS.get(status, '')}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                            ("Cache-Control", "no-store")])
            return [data]

        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if method == "GET" and path == "/healthz":
            return reply(200, {"ok": True})
        if method == "GET" and path == "/plans":
            return reply(200, service.plans())
        if method != "POST":
            return reply(405 if path in ("/checkout", "/portal", "/webhook") else 404,
                         {"error": "POST only" if path in ("/checkout", "/portal", "/webhook") else "not found"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY or length < 0:
            return reply(413, {"error": "body too large"})
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            if path == "/webhook":
                res = service.handle_webhook(raw, environ.get("HTTP_STRIPE_SIGNATURE"))
                body = {"status": res.status, "event": res.event_id, "tier": res.tier}
                return reply(200, {**body, "reason": res.reason} if res.reason else body)
            if path in ("/checkout", "/portal"):
                uid, email = service.authenticate(environ.get("HTTP_AUTHORIZATION"))
                try:
                    req = json.loads(raw or b"{}")
                except ValueError:
                    return reply(400, {"error": "invalid JSON"})
                if not isinstance(req, dict):
                    return reply(400, {"error": "expected a JSON object"})
                back = req.get("return_url")
                if back is not None and not isinstance(back, str):
                    return reply(400, {"error": "return_url must be a string"})
                if path == "/portal":
                    return reply(200, {"url": service.create_portal(uid, return_url=back)})
                return reply(200, {"url": service.create_checkout(uid, email, str(req.get("tier", "")),
                                                                  return_url=back)})
            return reply(404, {"error": "not found"})
        except BillingError as exc:
            return reply(exc.status, {"error": exc.message})
        except Exception:  # never a traceback to the caller; Stripe retries webhooks on 500
            log.exception("billing request %s failed", path)
            return reply(500, {"error": "internal error"})

    return app


def main() -> None:  # pragma: no cover - kept for the old command; use ``python -m backend.billing``
    from .__main__ import main as serve

    serve()


if __name__ == "__main__":  # pragma: no cover
    main()
