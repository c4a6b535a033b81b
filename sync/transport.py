"""HTTP calls to Supabase (PostgREST RPCs and Storage objects) with retries.

* network errors, 429 and 5xx: retried with exponential backoff and jitter;
  after the last attempt, :class:`OfflineError` or :class:`ServerError`;
* 401: the session is refreshed once and the call retried;
* other 4xx: :class:`RpcError` (:class:`TierLimitError` for plan limits).

Every RPC the client calls is idempotent on the server (idempotency keys,
unique constraints), so retrying after a lost reply is always safe.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from .config import CloudConfig
from .errors import AuthRequiredError, OfflineError, RpcError, ServerError, SyncError, TierLimitError


class TokenProvider(Protocol):
    def access_token(self) -> str: ...

    def refresh(self) -> str: ...


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_s: float = 0.25
    factor: float = 2.0
    max_s: float = 8.0
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        base = min(self.max_s, self.initial_s * self.factor**attempt)
        return base * (1 + random.uniform(-self.jitter, self.jitter))


class Transport:
    def __init__(
        self,
        config: CloudConfig,
        http: httpx.Client,
        tokens: TokenProvider | None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.http = http
        self.tokens = tokens
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    def _headers(self, auth: bool) -> dict[str, str]:
        h = {"apikey": self.config.anon_key}
        if auth:
            if self.tokens is None:
                raise AuthRequiredError()
            h["Authorization"] = f"Bearer {self.tokens.access_token()}"
        else:
            h["Authorization"] = f"Bearer {self.config.anon_key}"
        return h

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send with retries. Returns 2xx responses and those whose status is in ``accept``."""
        url = self.config.base + path
        refreshed = False
        last_status = 0
        last_detail = ""
        attempt = 0
        while attempt < self.retry.attempts:
            h = {**self._headers(auth), **(headers or {})}
            try:
                resp = self.http.request(method, url, json=json_body, content=content, headers=h,
                                         timeout=self.config.timeout_s)
            except httpx.TransportError as exc:
                last_status, last_detail = 0, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self.sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            if resp.is_success or resp.status_code in accept:
                return resp
            if resp.status_code == 401 and auth and self.tokens is not None and not refreshed:
                refreshed = True
                self.tokens.refresh()
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last_status, last_detail = resp.status_code, _message(resp)
                self.sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            raise _client_error(resp)
        if last_status == 0:
            raise OfflineError(last_detail)
        raise ServerError(last_status, last_detail)

    def rpc(self, fn: str, args: Mapping[str, Any] | None = None, *, auth: bool = True) -> Any:
        resp = self.request("POST", f"/rest/v1/rpc/{fn}", json_body=dict(args or {}), auth=auth)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise ServerError(resp.status_code, f"{fn} answered with invalid JSON") from exc


def _message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason_phrase
    if isinstance(data, dict):
        return str(data.get("message") or data.get("msg") or data.get("error") or data)
    return str(data)


def _client_error(resp: httpx.Response) -> SyncError:
    code, hint = "", None
    try:
        data = resp.json()
        if isinstance(data, dict):
            code = str(data.get("code") or data.get("statusCode") or "")
            hint = data.get("hint")
    except ValueError:
        pass
    if resp.status_code == 401:
        return AuthRequiredError(_message(resp))
    cls = TierLimitError if code == "MS001" else RpcError
    return cls(resp.status_code, code, _message(resp), hint)
