"""HTTP front of the development Stripe (:mod:`backend.devserver.fake_stripe`):
``/v1/...`` for the SDK, ``/c/pay/<session>`` (Checkout) and
``/p/session/<portal session>`` (customer portal) for the browser.

    python -m backend.devserver.stripe_server --port 12111 \\
        --webhook-url http://127.0.0.1:8787/webhook --webhook-secret whsec_dev \\
        --price pro=price_pro:900 --price studio=price_studio:2900

The billing service then runs with ``STRIPE_API_BASE=http://127.0.0.1:12111``.
"""

from __future__ import annotations

import argparse
import html
import json
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .fake_stripe import Price, StripeState
from .stripe_forms import StripeRequestError, decode_form

MAX_BODY = 256 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: bytes, ctype: str, extra: Iterable[tuple[str, str]] = ()) -> None:
        self.server.state.flush()  # events reach the webhook before the answer (lock not held here)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json",
                   [("Request-Id", "req_dev"), ("Stripe-Version", self.headers.get("Stripe-Version", ""))])

    def _redirect(self, url: str) -> None:
        self._send(303, b"", "text/plain", [("Location", url)])

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise StripeRequestError(413, "Request body too large")
        return self.rfile.read(length) if length else b""

    def _handle(self, method: str) -> None:
        try:
            self._dispatch(method)
        finally:
            self.server.state.flush()

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        try:
            if url.path.startswith("/v1/"):
                if method == "POST":
                    ctype = self.headers.get("Content-Type", "")
                    if not ctype.startswith("application/x-www-form-urlencoded"):
                        raise StripeRequestError(400, f"Invalid Content-Type {ctype!r}: Stripe takes form-encoded "
                                                 "bodies")
                    params = decode_form(self._body())
                else:
                    self._body()
                    params = decode_form(url.query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, body = state.api(method, url.path, params, headers)
                if state.answer_delay is not None:
                    state.answer_delay(method, url.path, body)
                self._json(status, body)
                return
            self._page(method, url.path)
        except StripeRequestError as exc:
            self._json(exc.status, exc.body)

    def _page(self, method: str, path: str) -> None:
        state = self.server.state
        parts = path.strip("/").split("/")
        if parts[:2] == ["c", "pay"] and len(parts) == 3 and method == "GET":
            with state.lock:
                page = checkout_page(state, parts[2])
            self._send(200, page, "text/html; charset=utf-8")
        elif parts[:2] == ["c", "pay"] and len(parts) == 4 and parts[3] == "complete" and method == "POST":
            with state.lock:
                session = dict(state.complete_checkout(parts[2]))
            self._redirect(str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"]))
        elif parts[:2] == ["p", "session"] and len(parts) == 3 and method == "GET":
            with state.lock:
                page = portal_page(state, parts[2])
            self._send(200, page, "text/html; charset=utf-8")
        elif parts[:2] == ["p", "session"] and len(parts) == 4 and method == "POST":
            form = dict(parse_qsl(self._body().decode()))
            with state.lock:
                state.portal_action(parts[2], parts[3], form.get("price"))
            self._redirect(f"/p/session/{parts[2]}")
        elif parts == ["done"] and method == "GET":  # the default return address of test mode
            self._send(200, _page_html("Done", "<p>Done. You can close this tab and go back to Mashups Studio."
                                               "</p>"), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")


def _page_html(title: str, body: str) -> bytes:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
            f"<p><b>Test mode</b> (development Stripe)</p>{body}</body></html>").encode()


def checkout_page(state: StripeState, sid: str) -> bytes:
    session = state.sessions.get(sid)
    if session is None:
        return _page_html("Checkout", "<p>This Checkout session does not exist.</p>")
    price = state.prices[session["_line_items"][0]["price"]]
    cancel = html.escape(str(session.get("cancel_url") or "/"))
    return _page_html("Checkout", (
        f"<h1>Subscribe to {html.escape(price.tier.title())}</h1>"
        f"<p>{price.unit_amount / 100:.2f} {price.currency.upper()} per {price.interval}</p>"
        f"<p>Status: {html.escape(session['status'])}</p>"
        f"<form method='post' action='/c/pay/{sid}/complete'><button id='pay'>Pay</button></form>"
        f"<p><a id='cancel' href='{cancel}'>Cancel</a></p>"))


def portal_page(state: StripeState, bid: str) -> bytes:
    portal = state.portal_sessions.get(bid)
    if portal is None:
        return _page_html("Billing", "<p>This portal session does not exist.</p>")
    subs = [s for s in state.subscriptions.values() if s["customer"] == portal["customer"]]
    rows = "".join(f"<li>{html.escape(s['id'])}: {html.escape(s['items']['data'][0]['price']['lookup_key'])}, "
                   f"{html.escape(s['status'])}{', cancels at period end' if s['cancel_at_period_end'] else ''}</li>"
                   for s in subs)
    buttons = "".join(f"<form method='post' action='/p/session/{bid}/{a}'><button>{label}</button></form>"
                      for a, label in (("cancel_at_period_end", "Cancel plan"), ("resume", "Don't cancel"),
                                       ("payment_failed", "Simulate a failed payment"),
                                       ("payment_recovered", "Update card (payment succeeds)"),
                                       ("cancel_now", "Cancel immediately")))
    switch = "".join(f"<form method='post' action='/p/session/{bid}/switch'><input type='hidden' name='price' "
                     f"value='{html.escape(p.id)}'><button>Switch to {html.escape(p.tier.title())}</button></form>"
                     for p in state.prices.values())
    back = html.escape(str(portal.get("return_url") or "/"))
    return _page_html("Billing", f"<h1>Your plan</h1><ul>{rows}</ul>{buttons}{switch}"
                                 f"<p><a href='{back}'>Return</a></p>")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], state: StripeState) -> None:
        super().__init__(addr, _Handler)
        self.state = state


class DevStripeServer:
    """Serves one :class:`StripeState` on 127.0.0.1 in a background thread."""

    def __init__(self, state: StripeState, *, port: int = 0) -> None:
        self.state = state
        self._server = _Server(("127.0.0.1", port), state)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        state.base_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="dev-stripe", daemon=True)

    def __enter__(self) -> DevStripeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> DevStripeServer:
        return self.__enter__()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def parse_price(text: str) -> Price:
    """``pro=price_pro:900`` -> Price(tier="pro", id="price_pro", unit_amount=900)."""
    try:
        tier, rest = text.split("=", 1)
        price_id, amount = rest.split(":", 1)
        return Price(tier=tier, id=price_id, unit_amount=int(amount))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected TIER=PRICE_ID:CENTS, got {text!r}") from None


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - development server
    ap = argparse.ArgumentParser(description="Development Stripe API (test mode only)")
    ap.add_argument("--port", type=int, default=12111)
    ap.add_argument("--secret-key", default="sk_test_dev")
    ap.add_argument("--webhook-url")
    ap.add_argument("--webhook-secret", default="whsec_dev")
    ap.add_argument("--price", type=parse_price, action="append", default=[])
    args = ap.parse_args(argv)
    prices = args.price or [parse_price("pro=price_pro_dev:900"), parse_price("studio=price_studio_dev:2900")]
    state = StripeState(args.secret_key, {p.id: p for p in prices}, webhook_url=args.webhook_url,
                        webhook_secret=args.webhook_secret)
    server = DevStripeServer(state, port=args.port)
    print(f"STRIPE_API_BASE={server.url}", flush=True)
    server._server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
