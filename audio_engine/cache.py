"""Content-addressed caches: results that cost seconds are computed once.

Keys are built from the hash of the decoded input, the algorithm or model
name, its version and the settings (:func:`cache_key`).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def cache_key(kind: str, version: str, content_hash: str, **settings: object) -> str:
    """A stable key: ``kind/version/hash/sorted-settings``."""
    tail = json.dumps(settings, sort_keys=True, separators=(",", ":"), default=str)
    import hashlib

    return f"{kind}-{version}-{content_hash}-{hashlib.blake2b(tail.encode(), digest_size=8).hexdigest()}"


class JsonCache:
    """Small JSON results (analyses, captions) in SQLite (WAL)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
            )
            self._conn.commit()

    def get(self, key: str) -> Any | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, value: Any) -> None:
        text = json.dumps(value)
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO results (key, value, created) VALUES (?, ?, ?)", (key, text, time.time())
            )
            self._conn.commit()

    def delete_prefix(self, prefix: str) -> int:
        with self._lock:
            cur = self._conn.execute("DELETE FROM results WHERE key LIKE ? || '%'", (prefix,))
            self._conn.commit()
            return int(cur.rowcount)

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@dataclass(frozen=True)
class CacheEntry:
    key: str
    path: Path
    size_bytes: int
    last_used: float


class FileCache:
    """Folders of files (stems, renders) under content keys. An entry appears
    atomically (built in a temp folder, then renamed), so a crash never leaves
    a half entry that looks complete."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _dir(self, key: str) -> Path:
        if "/" in key or "\\" in key or key.startswith("."):
            raise ValueError(f"Bad cache key {key!r}")
        return self.root / key

    def get(self, key: str) -> Path | None:
        d = self._dir(key)
        if not d.is_dir():
            return None
        now = time.time()
        os.utime(d, (now, now))
        return d

    @contextmanager
    def lock(self, key: str, *, timeout: float = -1) -> Iterator[None]:
        """Hold the key's lock (across threads and processes) while checking
        for an entry and building it, so concurrent users of one cache wait
        for one build and then share it, instead of racing."""
        from filelock import FileLock

        self._dir(key)  # validates the key
        locks = self.root / ".locks"
        locks.mkdir(exist_ok=True)
        with FileLock(str(locks / f"{key}.lock"), timeout=timeout):
            yield

    @contextmanager
    def build(self, key: str) -> Iterator[Path]:
        """``with cache.build(key) as tmp: write files into tmp`` -> entry
        committed on success. If another builder committed the same key
        first, its entry is kept (same key, same content) and ours dropped:
        an entry is never removed while someone may be reading it."""
        tmp = self.root / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            yield tmp
            final = self._dir(key)
            if not final.exists():
                try:
                    os.replace(tmp, final)
                except OSError:
                    if not final.is_dir():  # not a lost race: a real failure
                        raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def get_or_build(self, key: str, build: Callable[[Path], None], *, valid: Callable[[Path], bool] | None = None) -> tuple[Path, bool]:
        """The entry of ``key``, built by ``build(tmp)`` under the key's lock
        if missing (or not ``valid``); returns ``(path, was_cached)``."""
        hit = self.get(key)
        if hit is not None and (valid is None or valid(hit)):
            return hit, True
        with self.lock(key):
            hit = self.get(key)
            if hit is not None and (valid is None or valid(hit)):
                return hit, True
            if hit is not None:  # damaged entry: nobody else builds it while we hold the lock
                shutil.rmtree(hit, ignore_errors=True)
            with self.build(key) as tmp:
                build(tmp)
        entry = self.get(key)
        if entry is None:
            raise FileNotFoundError(f"cache entry {key} vanished right after it was built")
        return entry, False

    def entries(self) -> list[CacheEntry]:
        out = []
        for d in self.root.iterdir():
            if d.name.startswith(".") or not d.is_dir():
                continue
            size = sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
            out.append(CacheEntry(d.name, d, size, d.stat().st_mtime))
        return out

    def size_bytes(self) -> int:
        return sum(e.size_bytes for e in self.entries())

    def remove(self, key: str) -> bool:
        d = self._dir(key)
        if d.exists():
            shutil.rmtree(d)
            return True
        return False

    def prune(self, max_bytes: int) -> list[str]:
        """Remove least recently used entries until the cache fits ``max_bytes``."""
        entries = sorted(self.entries(), key=lambda e: e.last_used)
        total = sum(e.size_bytes for e in entries)
        removed = []
        for e in entries:
            if total <= max_bytes:
                break
            shutil.rmtree(e.path, ignore_errors=True)
            total -= e.size_bytes
            removed.append(e.key)
        # Leftover temp folders from a crash are garbage.
        for d in [*self.root.glob(".tmp-*"), *self.root.glob(".input-*")]:
            if time.time() - d.stat().st_mtime > 3600:
                if d.is_dir():
                    shutil.rmtree(d, ignore_errors=True)
                else:
                    d.unlink(missing_ok=True)
        return removed

    def clear(self) -> None:
        for e in self.entries():
            shutil.rmtree(e.path, ignore_errors=True)
