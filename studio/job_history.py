"""Job history that survives a restart: the finished jobs a person started
(not background work), newest first, in a small JSON file in the data
folder, bounded in length and written atomically (a crash mid-write leaves
the previous file). Qt-free."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audio_engine.atomic import atomic_write_text

VERSION = 1
MAX_ENTRIES = 200
MAX_TEXT = 2000  # characters kept of a title, error or hint


@dataclass(frozen=True)
class HistoryEntry:
    title: str
    kind: str
    state: str  # "done" | "failed" | "cancelled"
    finished_at: float  # seconds since the epoch
    seconds: float  # how long it ran
    error: str = ""
    hint: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HistoryEntry:
        return cls(
            title=str(d["title"])[:MAX_TEXT], kind=str(d.get("kind", "")), state=str(d["state"]),
            finished_at=float(d["finished_at"]), seconds=float(d.get("seconds", 0.0)),
            error=str(d.get("error", ""))[:MAX_TEXT], hint=str(d.get("hint", ""))[:MAX_TEXT],
        )


class JobHistory:
    """The last :data:`MAX_ENTRIES` finished jobs, newest first."""

    def __init__(self, path: Path, *, max_entries: int = MAX_ENTRIES) -> None:
        self.path = Path(path)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: list[HistoryEntry] = self._load()

    def _load(self) -> list[HistoryEntry]:
        """Entries from the file; an unreadable file (or entry) is skipped, never fatal."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        out: list[HistoryEntry] = []
        rows = data.get("jobs", []) if isinstance(data, dict) else []
        for row in rows if isinstance(rows, list) else []:
            try:
                out.append(HistoryEntry.from_dict(row))
            except (KeyError, TypeError, ValueError):
                continue
        return out[: self.max_entries]

    def entries(self) -> list[HistoryEntry]:
        with self._lock:
            return list(self._entries)

    def add(self, entry: HistoryEntry) -> None:
        with self._lock:
            self._entries.insert(0, entry)
            del self._entries[self.max_entries:]
            self._save()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._save()

    def _save(self) -> None:
        text = json.dumps({"version": VERSION, "saved_at": time.time(),
                           "jobs": [asdict(e) for e in self._entries]}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, text)
        except OSError:
            pass  # history is a convenience: a full or read-only disk must not fail a job
