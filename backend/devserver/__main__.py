"""``python -m backend.devserver`` (what ``scripts/local-backend.sh`` runs):
a throwaway PostgreSQL + bootstrap + migrations + the Supabase-compatible
gateway on 127.0.0.1, and the billing service in test mode (waitress, the
real Stripe SDK talking to the development Stripe, whose Checkout and portal
pages are local). Prints ``SUPABASE_URL=...``, ``SUPABASE_ANON_KEY=...`` and
``MASHUPS_BILLING_URL=...`` and runs until Ctrl-C; then everything (database,
stored objects) is gone. Also the development Realtime websocket server
(``MASHUPS_REALTIME_URL=...``, live collaboration) and the voice service
(``MASHUPS_VOICE_URL=...``; Talk is off with its reason unless
``DAILY_API_KEY`` is set in the environment)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from backend.devserver.gateway import ANON_KEY, JWT_SECRET, SERVICE_KEY, Gateway
from backend.devserver.pg import create_database, throwaway_cluster
from backend.devserver.realtime import RealtimeServer


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="local-backend", description=__doc__)
    ap.add_argument("--port", type=int, default=54321, help="gateway port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--access-ttl", type=int, default=3600, help="lifetime of access tokens in seconds")
    ap.add_argument("--billing-port", type=int, default=8787,
                    help="billing service port on 127.0.0.1 (0: any free port; -1: no billing service)")
    args = ap.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print("starting a throwaway PostgreSQL and applying the migrations…", file=sys.stderr, flush=True)
    with throwaway_cluster(max_connections=100) as server:
        db = create_database(server, "mashups")
        gw = Gateway(server.dsn(db), access_ttl=args.access_ttl, port=args.port)
        try:
            gw.start()
        except OSError as exc:
            print(f"error: cannot listen on 127.0.0.1:{args.port} ({exc.strerror}); "
                  "pass --port 0 for any free port", file=sys.stderr)
            return 1
        billing = None
        if args.billing_port >= 0:
            from backend.devserver.billing_dev import start_dev_billing

            try:
                billing = start_dev_billing(server.dsn(db), port=args.billing_port)
            except OSError as exc:
                gw.stop()
                print(f"error: cannot listen on 127.0.0.1:{args.billing_port} ({exc.strerror}); "
                      "pass --billing-port 0 for any free port", file=sys.stderr)
                return 1
        realtime = RealtimeServer(server.dsn(db))
        realtime.start()
        voice = _start_voice(server.dsn(db))
        print(f"SUPABASE_URL={gw.url}")
        print(f"MASHUPS_REALTIME_URL={realtime.url}")
        print(f"MASHUPS_VOICE_URL=http://127.0.0.1:{voice.server_address[1]}")
        print(f"SUPABASE_ANON_KEY={ANON_KEY}")
        if billing is not None:
            print(f"MASHUPS_BILLING_URL={billing.url}")
            print(f"# billing in test mode: Checkout and the portal are pages of {billing.stripe.url}")
        print(f"# service role key (backend tools only, never the app): {SERVICE_KEY}")
        print(f"# database: psql \"{server.dsn(db)}\"", flush=True)
        print("local backend running; Ctrl-C stops it and deletes everything", file=sys.stderr, flush=True)
        try:
            while not stop.wait(0.5):
                pass
        finally:
            if billing is not None:
                billing.close()
            voice.shutdown()
            realtime.stop()
            gw.stop()
    print("local backend stopped", file=sys.stderr)
    return 0


def _start_voice(dsn: str) -> Any:
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from backend.voice.daily import DailyClient
    from backend.voice.service import VoiceService, make_app

    class Quiet(WSGIRequestHandler):
        def log_message(self, *_a: Any) -> None:
            pass

    key = os.environ.get("DAILY_API_KEY", "")
    daily = DailyClient(key, base=os.environ.get("DAILY_API_URL", "https://api.daily.co/v1")) if key else None
    srv = make_server("127.0.0.1", 0, make_app(VoiceService(dsn, daily, jwt_secret=JWT_SECRET)),
                      handler_class=Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


if __name__ == "__main__":
    sys.exit(main())
