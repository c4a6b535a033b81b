"""The launcher the backend's WSGI services share (``python -m backend.billing``,
``python -m backend.voice``): ``--host``/``--port`` over the environment's
values, logging, a clear exit on bad configuration (2) or a service that
cannot start (1), then waitress (a production WSGI server, pure Python)
announcing ``<NAME>_URL=http://host:port`` on stdout once listening."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication


class Listen(Protocol):
    """Where a service's configuration says it listens."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def threads(self) -> int: ...


def serve(
    argv: Sequence[str] | None,
    *,
    name: str,
    description: str | None,
    default_port: int,
    start: Callable[[], tuple[Listen, WSGIApplication]],
    config_error: type[Exception],
    max_request_body_size: int,
    raw_description: bool = False,
) -> int:
    """Run the service ``name`` ("billing", "voice") until interrupted.

    ``start`` reads the configuration and builds the app (raising
    ``config_error`` for an unusable environment, anything else when the
    service cannot start); it may print notes on stderr."""
    extra: dict[str, Any] = {"formatter_class": argparse.RawDescriptionHelpFormatter} if raw_description else {}
    ap = argparse.ArgumentParser(prog=f"python -m backend.{name}", description=description, **extra)
    ap.add_argument("--host", help="listen address (default $HOST or 0.0.0.0)")
    ap.add_argument("--port", type=int, help=f"listen port (default $PORT or {default_port}; 0: any free port)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config, app = start()
    except config_error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # database unreachable, bad DATABASE_URL, no migrations, ...
        print(f"error: cannot start the {name} service: {exc}", file=sys.stderr)
        return 1
    from waitress import create_server

    server = create_server(app, host=args.host or config.host, port=config.port if args.port is None else args.port,
                           threads=config.threads, ident=f"mashups-{name}",
                           max_request_body_size=max_request_body_size)
    addr = server.effective_host, server.effective_port  # type: ignore[union-attr]
    print(f"{name.upper()}_URL=http://{addr[0]}:{addr[1]}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
