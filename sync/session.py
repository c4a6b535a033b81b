"""The cloud session service (Qt-free): configuration, sign-in state,
online/offline/syncing, pending and rejected changes, entitlements, and the
project sync. Built once by the app (or the CLI); the studio shows its
:class:`Status` and runs its blocking methods as jobs.

Configuration, first match wins: the user's Settings (advanced:
``supabase_url`` / ``supabase_anon_key``), the environment
(``SUPABASE_URL`` / ``SUPABASE_ANON_KEY``), the build's ``resources/cloud.json``
(``{"supabase_url": ..., "supabase_anon_key": ...}``). None of them: no cloud,
and nothing touches the network.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .auth import KeyringTokenStore, MemoryTokenStore, TokenStore
from .cloud import Cloud, open_cloud
from .config import CloudConfig, bundled_resource, load_config
from .engine import SyncReport
from .errors import AuthRequiredError, NotConfiguredError, OfflineError, ServerError, SyncError
from .projects import ProjectSync
from .store import OutboxEntry
from .tiers import Entitlements, default_entitlements
from .transport import RetryPolicy


def bundled_config_path() -> Path:
    """``resources/cloud.json`` beside the packages (or in a PyInstaller bundle)."""
    return bundled_resource("cloud.json")


def resolve_config(settings: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None,
                   bundled: Path | None = None) -> CloudConfig | None:
    cfg = load_config(settings, env)
    if cfg is not None:
        return cfg
    path = bundled or bundled_config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return load_config({"supabase_url": str(data.get("supabase_url") or ""),
                        "supabase_anon_key": str(data.get("supabase_anon_key") or "")}, {})


@dataclass(frozen=True)
class Status:
    """What the status indicator shows."""

    state: str  # not_configured | signed_out | online | offline | syncing
    email: str | None = None
    pending: int = 0
    rejected: int = 0
    message: str = ""
    persistent_login: bool = True

    @property
    def label(self) -> str:
        if self.state == "not_configured":
            return "Cloud off"
        if self.state == "signed_out":
            return "Signed out"
        n = f" · {self.pending} pending" if self.pending else ""
        r = f" · {self.rejected} rejected" if self.rejected else ""
        return {"online": "Online", "offline": "Offline", "syncing": "Syncing…"}[self.state] + n + r


Listener = Callable[[Status], None]


class CloudSession:
    def __init__(self, config: CloudConfig | None, *, data_dir: Path, token_store: TokenStore | None = None,
                 open_url: Callable[[str], object] | None = None, retry: RetryPolicy | None = None,
                 chunk_size: int | None = None) -> None:
        self.data_dir = data_dir
        self._token_store = token_store
        self._open_url = open_url
        self._retry = retry
        self._chunk_size = chunk_size
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self.cloud: Cloud | None = None
        self.projects: ProjectSync | None = None
        self._status = Status("not_configured")
        self.keychain_available = False
        self.configure(config)

    # ------------------------------------------------------------ set-up
    def configure(self, config: CloudConfig | None) -> None:
        """(Re)build the cloud services for ``config`` (None: cloud off)."""
        with self._lock:
            if self.cloud is not None:
                self.cloud.close()
            store = self._token_store
            if config is not None and store is None:
                store = KeyringTokenStore(config)
            sub = self.data_dir / "cloud" / _slug(config.url) if config else self.data_dir
            self.cloud = open_cloud(config, data_dir=sub, token_store=store, open_url=self._open_url,
                                    retry=self._retry, chunk_size=self._chunk_size)
            self.projects = None
            #: an OS keychain works here ("stay signed in" is possible)
            self.keychain_available = isinstance(store, KeyringTokenStore) and store.persistent
            if self.cloud is not None:
                c = self.cloud
                self.projects = ProjectSync(c.store, c.engine, c.media, cache_dir=self.data_dir / "media-cache",
                                            user_id=lambda: c.auth.user_id)
            self._set(self._base_status())

    @property
    def configured(self) -> bool:
        return self.cloud is not None

    def require(self) -> Cloud:
        if self.cloud is None:
            raise NotConfiguredError()
        return self.cloud

    def require_projects(self) -> ProjectSync:
        self.require()
        assert self.projects is not None
        if not self.cloud or not self.cloud.auth.signed_in:
            raise AuthRequiredError()
        return self.projects

    def remember(self, stay_signed_in: bool) -> None:
        """"Stay signed in": keep the session in the OS keychain (when one
        works), or only until the app quits (the keychain entry is removed)."""
        c = self.require()
        auth = c.auth
        want_keychain = stay_signed_in and isinstance(self._token_store, (KeyringTokenStore, type(None)))
        current = auth.store.load() if auth.signed_in else None
        if want_keychain and not isinstance(auth.store, KeyringTokenStore):
            auth.store = KeyringTokenStore(c.config)
        elif not stay_signed_in and isinstance(auth.store, KeyringTokenStore):
            auth.store.clear()
            auth.store = MemoryTokenStore()
        if current is not None:
            auth.store.save(current)
        self.refresh_status()

    @property
    def persistent_login(self) -> bool:
        """False where no OS keychain works: the session lasts until the app quits."""
        store = self.cloud.auth.store if self.cloud else None
        return isinstance(store, KeyringTokenStore) and store.persistent or (
            store is not None and not isinstance(store, (KeyringTokenStore, MemoryTokenStore)))

    # ------------------------------------------------------------ status
    def subscribe(self, fn: Listener) -> None:
        """``fn(status)`` after every change; may be called from any thread."""
        self._listeners.append(fn)

    @property
    def status(self) -> Status:
        return self._status

    def _base_status(self, state: str | None = None, message: str = "") -> Status:
        c = self.cloud
        if c is None:
            return Status("not_configured", message="Cloud sync is off (no Supabase address configured).")
        if not c.auth.signed_in:
            return Status("signed_out", message=message, pending=c.store.pending_count(),
                          persistent_login=self.persistent_login)
        return Status(state or (self._status.state if self._status.state in ("online", "offline") else "offline"),
                      c.auth.email, c.store.pending_count(), len(c.store.rejected()), message, self.persistent_login)

    def _set(self, status: Status) -> None:
        self._status = status
        for fn in list(self._listeners):
            fn(status)

    def refresh_status(self, message: str = "") -> Status:
        self._set(self._base_status(message=message))
        return self._status

    # ------------------------------------------------------------ account
    def sign_up(self, email: str, password: str) -> str:
        uid = self.require().auth.sign_up(email.strip(), password)
        self._after_sign_in()
        return uid

    def sign_in(self, email: str, password: str) -> str:
        uid = self.require().auth.sign_in(email.strip(), password)
        self._after_sign_in()
        return uid

    def sign_in_with_oauth(self, provider: str) -> str:
        uid = self.require().auth.sign_in_with_oauth(provider)
        self._after_sign_in()
        return uid

    def _after_sign_in(self) -> None:
        self._set(self._base_status("online"))

    def sign_out(self) -> None:
        """Sign out here (and revoke on the server when reachable). Pending
        changes stay in the local store and go out at the next sign-in."""
        c = self.require()
        c.auth.sign_out()
        self._set(self._base_status())

    # ------------------------------------------------------------ sync
    def sync(self) -> SyncReport:
        """Push pending changes and pull; sets online/offline/syncing. A
        revoked session turns into signed-out (nothing local is lost)."""
        c = self.require()
        if not c.auth.signed_in:
            raise AuthRequiredError()
        self._set(replace(self._base_status("syncing"), state="syncing"))
        try:
            report = c.engine.sync()
        except (OfflineError, ServerError) as e:
            self._set(self._base_status("offline", str(e)))
            raise
        except AuthRequiredError as e:
            self._set(self._base_status(message=f"Your session ended; sign in again. Nothing was lost. ({e})"))
            raise
        except SyncError as e:
            self._set(self._base_status("online", str(e)))
            raise
        self._set(self._base_status("online"))
        return report

    def entitlements(self) -> Entitlements:
        """Plan and usage from the server (cached for offline use)."""
        c = self.cloud
        if c is None or not c.auth.signed_in:
            return default_entitlements()
        return c.engine.entitlements()

    # ------------------------------------------------------------ rejected changes
    def rejected(self) -> list[OutboxEntry]:
        return self.require().store.rejected()

    def pending(self, limit: int = 500) -> list[OutboxEntry]:
        return self.require().store.pending(limit)

    def retry(self, key: str) -> None:
        self.require().store.retry_rejected(key)
        self.refresh_status()

    def discard(self, key: str) -> None:
        self.require().store.discard_rejected(key)
        self.refresh_status()

    def keep_local(self, key: str) -> None:
        self.require().store.keep_local(key)
        self.refresh_status()

    def close(self) -> None:
        with self._lock:
            if self.cloud is not None:
                self.cloud.close()
                self.cloud = None


def _slug(url: str) -> str:
    keep = "".join(ch if ch.isalnum() else "_" for ch in url.split("://", 1)[-1])
    return keep.strip("_")[:80] or "cloud"


def open_session(data_dir: Path, *, settings: Mapping[str, str] | None = None,
                 env: Mapping[str, str] | None = None, **kwargs: object) -> CloudSession:
    """The session for the configured cloud (or a not-configured one)."""
    cfg = resolve_config(settings, os.environ if env is None else env)
    return CloudSession(cfg, data_dir=data_dir, **kwargs)  # type: ignore[arg-type]
