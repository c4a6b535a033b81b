"""The desktop side of "Talk": asks the voice service (backend/voice) for the
session's voice room and a meeting token, then the studio opens the returned
URL in the browser. The Daily API key stays on the server; without it the
service says so and the Talk button shows that reason."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from .errors import OfflineError, SyncError


class VoiceClient:
    def __init__(self, url: str, access_token: Callable[[], str], *, http: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.access_token = access_token
        self.http = http or httpx.Client(timeout=15)

    def unavailable_reason(self) -> str | None:
        """None when Talk works; else the sentence for the disabled button."""
        try:
            resp = self.http.get(f"{self.url}/voice/status")
            data = resp.json()
        except httpx.HTTPError:
            return "The voice service cannot be reached."
        except ValueError:
            return "The voice service answered something unexpected."
        return None if data.get("enabled") else str(data.get("reason") or "Voice is off on this server.")

    def join(self, project_id: str) -> str:
        """The room URL with this person's meeting token (open it in the browser)."""
        try:
            resp = self.http.post(f"{self.url}/voice/join", json={"project_id": project_id},
                                  headers={"Authorization": f"Bearer {self.access_token()}"})
        except httpx.HTTPError as exc:
            raise OfflineError(f"the voice service cannot be reached ({type(exc).__name__})") from exc
        try:
            data = resp.json()
        except ValueError:
            raise SyncError(f"the voice service answered HTTP {resp.status_code} without JSON") from None
        if resp.status_code != 200:
            raise SyncError(str(data.get("error") or f"voice refused (HTTP {resp.status_code})"))
        url = data.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise SyncError("the voice service answered without a room address")
        return url
