"""The two Daily.co REST calls the voice service makes (https://docs.daily.co/reference/rest-api):

* ``POST /v1/rooms`` ``{"name", "privacy": "private", "properties": {"exp", "eject_at_room_exp",
  "max_participants", "start_video_off"}}`` -> the room object (``name``, ``url``, ...);
* ``POST /v1/meeting-tokens`` ``{"properties": {"room_name", "user_name", "user_id", "exp",
  "is_owner"}}`` -> ``{"token": ...}``.

Both with ``Authorization: Bearer <DAILY_API_KEY>``.
"""

from __future__ import annotations

from typing import Any

import httpx

API = "https://api.daily.co/v1"


class DailyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DailyClient:
    def __init__(self, api_key: str, *, base: str = API, http: httpx.Client | None = None) -> None:
        if not api_key.strip():
            raise ValueError("a Daily API key is required")
        self.base = base.rstrip("/")
        self.http = http or httpx.Client(timeout=15)
        self._headers = {"Authorization": f"Bearer {api_key.strip()}", "Content-Type": "application/json"}

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = self.http.post(self.base + path, json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise DailyError(502, f"Daily is unreachable: {type(exc).__name__}") from exc
        if resp.status_code >= 400:
            try:
                info = resp.json().get("info") or resp.json().get("error") or resp.reason_phrase
            except ValueError:
                info = resp.reason_phrase
            raise DailyError(502, f"Daily refused {path} (HTTP {resp.status_code}): {str(info)[:200]}")
        data = resp.json()
        if not isinstance(data, dict):
            raise DailyError(502, f"Daily answered {path} with an unexpected shape")
        return data

    def create_room(self, name: str, *, exp: int, max_participants: int) -> dict[str, Any]:
        room = self._post("/rooms", {"name": name, "privacy": "private", "properties": {
            "exp": exp, "eject_at_room_exp": True, "max_participants": max_participants, "start_video_off": True}})
        if not isinstance(room.get("url"), str) or not str(room["url"]).startswith("https://"):
            raise DailyError(502, "Daily answered /rooms without an https room url")
        return room

    def meeting_token(self, room: str, *, user_id: str, user_name: str, exp: int, is_owner: bool) -> str:
        data = self._post("/meeting-tokens", {"properties": {
            "room_name": room, "user_id": user_id, "user_name": user_name[:80], "exp": exp, "is_owner": is_owner}})
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise DailyError(502, "Daily answered /meeting-tokens without a token")
        return token
