"""``python -m backend.devserver`` (what ``scripts/local-backend.sh`` runs):
a throwaway PostgreSQL + bootstrap + migrations + the Supabase-compatible
gateway on 127.0.0.1. Prints ``SUPABASE_URL=...`` and ``SUPABASE_ANON_KEY=...``
and runs until Ctrl-C; then everything (database, stored objects) is gone."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from backend.devserver.gateway import ANON_KEY, SERVICE_KEY, Gateway
from backend.devserver.pg import create_database, throwaway_cluster


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="local-backend", description=__doc__)
    ap.add_argument("--port", type=int, default=54321, help="gateway port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--access-ttl", type=int, default=3600, help="lifetime of access tokens in seconds")
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
        print(f"SUPABASE_URL={gw.url}")
        print(f"SUPABASE_ANON_KEY={ANON_KEY}")
        print(f"# service role key (backend tools only, never the app): {SERVICE_KEY}")
        print(f"# database: psql \"{server.dsn(db)}\"", flush=True)
        print("local backend running; Ctrl-C stops it and deletes everything", file=sys.stderr, flush=True)
        try:
            while not stop.wait(0.5):
                pass
        finally:
            gw.stop()
    print("local backend stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
