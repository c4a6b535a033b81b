"""The session journal: which projects are open, so that a studio that died
(crash, power cut, kill) can offer to reopen them at the next start.

``<data>/session.json`` is rewritten atomically whenever the open project
changes (opened, saved, autosaved, new). It records the process id and a
``running`` flag; a clean quit clears the flag. At start-up a journal that
still says ``running`` for a process that no longer exists means the last
session ended without quitting: its projects are offered for restore.

Each entry names the project's saved folder (``path``, ``None`` for a
never-saved project) and the folder that holds its autosave (the project
folder itself for a saved project; ``<data>/autosave/<id>.mashup`` for an
untitled one).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_engine.atomic import atomic_path


@dataclass(frozen=True)
class OpenEntry:
    title: str
    path: Path | None  # saved project folder, None when never saved
    autosave: Path  # folder whose autosave.json holds unsaved changes

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "path": str(self.path) if self.path else None, "autosave": str(self.autosave)}

    @staticmethod
    def from_json(d: dict[str, Any]) -> OpenEntry:
        return OpenEntry(str(d.get("title") or "Untitled mashup"), Path(d["path"]) if d.get("path") else None,
                         Path(str(d["autosave"])))

    def recoverable(self) -> bool:
        """Something is there to reopen: the saved project or its autosave."""
        if self.path is not None and (self.path / "project.json").is_file():
            return True
        return (self.autosave / "autosave.json").is_file()


def _pid_alive(pid: int) -> bool:
    """Another process that still runs (this one does not count)."""
    from audio_engine.atomic import pid_alive

    return pid != os.getpid() and pid_alive(pid)


class SessionJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[OpenEntry] = []
        self.crashed: list[OpenEntry] = self._read_crashed()

    def _read_crashed(self) -> list[OpenEntry]:
        """Entries of a previous session that did not quit cleanly (read once, at start)."""
        try:
            d = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(d, dict) or not d.get("running"):
            return []
        pid = d.get("pid")
        if isinstance(pid, int) and _pid_alive(pid):
            return []  # another studio is running with this data folder: not a crash
        out: list[OpenEntry] = []
        for e in d.get("projects") or []:
            try:
                entry = OpenEntry.from_json(e)
            except (KeyError, TypeError, ValueError):
                continue
            if entry.recoverable():
                out.append(entry)
        return out

    def set_open(self, entries: list[OpenEntry]) -> None:
        self._entries = list(entries)
        self._write(running=True)

    def start(self) -> None:
        self._write(running=True)

    def clean_exit(self) -> None:
        self._write(running=False)

    def forget_crash(self) -> None:
        self.crashed = []

    def _write(self, *, running: bool) -> None:
        data = {"version": 1, "pid": os.getpid(), "running": running, "updated": time.time(),
                "projects": [e.to_json() for e in self._entries]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.path) as tmp:
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        except OSError:
            pass  # a full disk must not take the studio down; autosave reports its own failures
