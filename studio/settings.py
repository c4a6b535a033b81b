"""Typed access to the studio's settings (QSettings, INI format at a path the
composition root chooses: tests point it at a temporary folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

DEFAULTS: dict[str, Any] = {
    "theme": "dark",
    "audio/device": "",  # "" = system default, "null" = no output (silent, playhead still runs)
    "audio/block_size": 512,  # frames per output callback (studio.playback.BLOCK_SIZES)
    "audio/latency": "low",  # PortAudio preset: "low" or "high"
    "storage/data": "",  # "" = the default folder (see studio.storage)
    "storage/cache": "",
    "storage/models": "",
    "models/separation": "htdemucs",
    "models/captions": "tiny.en",
    "models/device": "auto",
    "captions/language": "auto",
    "cache/max_gb": 20.0,
    "first_run_done": False,
    "recent_projects": [],
    "updates/check": True,  # daily check of the build's release feed (only when the build configures one)
    "updates/last_check": 0.0,
}


class Settings:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._q = QSettings(str(path), QSettings.Format.IniFormat)

    def get(self, key: str) -> Any:
        default = DEFAULTS.get(key)
        value = self._q.value(key, default)
        if isinstance(default, bool):
            return value in (True, "true", "1", 1)
        if isinstance(default, int) and not isinstance(default, bool):
            try:
                return int(value)
            except (TypeError, ValueError):
                return default
        if isinstance(default, float):
            try:
                return float(value)
            except (TypeError, ValueError):
                return default
        if isinstance(default, list):
            if value is None:
                return []
            return [str(v) for v in (value if isinstance(value, list) else [value])]
        return value

    def set(self, key: str, value: Any) -> None:
        self._q.setValue(key, value)
        self._q.sync()

    def str(self, key: str) -> str:
        v = self.get(key)
        return "" if v is None else str(v)

    def geometry(self, key: str) -> QByteArray | None:
        v = self._q.value(key)
        return v if isinstance(v, QByteArray) else None

    def add_recent(self, path: Path, limit: int = 10) -> list[str]:
        items = [p for p in self.get("recent_projects") if p != str(path)]
        items.insert(0, str(path))
        items = items[:limit]
        self.set("recent_projects", items)
        return items

    def sync(self) -> None:
        self._q.sync()
