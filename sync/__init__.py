"""Qt-free client side of the cloud: local store with outbox, push/pull, auth
session, Supabase calls, storage and entitlements. Nothing here runs at import
time; build the services with :func:`sync.cloud.open_cloud`."""

from .cloud import Cloud, open_cloud
from .config import CloudConfig, load_config
from .errors import (
    AuthFailedError,
    AuthRequiredError,
    IntegrityError,
    NotConfiguredError,
    OfflineError,
    RpcError,
    ServerError,
    StorageError,
    SyncError,
    TierLimitError,
)

__all__ = [
    "AuthFailedError",
    "AuthRequiredError",
    "Cloud",
    "CloudConfig",
    "IntegrityError",
    "NotConfiguredError",
    "OfflineError",
    "RpcError",
    "ServerError",
    "StorageError",
    "SyncError",
    "TierLimitError",
    "load_config",
    "open_cloud",
]
