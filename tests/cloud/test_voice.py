"""Issue 15 "Talk": the voice service over real HTTP (wsgiref on 127.0.0.1),
real PostgreSQL with the migrations, and a local HTTP server standing in for
api.daily.co that checks the documented request shapes (Bearer key, JSON
bodies of POST /v1/rooms and POST /v1/meeting-tokens) and answers like Daily.
The desktop side is sync.voice.VoiceClient."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jwt
import pytest

from backend.devserver.gateway import JWT_SECRET
from backend.voice.daily import DailyClient
from backend.voice.service import NO_KEY, VoiceService, make_app
from sync.errors import SyncError
from sync.voice import VoiceClient

from .conftest import Db

KEY = "daily-test-key-123"


class FakeDaily:
    """api.daily.co/v1 as documented: rooms and meeting tokens."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail = 0
        fake = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *_a: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                assert self.headers["Authorization"] == f"Bearer {KEY}"
                assert self.headers["Content-Type"] == "application/json"
                fake.requests.append((self.path, body))
                if fake.fail:
                    fake.fail -= 1
                    self._send(500, {"error": "server-error", "info": "try later"})
                elif self.path == "/v1/rooms":
                    assert set(body) == {"name", "privacy", "properties"} and body["privacy"] == "private"
                    assert body["properties"]["exp"] > time.time() and body["properties"]["eject_at_room_exp"]
                    self._send(200, {"id": str(uuid.uuid4()), "name": body["name"], "api_created": True,
                                     "privacy": "private", "url": f"https://mashups.daily.co/{body['name']}",
                                     "created_at": "2026-11-29T07:00:00.000Z", "config": body["properties"]})
                elif self.path == "/v1/meeting-tokens":
                    p = body["properties"]
                    assert set(p) == {"room_name", "user_id", "user_name", "exp", "is_owner"}
                    self._send(200, {"token": f"tok.{p['room_name']}.{p['user_id'][:8]}.{int(p['is_owner'])}"})
                else:
                    self._send(404, {"error": "not-found"})

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


class Quiet(WSGIRequestHandler):
    def log_message(self, *_a: Any) -> None:
        pass


def serve(service: VoiceService) -> Any:
    srv = make_server("127.0.0.1", 0, make_app(service), handler_class=Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture
def daily() -> Iterator[FakeDaily]:
    d = FakeDaily()
    yield d
    d.server.shutdown()


def token(uid: str) -> str:
    return jwt.encode({"sub": uid, "role": "authenticated", "aud": "authenticated", "email": f"{uid[:6]}@x.test",
                       "exp": int(time.time()) + 600}, JWT_SECRET, algorithm="HS256")


def shared_project(db: Db) -> tuple[str, str, str, str]:
    owner, editor, stranger = db.create_user(), db.create_user(), db.create_user()
    project = str(uuid.uuid4())
    with db.connect(autocommit=True) as conn:
        conn.execute("insert into public.projects (id, owner_id, title) values (%s, %s, 'Jam')", (project, owner))
        sid = conn.execute("insert into public.collaboration_sessions (project_id, host_id) values (%s, %s) "
                           "returning id", (project, owner)).fetchone()
        assert sid is not None
        conn.execute("insert into public.collaboration_participants (session_id, user_id, role) values (%s, %s, "
                     "'editor')", (sid["id"], editor))
    return project, owner, editor, stranger


def test_talk_is_off_with_the_reason_without_a_key(db: Db) -> None:
    srv = serve(VoiceService(db.dsn, None, jwt_secret=JWT_SECRET))
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        project, owner, _, _ = shared_project(db)
        client = VoiceClient(url, lambda: token(owner))
        assert client.unavailable_reason() == NO_KEY
        with pytest.raises(SyncError, match="DAILY_API_KEY"):
            client.join(project)
    finally:
        srv.shutdown()


def test_one_room_per_project_a_token_each_and_only_for_collaborators(db: Db, daily: FakeDaily) -> None:
    srv = serve(VoiceService(db.dsn, DailyClient(KEY, base=daily.url), jwt_secret=JWT_SECRET))
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        project, owner, editor, stranger = shared_project(db)
        assert VoiceClient(url, lambda: token(owner)).unavailable_reason() is None
        first = VoiceClient(url, lambda: token(owner)).join(project)
        second = VoiceClient(url, lambda: token(editor)).join(project)
        [(path, room)] = [r for r in daily.requests if r[0] == "/v1/rooms"]
        name = room["name"]
        assert first == f"https://mashups.daily.co/{name}?t=tok.{name}.{owner[:8]}.1"  # the owner owns the room
        assert second == f"https://mashups.daily.co/{name}?t=tok.{name}.{editor[:8]}.0"
        with db.connect() as conn:
            row = conn.execute("select url, is_live, expires_at > now() + interval '3 hours' as long_enough, title "
                               "from public.voice_rooms where project_id = %s", (project,)).fetchone()
        assert row == {"url": f"https://mashups.daily.co/{name}", "is_live": True, "long_enough": True,
                       "title": "Talk: Jam"}
        n = len(daily.requests)
        with pytest.raises(SyncError, match="only the project's owner and collaborators"):
            VoiceClient(url, lambda: token(stranger)).join(project)
        with pytest.raises(SyncError, match="sign in"):
            VoiceClient(url, lambda: "not-a-token").join(project)
        assert len(daily.requests) == n  # refused before Daily is asked
        # the room URL is readable only by the project's people
        with db.connect() as conn, conn.transaction():
            conn.execute("set local role authenticated")
            conn.execute("select set_config('request.jwt.claims', %s, true)",
                         (json.dumps({"sub": stranger, "role": "authenticated"}),))
            assert conn.execute("select count(*) as n from public.voice_rooms where project_id = %s",
                                (project,)).fetchone() == {"n": 0}
        # Daily failing: a clear error, nothing stored
        other, o2, _, _ = shared_project(db)
        daily.fail = 1
        with pytest.raises(SyncError, match=r"Daily refused /rooms \(HTTP 500\): try later"):
            VoiceClient(url, lambda: token(o2)).join(other)
        with db.connect() as conn:
            assert conn.execute("select count(*) as n from public.voice_rooms where project_id = %s",
                                (other,)).fetchone() == {"n": 0}
    finally:
        srv.shutdown()
