"""Voice rooms for a project's live session: the caller (a Supabase access
token) must be the project's owner or an active collaborator (asked of
PostgreSQL as that user, like every other access check); one live Daily room
per project with an expiry, stored in ``public.voice_rooms``; a meeting token
per participant (owner = room owner). Without ``DAILY_API_KEY`` voice is off
and says why.

WSGI: ``GET /voice/status`` -> ``{"enabled", "reason"?}``;
``POST /voice/join {"project_id"}`` (Authorization: Bearer <access token>) ->
``{"url", "room", "expires_at"}`` (the url carries the meeting token: open it
in the browser)."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import jwt
import psycopg

from .daily import DailyClient, DailyError

ROOM_HOURS = 4
MAX_PARTICIPANTS = 21  # the largest plan's collaborators + the owner
NO_KEY = "Voice rooms are not set up on this server (DAILY_API_KEY is not configured)."

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class VoiceError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class VoiceService:
    def __init__(self, dsn: str, daily: DailyClient | None, *, jwt_secret: str) -> None:
        self.dsn = dsn
        self.daily = daily
        self.jwt_secret = jwt_secret

    def status(self) -> dict[str, Any]:
        return {"enabled": True} if self.daily is not None else {"enabled": False, "reason": NO_KEY}

    def _user(self, authorization: str | None) -> dict[str, Any]:
        token = (authorization or "")[7:] if (authorization or "").lower().startswith("bearer ") else ""
        try:
            claims: dict[str, Any] = jwt.decode(token, self.jwt_secret, algorithms=["HS256"],
                                                audience="authenticated")
        except jwt.PyJWTError:
            raise VoiceError(401, "sign in first") from None
        if claims.get("role") != "authenticated" or not claims.get("sub"):
            raise VoiceError(401, "sign in first")
        return claims

    def join(self, authorization: str | None, project_id: str) -> dict[str, Any]:
        if self.daily is None:
            raise VoiceError(503, NO_KEY)
        claims = self._user(authorization)
        try:
            project = str(uuid.UUID(project_id))
        except (ValueError, TypeError):
            raise VoiceError(400, "project_id must be a project id") from None
        uid = str(claims["sub"])
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            with conn.transaction():
                conn.execute("set local role authenticated")
                conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
                row = conn.execute("select public.collab_channel_access(%s::uuid)", (project,)).fetchone()
            role = row[0] if row else None
            if role is None:
                raise VoiceError(403, "only the project's owner and collaborators can talk in its session")
            room = self._room(conn, project, uid)
        exp = int(room["expires_at"].timestamp())
        name = str(claims.get("email") or uid)[:80]
        token = self.daily.meeting_token(room["daily_name"], user_id=uid, user_name=name, exp=exp,
                                         is_owner=role == "owner")
        return {"url": f"{room['url']}?t={token}", "room": room["daily_name"],
                "expires_at": room["expires_at"].isoformat()}

    def _room(self, conn: psycopg.Connection[Any], project: str, uid: str) -> dict[str, Any]:
        assert self.daily is not None
        conn.execute("update public.voice_rooms set is_live = false where project_id = %s and is_live "
                     "and expires_at < now() + interval '10 minutes'", (project,))
        found = conn.execute("select daily_name, url, expires_at from public.voice_rooms where project_id = %s "
                             "and is_live", (project,)).fetchone()
        if found is not None:
            return {"daily_name": found[0], "url": found[1], "expires_at": found[2]}
        exp = int(time.time()) + ROOM_HOURS * 3600
        name = f"ms-{project.replace('-', '')[:12]}-{secrets.token_hex(4)}"
        created = self.daily.create_room(name, exp=exp, max_participants=MAX_PARTICIPANTS)
        expires = datetime.fromtimestamp(exp, UTC)
        title = conn.execute("select left('Talk: ' || title, 120) from public.projects where id = %s",
                             (project,)).fetchone()
        try:
            conn.execute("insert into public.voice_rooms (host_id, title, project_id, daily_name, url, expires_at) "
                         "values (%s, %s, %s, %s, %s, %s)",
                         (uid, title[0] if title else "Talk", project, created["name"], created["url"], expires))
        except psycopg.errors.UniqueViolation:  # another participant created it at the same moment
            again = conn.execute("select daily_name, url, expires_at from public.voice_rooms where project_id = %s "
                                 "and is_live", (project,)).fetchone()
            assert again is not None
            return {"daily_name": again[0], "url": again[1], "expires_at": again[2]}
        return {"daily_name": created["name"], "url": created["url"], "expires_at": expires}


def make_app(service: VoiceService) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def reply(status: int, body: dict[str, Any]) -> list[bytes]:
            data = json.dumps(body).encode()
            start_response(f"{status} {'OK' if status == 200 else 'Error'}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                            ("Cache-Control", "no-store")])
            return [data]

        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if method == "GET" and path == "/voice/status":
            return reply(200, service.status())
        if method != "POST" or path != "/voice/join":
            return reply(404, {"error": "not found"})
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), 4096)
            req = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if not isinstance(req, dict):
                raise ValueError
        except ValueError:
            return reply(400, {"error": "expected a JSON object"})
        try:
            return reply(200, service.join(environ.get("HTTP_AUTHORIZATION"), str(req.get("project_id", ""))))
        except VoiceError as exc:
            return reply(exc.status, {"error": exc.message})
        except DailyError as exc:
            return reply(exc.status, {"error": exc.message})

    return app
