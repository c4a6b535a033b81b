"""Composition of the cloud services; built once by the app at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from .auth import AuthSession, KeyringTokenStore, TokenStore
from .config import CloudConfig
from .engine import SyncEngine
from .media import CHUNK_SIZE, MediaStorage
from .store import LocalStore
from .transport import RetryPolicy, Transport


@dataclass
class Cloud:
    config: CloudConfig
    http: httpx.Client
    auth: AuthSession
    transport: Transport
    store: LocalStore
    engine: SyncEngine
    media: MediaStorage

    def close(self) -> None:
        self.store.close()
        self.http.close()


def open_cloud(
    config: CloudConfig | None,
    *,
    data_dir: Path,
    token_store: TokenStore | None = None,
    open_url: Callable[[str], object] | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
    chunk_size: int | None = None,
) -> Cloud | None:
    """``None`` without configuration: the app then makes no network call at all."""
    if config is None:
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    http = httpx.Client(timeout=config.timeout_s, follow_redirects=False)
    store = LocalStore(data_dir / "sync.sqlite3")
    kwargs = {} if open_url is None else {"open_url": open_url}
    auth = AuthSession(config, token_store or KeyringTokenStore(config), http, **kwargs)
    transport = Transport(config, http, auth, retry=retry, **({} if sleep is None else {"sleep": sleep}))
    media = MediaStorage(transport, lambda: auth.user_id, chunk_size=chunk_size or CHUNK_SIZE)
    return Cloud(config, http, auth, transport, store, SyncEngine(store, transport, user_id=lambda: auth.user_id),
                 media)
