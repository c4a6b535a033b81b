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

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg

from backend.serve import serve

from .daily import DailyClient
from .service import VoiceService, make_app

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication


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


def start() -> tuple[VoiceConfig, WSGIApplication]:
    config = VoiceConfig.from_env()
    service = build(config)
    if service.daily is None:
        print("note: DAILY_API_KEY is not set: Talk answers that voice rooms are off", file=sys.stderr)
    return config, make_app(service)


def main(argv: Sequence[str] | None = None) -> int:
    return serve(argv, name="voice", description=__doc__, default_port=8788, start=start, config_error=ConfigError,
                 max_request_body_size=4096, raw_description=True)


if __name__ == "__main__":
    sys.exit(main())
