"""Development/test HTTP gateway that speaks the few Supabase endpoints the
desktop client uses, over a real PostgreSQL with the migrations. Never shipped
(started by scripts/local-backend.sh and by the cloud tests).

* GoTrue:   POST /auth/v1/signup, POST /auth/v1/token?grant_type=password|refresh_token|pkce,
            GET /auth/v1/user, POST /auth/v1/logout, GET /auth/v1/authorize (a provider that
            consents at once and redirects to redirect_to?code=...)
* PostgREST: POST /rest/v1/rpc/<fn> (named JSON arguments; run as the JWT's role with
            request.jwt.claims set, exactly as PostgREST does; errors as PostgREST's JSON)
* Storage:  POST/PUT/GET/HEAD/DELETE /storage/v1/object/<bucket>/<path> and
            GET /storage/v1/object/info/<bucket>/<path>, with every access
            checked through the real storage.objects rows and their RLS policies; the bytes
            themselves are kept in memory.

JWTs are HS256 with a test secret. Fault injection: ``fail_next`` (HTTP 5xx),
``drop_after_commit`` (the server commits, the reply is lost), ``stop``/``start``
(network loss), ``access_ttl`` (short-lived tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import jwt
import psycopg
from psycopg.types.json import Jsonb

JWT_SECRET = "test-jwt-secret-that-is-at-least-32-characters-long"
ANON_KEY = jwt.encode({"role": "anon", "iss": "supabase-test", "iat": 0}, JWT_SECRET, algorithm="HS256")
SERVICE_KEY = jwt.encode({"role": "service_role", "iss": "supabase-test", "iat": 0}, JWT_SECRET, algorithm="HS256")

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000)
    return base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def _check_password(password: str, stored: str | None) -> bool:
    if not stored or "$" not in stored:
        return False
    salt = base64.b64decode(stored.split("$", 1)[0])
    return hmac.compare_digest(_hash_password(password, salt), stored)


class _Drop(Exception):
    """Close the connection without any reply."""


@dataclass
class Fault:
    remaining: int
    status: int
    prefix: str


@dataclass
class Gateway:
    dsn: str
    access_ttl: int = 3600
    host: str = "127.0.0.1"
    port: int = 0
    faults: list[Fault] = field(default_factory=list)
    drops: dict[str, int] = field(default_factory=dict)
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[str, bool]] = field(default_factory=dict)
    auth_codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)  # access tokens to answer "JWT expired"
    conns: set[socket.socket] = field(default_factory=set)
    deny_oauth: bool = False
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        gw = self

        class Handler(_Handler):
            gateway = gw

        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Network loss: stop listening and cut every open keep-alive connection."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            conns, self.conns = set(self.conns), set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ------------------------------------------------------------ fault injection
    def fail_next(self, n: int, status: int = 503, prefix: str = "/rest/") -> None:
        with self._lock:
            self.faults.append(Fault(n, status, prefix))

    def drop_after_commit(self, fn: str, n: int = 1) -> None:
        with self._lock:
            self.drops[fn] = n

    def _take_fault(self, path: str) -> int | None:
        with self._lock:
            for f in self.faults:
                if f.remaining > 0 and path.startswith(f.prefix):
                    f.remaining -= 1
                    return f.status
        return None

    def _take_drop(self, fn: str) -> bool:
        with self._lock:
            if self.drops.get(fn, 0) > 0:
                self.drops[fn] -= 1
                return True
        return False

    # ------------------------------------------------------------ tokens
    def issue_session(self, conn: psycopg.Connection[Any], uid: str) -> dict[str, Any]:
        user = self.user_json(conn, uid)
        now = int(time.time())
        access = jwt.encode(
            {"sub": uid, "role": "authenticated", "aud": "authenticated", "email": user["email"],
             "iat": now, "exp": now + self.access_ttl, "session_id": str(uuid.uuid4())},
            JWT_SECRET, algorithm="HS256")
        refresh = secrets.token_urlsafe(24)
        with self._lock:
            self.refresh_tokens[refresh] = (uid, False)
        return {"access_token": access, "token_type": "bearer", "expires_in": self.access_ttl,
                "expires_at": now + self.access_ttl, "refresh_token": refresh, "user": user}

    def user_json(self, conn: psycopg.Connection[Any], uid: str) -> dict[str, Any]:
        row = conn.execute("select id, email, created_at, raw_app_meta_data, raw_user_meta_data from auth.users "
                           "where id = %s", (uid,)).fetchone()
        if row is None:
            raise KeyError(uid)
        return {"id": str(row[0]), "aud": "authenticated", "role": "authenticated", "email": row[1],
                "created_at": row[2].isoformat(), "app_metadata": row[3], "user_metadata": row[4],
                "email_confirmed_at": row[2].isoformat()}


class _Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def setup(self) -> None:
        super().setup()
        with self.gateway._lock:
            self.gateway.conns.add(self.connection)

    def finish(self) -> None:
        with self.gateway._lock:
            self.gateway.conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    # ------------------------------------------------------------ plumbing
    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None) -> None:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body, default=str).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if raw is None else "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.gateway.calls.append((self.command, self.path, status))

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.gateway.calls.append((self.command, self.path, 0))

    def _claims(self) -> tuple[str, dict[str, Any]] | None:
        """(role, claims) from the Authorization header; None after replying 401."""
        if self.headers.get("apikey") not in (ANON_KEY, SERVICE_KEY):
            self._send(401, {"message": "Invalid API key"})
            return None
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else self.headers.get("apikey", "")
        try:
            if token in self.gateway.expired:
                raise jwt.ExpiredSignatureError("expired by the test")
            claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], options={"verify_aud": False})
        except jwt.ExpiredSignatureError:
            self._send(401, {"code": "PGRST303", "message": "JWT expired", "details": None, "hint": None})
            return None
        except jwt.PyJWTError:
            self._send(401, {"code": "PGRST301", "message": "JWT invalid", "details": None, "hint": None})
            return None
        role = claims.get("role")
        if role not in ("anon", "authenticated", "service_role"):
            self._send(401, {"code": "PGRST301", "message": "bad role"})
            return None
        return role, claims

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        status = self.gateway._take_fault(path)
        if status is not None:
            self._body()
            self._send(status, {"message": "injected failure"})
            return
        try:
            if path.startswith("/auth/v1/"):
                self._auth(path[len("/auth/v1/"):])
            elif path.startswith("/rest/v1/rpc/"):
                self._rpc(path[len("/rest/v1/rpc/"):])
            elif path.startswith("/storage/v1/object/"):
                self._storage(unquote(path[len("/storage/v1/object/"):]))
            else:
                self._send(404, {"message": "not found"})
        except _Drop:
            self._drop()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch  # noqa: N815

    def _db(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.gateway.dsn)

    # ------------------------------------------------------------ GoTrue
    def _auth_error(self, status: int, code: str, msg: str) -> None:
        self._send(status, {"code": status, "error_code": code, "msg": msg})

    def _auth(self, route: str) -> None:
        gw = self.gateway
        query = parse_qs(urlsplit(self.path).query)
        if route != "authorize" and self.headers.get("apikey") not in (ANON_KEY, SERVICE_KEY):
            self._send(401, {"message": "Invalid API key"})  # the browser's GET /authorize carries none
            return
        raw = self._body()
        body = json.loads(raw) if raw else {}
        with self._db() as conn:
            if route == "signup" and self.command == "POST":
                email, password = body.get("email"), body.get("password")
                if not email or not password or len(password) < 6:
                    self._auth_error(422, "weak_password", "Password should be at least 6 characters")
                    return
                try:
                    row = conn.execute(
                        "insert into auth.users (email, encrypted_password, raw_user_meta_data) values (%s, %s, %s) "
                        "returning id", (email, _hash_password(password), Jsonb(body.get("data") or {}))).fetchone()
                except psycopg.errors.UniqueViolation:
                    self._auth_error(422, "user_already_exists", "User already registered")
                    return
                assert row is not None
                conn.commit()
                self._send(200, gw.issue_session(conn, str(row[0])))
            elif route == "token" and self.command == "POST":
                grant = (query.get("grant_type") or [""])[0]
                if grant == "password":
                    row = conn.execute("select id, encrypted_password from auth.users where email = %s",
                                       (body.get("email"),)).fetchone()
                    if row is None or not _check_password(body.get("password") or "", row[1]):
                        self._auth_error(400, "invalid_credentials", "Invalid login credentials")
                        return
                    self._send(200, gw.issue_session(conn, str(row[0])))
                elif grant == "refresh_token":
                    token = body.get("refresh_token") or ""
                    with gw._lock:
                        entry = gw.refresh_tokens.get(token)
                        if entry is not None and not entry[1]:
                            gw.refresh_tokens[token] = (entry[0], True)  # rotate: single use
                    if entry is None or entry[1]:
                        self._auth_error(400, "refresh_token_not_found", "Invalid Refresh Token")
                        return
                    self._send(200, gw.issue_session(conn, entry[0]))
                elif grant == "pkce":
                    with gw._lock:
                        entry2 = gw.auth_codes.pop(body.get("auth_code") or "", None)
                    verifier = body.get("code_verifier") or ""
                    if entry2 is None:
                        self._auth_error(400, "flow_state_not_found", "invalid flow state")
                        return
                    uid, challenge, method = entry2
                    got = (base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                           if method == "s256" else verifier)
                    if not hmac.compare_digest(got, challenge):
                        self._auth_error(400, "bad_code_verifier", "code challenge does not match")
                        return
                    self._send(200, gw.issue_session(conn, uid))
                else:
                    self._auth_error(400, "unsupported_grant_type", "unsupported grant")
            elif route == "user" and self.command == "GET":
                token = self.headers.get("Authorization", "")[7:]
                try:
                    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], options={"verify_aud": False})
                    self._send(200, gw.user_json(conn, claims["sub"]))
                except (jwt.PyJWTError, KeyError):
                    self._auth_error(403, "bad_jwt", "invalid JWT")
            elif route == "logout" and self.command == "POST":
                token = self.headers.get("Authorization", "")[7:]
                try:
                    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], options={"verify_aud": False})
                except jwt.PyJWTError:
                    self._auth_error(401, "bad_jwt", "invalid JWT")
                    return
                with gw._lock:
                    for t, (uid, _used) in list(gw.refresh_tokens.items()):
                        if uid == claims["sub"]:
                            gw.refresh_tokens[t] = (uid, True)
                self._send(204)
            elif route == "authorize" and self.command == "GET":
                provider = (query.get("provider") or [""])[0]
                redirect_to = (query.get("redirect_to") or [""])[0]
                challenge = (query.get("code_challenge") or [""])[0]
                method = (query.get("code_challenge_method") or ["plain"])[0]
                if not provider or not redirect_to.startswith("http://127.0.0.1:") or not challenge:
                    self._auth_error(400, "validation_failed", "bad authorize request")
                    return
                if gw.deny_oauth:  # the user refused consent at the provider
                    self._send(302, None, {"Location": redirect_to + "?" + urlencode(
                        {"error": "access_denied", "error_description": "The user denied access"})})
                    return
                email = f"{provider}-user@example.test"
                row = conn.execute("select id from auth.users where email = %s", (email,)).fetchone()
                if row is None:
                    row = conn.execute("insert into auth.users (email, raw_app_meta_data) values (%s, %s) "
                                       "returning id", (email, Jsonb({"provider": provider}))).fetchone()
                    conn.commit()
                assert row is not None
                code = secrets.token_urlsafe(16)
                with gw._lock:
                    gw.auth_codes[code] = (str(row[0]), challenge, method)
                self._send(302, None, {"Location": redirect_to + ("&" if "?" in redirect_to else "?")
                                       + urlencode({"code": code})})
            else:
                self._send(404, {"message": "not found"})

    # ------------------------------------------------------------ PostgREST rpc
    @staticmethod
    def _pg_error(exc: psycopg.Error, role: str) -> tuple[int, dict[str, Any]]:
        state = exc.sqlstate or ""
        diag = exc.diag
        body = {"code": state, "message": diag.message_primary or str(exc), "details": diag.message_detail,
                "hint": diag.message_hint}
        if state == "42501":
            return (401 if role == "anon" else 403), body
        if state == "42883":
            return 404, body
        if state in ("23505", "23503"):
            return 409, body
        if state == "P0001" or state[:2] in ("22", "23", "MS", "42"):
            return 400, body
        return 500, body  # PostgREST: 08*, 25*, 40*, 5*, P0 (other than P0001), XX* ... are 5xx

    def _rpc(self, fn: str) -> None:
        gw = self.gateway
        raw = self._body()
        auth = self._claims()
        if auth is None:
            return
        role, claims = auth
        if self.command != "POST" or not _NAME.match(fn):
            self._send(404, {"message": "not found"})
            return
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            self._send(400, {"code": "PGRST102", "message": "Invalid JSON"})
            return
        if not isinstance(args, dict) or not all(_NAME.match(k) for k in args):
            self._send(400, {"code": "PGRST102", "message": "arguments must be a JSON object"})
            return
        values = [Jsonb(v) if isinstance(v, dict | list) else (None if v is None else str(v)) for v in args.values()]
        call = f"public.{fn}(" + ", ".join(f"{k} := %s" for k in args) + ")"
        with self._db() as conn:
            retset = conn.execute("select bool_or(p.proretset), bool_and(p.provolatile in ('s', 'i')) "
                                  "from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                                  "where n.nspname = 'public' and p.proname = %s", (fn,)).fetchone()
            if retset is None or retset[0] is None:
                self._send(404, {"code": "PGRST202", "message": f"Could not find the function public.{fn}"})
                return
            try:
                with conn.transaction():
                    if retset[1]:  # like PostgREST: STABLE/IMMUTABLE functions run read-only
                        conn.execute("set transaction read only")
                    conn.execute(f"set local role {role}")
                    conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
                    conn.execute("set local statement_timeout = '30s'")
                    if retset[0]:
                        row = conn.execute(f"select coalesce(jsonb_agg(to_jsonb(r)), '[]') from {call} r",
                                           values).fetchone()
                    else:
                        row = conn.execute(f"select to_jsonb({call})", values).fetchone()
            except psycopg.Error as exc:
                status, body = self._pg_error(exc, role)
                self._send(status, body)
                return
        if gw._take_drop(fn):
            raise _Drop()
        self._send(200, row[0] if row else None)

    # ------------------------------------------------------------ Storage
    def _storage(self, rest: str) -> None:
        gw = self.gateway
        raw = self._body() if self.command in ("POST", "PUT") else b""
        auth = self._claims()
        if auth is None:
            return
        role, claims = auth
        info = rest.startswith("info/") and self.command == "GET"
        if info:
            rest = rest[len("info/"):]
        bucket, _, name = rest.partition("/")
        if not bucket or not name or ".." in name.split("/"):
            self._send(400, {"statusCode": "400", "error": "InvalidKey", "message": "bad object path"})
            return
        owner = claims.get("sub")
        with self._db() as conn:
            b = conn.execute("select file_size_limit from storage.buckets where id = %s", (bucket,)).fetchone()
            if b is None:
                self._send(404, {"statusCode": "404", "error": "Bucket not found", "message": "Bucket not found"})
                return
            try:
                with conn.transaction():
                    conn.execute(f"set local role {role}")
                    conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
                    if self.command in ("POST", "PUT"):
                        if b[0] is not None and len(raw) > b[0]:
                            self._send(413, {"statusCode": "413", "error": "Payload too large",
                                             "message": "The object exceeded the maximum allowed size"})
                            return
                        meta = Jsonb({"size": len(raw), "mimetype": self.headers.get("Content-Type"),
                                      "sha256": hashlib.sha256(raw).hexdigest()})
                        upsert = self.command == "PUT" or self.headers.get("x-upsert") == "true"
                        exists = conn.execute("select 1 from storage.objects where bucket_id = %s and name = %s",
                                              (bucket, name)).fetchone()
                        if exists and not upsert:
                            self._send(409, {"statusCode": "409", "error": "Duplicate",
                                             "message": "The resource already exists"})
                            return
                        if exists:
                            n = conn.execute("update storage.objects set metadata = %s, updated_at = now() "
                                             "where bucket_id = %s and name = %s", (meta, bucket, name)).rowcount
                            if n != 1:
                                raise psycopg.errors.InsufficientPrivilege("row-level security")
                        else:
                            conn.execute("insert into storage.objects (bucket_id, name, owner, owner_id, metadata) "
                                         "values (%s, %s, %s, %s, %s)", (bucket, name, owner, owner, meta))
                        with gw._lock:
                            gw.objects[(bucket, name)] = raw
                        self._send(200, {"Key": f"{bucket}/{name}", "Id": str(uuid.uuid4())})
                    elif self.command in ("GET", "HEAD"):
                        row = conn.execute("select id, metadata from storage.objects where bucket_id = %s and name = %s",
                                           (bucket, name)).fetchone()
                        data = gw.objects.get((bucket, name))
                        if row is None or data is None:
                            self._send(404, {"statusCode": "404", "error": "not_found", "message": "Object not found"})
                            return
                        if info:
                            self._send(200, {"id": str(row[0]), "name": name, "bucket_id": bucket,
                                             "size": len(data), "metadata": row[1]})
                            return
                        self._send(200, raw=data, headers={"ETag": '"' + hashlib.md5(data).hexdigest() + '"'})
                    elif self.command == "DELETE":
                        n = conn.execute("delete from storage.objects where bucket_id = %s and name = %s",
                                         (bucket, name)).rowcount
                        if n == 0:
                            self._send(404, {"statusCode": "404", "error": "not_found", "message": "Object not found"})
                            return
                        with gw._lock:
                            gw.objects.pop((bucket, name), None)
                        self._send(200, [{"name": name}])
            except psycopg.errors.InsufficientPrivilege:
                self._send(403, {"statusCode": "403", "error": "Unauthorized",
                                 "message": "new row violates row-level security policy"})
            except psycopg.Error as exc:  # like Storage: a database failure is a 500, never a dropped connection
                self._send(500, {"statusCode": "500", "error": "DatabaseError",
                                 "message": exc.diag.message_primary or str(exc)})


def object_url(base: str, bucket: str, name: str) -> str:
    return f"{base}/storage/v1/object/{bucket}/{quote(name)}"
