"""AcoustID "Identify": the request the studio sends and the parsing of the
answers, against a real HTTP server on 127.0.0.1 serving AcoustID-format
responses (tests/credits/data/acoustid_*.json, written after the documented
/v2/lookup format: no internet here to record the live service)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from audio_engine.credits_identify import IdentifyError, Match, client_key, lookup

DATA = Path(__file__).with_name("data")


class Api:
    def __init__(self) -> None:
        self.answer = "acoustid_ok.json"
        self.status = 200
        self.requests: list[dict[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length", "0"))
                api.requests.append(dict(urllib.parse.parse_qsl(self.rfile.read(n).decode())))
                body = (DATA / api.answer).read_bytes() if api.answer else b"<html>oops</html>"
                self.send_response(api.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v2/lookup"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def api() -> Iterator[Api]:
    a = Api()
    yield a
    a.httpd.shutdown()
    a.httpd.server_close()


def test_lookup_sends_the_fingerprint_and_parses_matches(api: Api) -> None:
    got = lookup("AQAAfp", 29.6, "build-key", url=api.url)
    (req,) = api.requests
    assert req == {"client": "build-key", "meta": "recordings releasegroups", "format": "json", "duration": "30",
                   "fingerprint": "AQAAfp"}
    # best first; recordings without metadata skipped; the same title/artist once; the album preferred
    assert got == [Match(0.9421, "9ff43b6a-4f16-427c-93c2-92307ca505e0", "cd2e7c47-16f5-46c6-a37c-a1eb7bf599ff",
                         "Night Drive", "Band A & Singer B", "Roads"),
                   Match(0.51, "1c2d3e4f-0000-0000-0000-000000000002", "r3", "Night Drive (live)", "Band A", "")]
    assert got[0].label() == "Band A & Singer B - Night Drive (Roads) · 94%"


def test_errors_are_explained(api: Api) -> None:
    api.answer, api.status = "acoustid_error.json", 400
    with pytest.raises(IdentifyError, match=r"refused the lookup: invalid API key \(code 4\)"):
        lookup("AQAAfp", 30, "bad", url=api.url)
    api.answer, api.status = "acoustid_none.json", 200
    assert lookup("AQAAfp", 30, "k", url=api.url) == []
    api.answer, api.status = "", 502
    with pytest.raises(IdentifyError, match="not JSON"):
        lookup("AQAAfp", 30, "k", url=api.url)
    with pytest.raises(IdentifyError, match="no fingerprint yet"):
        lookup("", 30, "k", url=api.url)
    with pytest.raises(IdentifyError, match="could not be reached"):
        lookup("AQAAfp", 30, "k", url="http://127.0.0.1:9/v2/lookup", timeout=2)


def test_client_key_from_build_config(tmp_path: Path) -> None:
    assert client_key(env={}) is None  # no key: the Identify action is hidden
    cfg = tmp_path / "cloud.json"
    cfg.write_text(json.dumps({"acoustid_client_key": " abc123 "}))
    assert client_key(env={}, bundled=cfg) == "abc123"
    assert client_key(env={"MASHUPS_ACOUSTID_KEY": "envkey"}, bundled=cfg) == "envkey"
    cfg.write_text("{not json")
    assert client_key(env={}, bundled=cfg) is None
