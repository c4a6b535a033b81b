"""Typed errors of the sync layer. Messages are meant for people."""

from __future__ import annotations


class SyncError(Exception):
    """Base class of every error raised by :mod:`sync`."""


class NotConfiguredError(SyncError):
    def __init__(self) -> None:
        super().__init__(
            "Cloud sync is off: set a Supabase URL and anon key in Settings "
            "(or SUPABASE_URL and SUPABASE_ANON_KEY) to turn it on."
        )


class OfflineError(SyncError):
    """The cloud could not be reached (after retries). Local data is kept."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"Can't reach the cloud ({detail}). Your changes are kept on this computer "
            "and will sync when the connection is back."
        )
        self.detail = detail


class ServerError(SyncError):
    """The server kept failing (5xx) after retries."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"The cloud service had a problem (HTTP {status}: {detail}). Try again later.")
        self.status = status
        self.detail = detail


class AuthRequiredError(SyncError):
    """No usable session: the user must sign in (again)."""

    def __init__(self, detail: str = "") -> None:
        msg = "Please sign in to use cloud features."
        super().__init__(f"{msg} ({detail})" if detail else msg)
        self.detail = detail


class AuthFailedError(SyncError):
    """Sign-in or sign-up was refused (wrong password, user exists, ...)."""


class RpcError(SyncError):
    """The server refused a call (4xx) with a PostgREST error."""

    def __init__(self, status: int, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint


class TierLimitError(RpcError):
    """A limit of the user's plan was reached; upgrading lifts it."""


class StorageError(SyncError):
    """An upload or download was refused by the server."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Storage refused the request (HTTP {status}): {message}")
        self.status = status


class IntegrityError(SyncError):
    """Downloaded bytes do not match their checksum."""
