"""``python -m backend.voice``: the voice-room service of live sessions
("Talk", issue 15) under waitress, configured from the environment:

=========================  ===================================================
``DATABASE_URL``           Postgres connection with the migrations applied
                           (the service asks ``collab_channel_access`` as the
                           caller and writes ``public.voice_rooms``)
``SUPABASE_JWT_SECRET``    verifies the users' Supabase access tokens (HS256)
``DAILY_API_KEY``          the Daily.co REST key; without it the service still
                           runs and ``/voice/status`` says why Talk is off
``DAILY_API_URL``          optional: another Daily API address (tests)
``HOST`` / ``PORT``        where the server listens (``0.0.0.0`` / ``8788``)
``THREADS``                worker threads of the WSGI server (4)
=========================  ===================================================

Prints ``VOICE_URL=http://host:port`` once listening. Exits 2 with the names
of what is missing when the configuration is incomplete, 1 when the
database is unreachable or has no migrations."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psycopg

from .daily import DailyClient
from .service import VoiceService, make_app


class ConfigError(ValueError):
    """The environment does not describe a usable voice service."""


@dataclass(frozen=True)
class VoiceConfig:
    database_url: str
    jwt_secret: str
    daily_api_key: str = ""
    daily_api_url: str = "https://api.daily.co/v1"
    host: str = "0.0.0.0"
    port: int = 8788
    threads: int = 4

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> VoiceConfig:
        env = os.environ if env is None else env
        missing = [n for n in ("DATABASE_URL", "SUPABASE_JWT_SECRET") if not env.get(n, "").strip()]
        if missing:
            raise ConfigError(f"voice service: set {', '.join(missing)} (see backend/README.md)")
        try:
            port, threads = int(env.get("PORT", "8788")), int(env.get("THREADS", "4"))
        except ValueError as exc:
            raise ConfigError(f"PORT and THREADS must be integers: {exc}") from exc
        if not 0 <= port <= 65535 or not 1 <= threads <= 64:
            raise ConfigError("PORT must be 0-65535 and THREADS 1-64")
        url = env.get("DAILY_API_URL", "").strip() or "https://api.daily.co/v1"
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError("DAILY_API_URL must be https (plain http only on this machine, for tests)")
        return cls(database_url=env["DATABASE_URL"].strip(), jwt_secret=env["SUPABASE_JWT_SECRET"].strip(),
                   daily_api_key=env.get("DAILY_API_KEY", "").strip(), daily_api_url=url,
                   host=env.get("HOST", "0.0.0.0"), port=port, threads=threads)


def build(config: VoiceConfig) -> VoiceService:
    """The service, after checking that the database answers and has the collaboration migrations."""
    with psycopg.connect(config.database_url, connect_timeout=10) as conn:
        row = conn.execute("select to_regprocedure('public.collab_channel_access(uuid)') is not null "
                           "and to_regclass('public.voice_rooms') is not null").fetchone()
    if not row or not row[0]:
        raise RuntimeError("the database has no collaboration migrations (collab_channel_access, voice_rooms)")
    daily = DailyClient(config.daily_api_key, base=config.daily_api_url) if config.daily_api_key else None
    return VoiceService(config.database_url, daily, jwt_secret=config.jwt_secret)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m backend.voice", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", help="listen address (default $HOST or 0.0.0.0)")
    ap.add_argument("--port", type=int, help="listen port (default $PORT or 8788; 0: any free port)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = VoiceConfig.from_env()
        service = build(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # database unreachable, bad DATABASE_URL, no migrations
        print(f"error: cannot start the voice service: {exc}", file=sys.stderr)
        return 1
    if service.daily is None:
        print("note: DAILY_API_KEY is not set: Talk answers that voice rooms are off", file=sys.stderr)
    from waitress import create_server

    server = create_server(make_app(service), host=args.host or config.host,
                           port=config.port if args.port is None else args.port, threads=config.threads,
                           ident="mashups-voice", max_request_body_size=4096)
    addr = server.effective_host, server.effective_port  # type: ignore[union-attr]
    print(f"VOICE_URL=http://{addr[0]}:{addr[1]}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
