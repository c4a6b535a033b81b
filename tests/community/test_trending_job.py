"""``python -m backend.jobs trending`` in a real subprocess against the
migrated database, with the Spotify and YouTube clients talking real HTTP to
a local server that answers with recorded responses (the documented shapes
of the Client Credentials token, playlist tracks and videos.list) and checks
what the real APIs check: Basic client credentials, the Bearer token, the key."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.cloud.conftest import Db

ROOT = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).parent / "recorded"
ID, SECRET, KEY = "client-id-1", "client-secret-1", "yt-key-1"


class Recorded(BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, status: int, name: str | None = None) -> None:
        body = (RECORDED / name).read_bytes() if name else b'{"error": {"status": %d}}' % status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.requests.append(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        basic = "Basic " + base64.b64encode(f"{ID}:{SECRET}".encode()).decode()
        if self.path == "/api/token" and body == "grant_type=client_credentials" \
                and self.headers.get("Authorization") == basic:
            self._send(200, "spotify_token.json")
        else:
            self._send(400)

    def do_GET(self) -> None:  # noqa: N802
        self.requests.append(self.path)
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/v1/playlists/top50/tracks":
            ok = self.headers.get("Authorization") == "Bearer BQDxK3recordedtokenvalue"
            self._send(200, "spotify_playlist_tracks.json") if ok else self._send(401)
        elif u.path == "/youtube/v3/videos" and q.get("chart") == ["mostPopular"] and q.get("videoCategoryId") == ["10"]:
            self._send(200, "youtube_videos.json") if q.get("key") == [KEY] else self._send(403)
        else:
            self._send(404)


@pytest.fixture
def api() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Recorded)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def job(db: Db, **env: str) -> tuple[int, dict[str, Any]]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "YOUTUBE_"))}
    p = subprocess.run([sys.executable, "-m", "backend.jobs", "trending"], cwd=ROOT, capture_output=True, text=True,
                       env={**e, "DATABASE_URL": db.dsn, **env}, timeout=60)
    return p.returncode, json.loads(p.stdout)


def charts(db: Db) -> list[tuple[str, int, str, str]]:
    with db.connect() as conn:
        return [(r["source"], r["rank"], r["title"], r["artist"]) for r in conn.execute(
            "select source, rank, title, artist from public.external_trending order by source, rank").fetchall()]


def test_trending_job_with_and_without_keys(fresh_db: Db, api: str) -> None:
    rc, rep = job(fresh_db)
    assert rc == 0 and rep["spotify"].startswith("disabled") and rep["youtube"].startswith("disabled")
    assert charts(fresh_db) == []

    keys = {"SPOTIFY_CLIENT_ID": ID, "SPOTIFY_CLIENT_SECRET": SECRET, "SPOTIFY_PLAYLIST_ID": "top50",
            "SPOTIFY_API_URL": f"{api}/v1", "SPOTIFY_TOKEN_URL": f"{api}/api/token",
            "YOUTUBE_API_KEY": KEY, "YOUTUBE_API_URL": f"{api}/youtube/v3"}
    rc, rep = job(fresh_db, **keys)
    assert rc == 0 and (rep["spotify"], rep["youtube"]) == (3, 3)
    got = charts(fresh_db)
    assert got[:3] == [("spotify", 1, "Espresso", "Sabrina Carpenter"),
                       ("spotify", 2, "Die With A Smile", "Lady Gaga, Bruno Mars"),
                       ("spotify", 3, "APT.", "ROSÉ, Bruno Mars")]  # the removed track is skipped
    assert got[5] == ("youtube", 3, "Espresso", "Sabrina Carpenter")  # " - Topic" channels name the artist

    # wrong credentials: a clear error, exit 1, the last good chart stays
    rc, rep = job(fresh_db, **{**keys, "SPOTIFY_CLIENT_SECRET": "wrong", "YOUTUBE_API_KEY": "wrong"})
    assert rc == 1 and rep["spotify"].startswith("error") and "400" in rep["spotify"] and "403" in rep["youtube"]
    assert charts(fresh_db) == got
