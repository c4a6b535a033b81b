"""The song library: a Qt-free SQLite store of the songs a creator imported.

Each song row keeps the file path, the file's content hash (so the same file
imported twice is one song, and a moved file is found again), title and
artist (from the file's tags, else the file name), duration, the analysis
result as JSON, the stems available (name -> file) and the captions file.

SQLite runs in WAL mode with ``synchronous=FULL``: a power cut never loses a
committed import. The store is safe to use from several threads (one
connection guarded by a lock; every call is a short transaction).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audio_engine import io as audio_io
from audio_engine.errors import MashupsError
from audio_engine.formats import AUDIO_EXTENSIONS as _FORMAT_EXTENSIONS

SCHEMA_VERSION = 2

#: File name endings the library imports: the engine's one list.
AUDIO_EXTENSIONS = _FORMAT_EXTENSIONS


class LibraryError(MashupsError):
    """A library operation failed (unknown song, unreadable database)."""


@dataclass(frozen=True)
class SongRecord:
    id: int
    path: Path
    content_hash: str
    title: str
    artist: str
    duration: float
    added_at: float
    analysis: dict[str, Any] | None = None
    stems: dict[str, str] = field(default_factory=dict)
    captions: str | None = None

    # Convenience views on the analysis JSON (None when not analysed yet).
    @property
    def bpm(self) -> float | None:
        v = (self.analysis or {}).get("bpm")
        return float(v) if isinstance(v, (int, float)) else None

    @property
    def key_name(self) -> str | None:
        return _key_field(self.analysis, "name")

    @property
    def camelot(self) -> str | None:
        return _key_field(self.analysis, "camelot")

    @property
    def lufs(self) -> float | None:
        a = self.analysis or {}
        for k in ("lufs", "integrated_lufs", "loudness_lufs"):
            v = a.get(k)
            if isinstance(v, (int, float)):
                return float(v)
        return None

    @property
    def analysed(self) -> bool:
        return self.analysis is not None


def _key_field(analysis: dict[str, Any] | None, name: str) -> str | None:
    if not analysis:
        return None
    if name == "camelot" and isinstance(analysis.get("camelot"), str):
        return str(analysis["camelot"])
    key = analysis.get("key")
    if isinstance(key, dict):
        v = key.get(name)
        return str(v) if v is not None else None
    if isinstance(key, str):
        if name == "name":
            return key
        try:
            from audio_engine.keys import parse_key

            return parse_key(key).camelot
        except Exception:  # noqa: BLE001 - a bad key string is shown as unknown
            return None
    v = analysis.get(f"key_{name}")
    return str(v) if v is not None else None


def read_tags(path: Path) -> tuple[str, str]:
    """(title, artist) from the file's tags (mutagen), falling back to the
    file name; "Artist - Title.ext" names are split."""
    title = artist = ""
    try:
        import mutagen

        f = mutagen.File(str(path), easy=True)
        if f is not None and f.tags is not None:
            t = f.tags.get("title")
            a = f.tags.get("artist")
            title = str(t[0]).strip() if t else ""
            artist = str(a[0]).strip() if a else ""
    except Exception:  # noqa: BLE001 - tags are optional; a broken tag block is not an import error
        pass
    if not title:
        stem = path.stem.replace("_", " ").strip()
        if " - " in stem and not artist:
            artist, _, title = (s.strip() for s in stem.partition(" - "))
        else:
            title = stem
    return title or path.name, artist


def iter_audio_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Expand files and folders (recursively, sorted) to the audio files in them."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for sub in sorted(p.rglob("*")):
                if sub.is_file() and sub.suffix.lower() in AUDIO_EXTENSIONS:
                    yield sub
        elif p.is_file():
            yield p


class Library:
    """The SQLite song store. ``Library(path)`` opens or creates it."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise LibraryError(
                f"The library database {self.path} cannot be opened: {e}.",
                hint="Move the file aside; the studio creates a new, empty library.",
            ) from e

    # -- schema -------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise LibraryError(
                    f"The library {self.path} was written by a newer version (schema {version}).",
                    hint="Update Mashups Studio.",
                )
            if version < 1:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    """CREATE TABLE IF NOT EXISTS songs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        path TEXT NOT NULL,
                        content_hash TEXT NOT NULL UNIQUE,
                        title TEXT NOT NULL,
                        artist TEXT NOT NULL DEFAULT '',
                        duration REAL NOT NULL,
                        added_at REAL NOT NULL,
                        analysis TEXT,
                        stems TEXT NOT NULL DEFAULT '{}',
                        captions TEXT
                    )"""
                )
                self._db.execute("CREATE INDEX IF NOT EXISTS songs_path ON songs(path)")
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                self._db.execute("COMMIT")
            elif version < 2:
                self._rehash_legacy()

    def _rehash_legacy(self) -> None:
        """Schema 1 -> 2: songs were named by blake2b-160; the one content hash
        is now SHA-256 (audio_engine/project/hashes.py). Songs whose file is
        still there are hashed again (once); the others keep their old hash."""
        rows = self._db.execute("SELECT id, path, content_hash FROM songs").fetchall()
        new: list[tuple[str, int]] = []
        for sid, path, h in rows:
            p = Path(path)
            if len(str(h)) == 40 and p.is_file():
                try:
                    new.append((audio_io.file_hash(p), int(sid)))
                except OSError:
                    pass
        self._db.execute("BEGIN IMMEDIATE")
        for h, sid in new:
            if self._db.execute("SELECT 1 FROM songs WHERE content_hash=? AND id<>?", (h, sid)).fetchone() is None:
                self._db.execute("UPDATE songs SET content_hash=? WHERE id=?", (h, sid))
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reading ------------------------------------------------------------
    @staticmethod
    def _row(r: tuple[Any, ...]) -> SongRecord:
        return SongRecord(
            id=int(r[0]),
            path=Path(r[1]),
            content_hash=str(r[2]),
            title=str(r[3]),
            artist=str(r[4]),
            duration=float(r[5]),
            added_at=float(r[6]),
            analysis=json.loads(r[7]) if r[7] else None,
            stems=dict(json.loads(r[8] or "{}")),
            captions=r[9],
        )

    _COLS = "id, path, content_hash, title, artist, duration, added_at, analysis, stems, captions"

    def all(self) -> list[SongRecord]:
        with self._lock:
            rows = self._db.execute(f"SELECT {self._COLS} FROM songs ORDER BY id").fetchall()
        return [self._row(r) for r in rows]

    def get(self, song_id: int) -> SongRecord:
        with self._lock:
            r = self._db.execute(f"SELECT {self._COLS} FROM songs WHERE id=?", (song_id,)).fetchone()
        if r is None:
            raise LibraryError(f"No song with id {song_id} in the library.")
        return self._row(r)

    def find_hash(self, content_hash: str) -> SongRecord | None:
        with self._lock:
            r = self._db.execute(f"SELECT {self._COLS} FROM songs WHERE content_hash=?", (content_hash,)).fetchone()
        return self._row(r) if r else None

    def search(self, text: str) -> list[SongRecord]:
        """Songs whose title or artist contains every word of ``text`` (case-insensitive)."""
        words = [w.lower() for w in text.split() if w]
        return [s for s in self.all() if all(w in f"{s.title} {s.artist}".lower() for w in words)]

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM songs").fetchone()[0])

    # -- writing ------------------------------------------------------------
    def add(self, path: str | os.PathLike[str]) -> SongRecord:
        """Import one audio file. The file is probed (a clear
        :class:`~audio_engine.errors.AudioDecodeError` if it is not audio) and
        hashed; importing the same content again returns the existing song
        (with its path updated if the old file is gone)."""
        p = Path(path).resolve()
        info = audio_io.info(p)
        digest = audio_io.file_hash(p)
        title, artist = read_tags(p)
        with self._lock:
            existing = self.find_hash(digest)
            if existing is not None:
                if existing.path != p and not existing.path.exists():
                    self._exec("UPDATE songs SET path=? WHERE id=?", (str(p), existing.id))
                    return self.get(existing.id)
                return existing
            cur = self._exec(
                "INSERT INTO songs (path, content_hash, title, artist, duration, added_at) VALUES (?,?,?,?,?,?)",
                (str(p), digest, title, artist, float(info.duration), time.time()),
            )
            assert cur.lastrowid is not None
            return self.get(int(cur.lastrowid))

    def _exec(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(sql, args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return cur

    def _update(self, song_id: int, sql: str, args: tuple[Any, ...]) -> SongRecord:
        cur = self._exec(sql, (*args, song_id))
        if cur.rowcount == 0:
            raise LibraryError(f"No song with id {song_id} in the library.")
        return self.get(song_id)

    def set_analysis(self, song_id: int, analysis: dict[str, Any] | None) -> SongRecord:
        data = json.dumps(analysis, allow_nan=False) if analysis is not None else None
        return self._update(song_id, "UPDATE songs SET analysis=? WHERE id=?", (data,))

    def set_stems(self, song_id: int, stems: dict[str, str | os.PathLike[str]]) -> SongRecord:
        data = json.dumps({k: str(v) for k, v in stems.items()})
        return self._update(song_id, "UPDATE songs SET stems=? WHERE id=?", (data,))

    def set_captions(self, song_id: int, captions_path: str | os.PathLike[str] | None) -> SongRecord:
        return self._update(
            song_id, "UPDATE songs SET captions=? WHERE id=?", (str(captions_path) if captions_path else None,)
        )

    def set_tags(self, song_id: int, *, title: str, artist: str) -> SongRecord:
        if not title.strip():
            raise LibraryError("A song needs a title.")
        return self._update(song_id, "UPDATE songs SET title=?, artist=? WHERE id=?", (title.strip(), artist.strip()))

    def remove(self, song_id: int) -> bool:
        """Forget a song (the audio file itself is never deleted)."""
        return self._exec("DELETE FROM songs WHERE id=?", (song_id,)).rowcount > 0
