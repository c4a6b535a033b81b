"""Sign-up, sign-in (email/password and OAuth with PKCE through the system
browser and a loopback redirect), sign-out and session refresh, using
supabase-py's auth client (``supabase_auth``).

Only the refresh token (with the user id and e-mail) is persisted, in the OS
keychain through ``keyring``; the access token lives in memory. On start the
app is "signed in, offline" from the keychain entry alone; the first cloud
call refreshes the session.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, urlsplit

import httpx
from supabase_auth import SyncGoTrueClient
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError
from supabase_auth.types import Session

from .config import CloudConfig
from .errors import AuthFailedError, AuthRequiredError, OfflineError

# Windows' credential manager caps a secret at 2560 bytes, stored as UTF-16:
# keep the entry well below 1280 characters.
MAX_SECRET_CHARS = 1000
REFRESH_MARGIN_S = 30


@dataclass(frozen=True)
class StoredSession:
    user_id: str
    email: str | None
    refresh_token: str

    def dumps(self) -> str:
        text = json.dumps({"u": self.user_id, "e": self.email, "r": self.refresh_token}, separators=(",", ":"))
        if len(text) > MAX_SECRET_CHARS:
            raise ValueError("session secret too large for the OS keychain")
        return text

    @classmethod
    def loads(cls, text: str) -> StoredSession:
        d = json.loads(text)
        return cls(str(d["u"]), d.get("e"), str(d["r"]))


class TokenStore(Protocol):
    def load(self) -> StoredSession | None: ...

    def save(self, session: StoredSession) -> None: ...

    def clear(self) -> None: ...


class KeyringBackend(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


class KeyringTokenStore:
    """Refresh token in the OS keychain. ``backend`` defaults to the keyring
    module's configured backend (Windows Credential Manager, macOS Keychain,
    Secret Service). Where no keychain works (e.g. Linux without a Secret
    Service), the session is kept in memory only: sign-in still works, but is
    not remembered across starts (``persistent`` tells the UI)."""

    def __init__(self, config: CloudConfig, backend: KeyringBackend | None = None,
                 service: str = "mashups-studio") -> None:
        if backend is None:
            import keyring

            backend = cast(KeyringBackend, keyring.get_keyring())
        self._backend = backend
        self._service = service
        self._account = "session@" + (urlsplit(config.url).hostname or config.url)
        self._memory: StoredSession | None = None
        self.persistent = True

    def load(self) -> StoredSession | None:
        if not self.persistent:
            return self._memory
        try:
            raw = self._backend.get_password(self._service, self._account)
        except Exception:  # keyring.errors.KeyringError and backend-specific failures
            self.persistent = False
            return None
        if not raw:
            return None
        try:
            return StoredSession.loads(raw)
        except (ValueError, KeyError, TypeError):
            return None

    def save(self, session: StoredSession) -> None:
        text = session.dumps()
        self._memory = session
        if self.persistent:
            try:
                self._backend.set_password(self._service, self._account, text)
            except Exception:
                self.persistent = False

    def clear(self) -> None:
        self._memory = None
        if not self.persistent:
            return
        try:
            self._backend.delete_password(self._service, self._account)
        except Exception:  # keyring raises PasswordDeleteError when absent
            pass


class FileTokenStore:
    """The command line's fallback where no OS keychain works (a server, a
    container): the refresh token in a file readable only by its owner (like
    ``gh`` and ``gcloud`` do). The studio never uses it: there the session
    then lasts until the app quits."""

    persistent = True

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> StoredSession | None:
        try:
            return StoredSession.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, session: StoredSession) -> None:
        text = session.dumps()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class MemoryTokenStore:
    def __init__(self) -> None:
        self.value: StoredSession | None = None

    def load(self) -> StoredSession | None:
        return self.value

    def save(self, session: StoredSession) -> None:
        session.dumps()  # same size check as the keychain
        self.value = session

    def clear(self) -> None:
        self.value = None


class AuthSession:
    """The signed-in user's session. Implements ``TokenProvider`` for the transport."""

    def __init__(
        self,
        config: CloudConfig,
        store: TokenStore,
        http: httpx.Client,
        *,
        open_url: Callable[[str], object] = webbrowser.open,
    ) -> None:
        self.config = config
        self.store = store
        self.open_url = open_url
        self._lock = threading.RLock()
        self._session: Session | None = None
        self._stored = store.load()
        self.gotrue = SyncGoTrueClient(
            url=config.base + "/auth/v1",
            headers={"apikey": config.anon_key, "Authorization": f"Bearer {config.anon_key}"},
            auto_refresh_token=False,
            persist_session=False,
            http_client=http,
            flow_type="pkce",
        )

    # ------------------------------------------------------------ state
    @property
    def user_id(self) -> str | None:
        with self._lock:
            if self._session is not None:
                return self._session.user.id if self._session.user else None
            return self._stored.user_id if self._stored else None

    @property
    def email(self) -> str | None:
        with self._lock:
            if self._session is not None and self._session.user:
                return self._session.user.email
            return self._stored.email if self._stored else None

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    def _adopt(self, session: Session | None) -> None:
        if session is None:
            raise AuthFailedError("the server returned no session (is e-mail confirmation required?)")
        with self._lock:
            self._session = session
            user = session.user
            self._stored = StoredSession(user.id if user else "", user.email if user else None,
                                         session.refresh_token)
            self.store.save(self._stored)

    @staticmethod
    def _translate(exc: AuthError) -> Exception:
        detail: str = str(exc)
        out: Exception
        if isinstance(exc, AuthRetryableError):
            out = OfflineError(detail or "auth server unreachable")
        else:
            out = AuthFailedError(detail)
        return out

    # ------------------------------------------------------------ sign up / in / out
    def sign_up(self, email: str, password: str) -> str:
        try:
            res = self.gotrue.sign_up({"email": email, "password": password})
        except AuthError as exc:
            raise self._translate(exc) from exc
        self._adopt(res.session)
        return str(self.user_id)

    def sign_in(self, email: str, password: str) -> str:
        try:
            res = self.gotrue.sign_in_with_password({"email": email, "password": password})
        except AuthError as exc:
            raise self._translate(exc) from exc
        self._adopt(res.session)
        return str(self.user_id)

    def sign_in_with_oauth(self, provider: str, *, timeout_s: float = 300.0) -> str:
        """Open the provider's page in the system browser; wait for the loopback redirect."""
        result: dict[str, str] = {}
        done = threading.Event()

        class Callback(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                q = parse_qs(urlsplit(self.path).query)
                if urlsplit(self.path).path != "/callback":
                    self.send_response(404)
                    self.end_headers()
                    return
                result["code"] = (q.get("code") or [""])[0]
                result["error"] = (q.get("error_description") or q.get("error") or [""])[0]
                msg = "Signed in. You can close this window and return to Mashups Studio."
                if not result["code"]:
                    msg = "Sign-in failed: " + html.escape(result["error"] or "no code")
                body = f"<html><body><p>{msg}</p></body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                done.set()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        server = HTTPServer(("127.0.0.1", 0), Callback)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            redirect = f"http://127.0.0.1:{server.server_address[1]}/callback"
            try:
                oauth = self.gotrue.sign_in_with_oauth(
                    {"provider": cast(Any, provider), "options": {"redirect_to": redirect}})
            except ValueError as exc:  # pydantic's ValidationError: not a provider Supabase knows
                raise AuthFailedError(f"unknown sign-in provider {provider!r}") from exc
            self.open_url(oauth.url)
            if not done.wait(timeout_s):
                raise AuthFailedError("sign-in in the browser timed out")
        finally:
            server.shutdown()
            server.server_close()
        if not result.get("code"):
            raise AuthFailedError(result.get("error") or "sign-in was cancelled")
        try:
            res = self.gotrue.exchange_code_for_session({"auth_code": result["code"], "redirect_to": redirect,
                                                         "code_verifier": ""})
        except AuthError as exc:
            raise self._translate(exc) from exc
        self._adopt(res.session)
        return str(self.user_id)

    def sign_out(self) -> None:
        """Revoke the session on the server when reachable; always forget it locally."""
        with self._lock:
            session = self._session
            self._session = None
            self._stored = None
            self.store.clear()
        if session is not None:
            try:
                self.gotrue.admin.sign_out(session.access_token, "global")
            except AuthError:
                pass

    # ------------------------------------------------------------ tokens
    def access_token(self) -> str:
        with self._lock:
            s = self._session
            if s is not None and (s.expires_at or 0) > time.time() + REFRESH_MARGIN_S:
                return s.access_token
        return self.refresh()

    def refresh(self) -> str:
        with self._lock:
            stored = self._stored
            if stored is None:
                raise AuthRequiredError()
            try:
                res = self.gotrue.refresh_session(stored.refresh_token)
            except AuthRetryableError as exc:
                raise OfflineError(str(exc) or "auth server unreachable") from exc
            except AuthApiError as exc:
                if exc.status >= 500:
                    raise OfflineError(f"auth server error {exc.status}") from exc
                # refresh token revoked or expired: the user must sign in again
                self._session = None
                self._stored = None
                self.store.clear()
                raise AuthRequiredError(str(exc)) from exc
            self._adopt(res.session)
            assert self._session is not None
            return self._session.access_token
