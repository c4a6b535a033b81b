"""Media stored once, immutably, under content-hash names.

A store is a folder of files named ``<SHA-256 of the bytes><ext>``. A file
is added by copying it to a temporary name in the same folder, fsyncing, and
renaming, so a crash never leaves a partial file under a hash name; adding the
same bytes twice stores them once.

Nothing under a hash name is trusted: :meth:`MediaStore.checked_path` refuses
links and verifies the bytes against the name, cheaply, because a verified
file's (size, mtime, inode, ctime) is remembered in ``.verified.json``; a
project copied in from elsewhere has new inodes, so its media is hashed once.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from audio_engine.atomic import atomic_path
from audio_engine.errors import ChecksumError, ProjectFileError
from audio_engine.io import file_hash
from audio_engine.project.model import MediaRef

_HEX = set("0123456789abcdef")


def check_hash_name(h: str) -> str:
    if not (isinstance(h, str) and 16 <= len(h) <= 128 and set(h) <= _HEX):
        raise ProjectFileError(f"{h!r} is not a media content hash.")
    return h


def check_ext(ext: str) -> str:
    if not (isinstance(ext, str) and ext.startswith(".") and 1 < len(ext) <= 8 and ext[1:].isalnum()):
        raise ProjectFileError(f"{ext!r} is not a media file extension.")
    return ext.lower()


VERIFIED_JSON = ".verified.json"


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


class MediaStore:
    """A folder of content-addressed media files."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._verified: dict[str, list[int]] | None = None

    def path(self, h: str, ext: str) -> Path:
        return self.root / f"{check_hash_name(h)}{check_ext(ext)}"

    def has(self, h: str, ext: str) -> bool:
        p = self.path(h, ext)
        return p.is_file() and not p.is_symlink()

    # -- integrity ------------------------------------------------------------
    def _record(self) -> dict[str, list[int]]:
        if self._verified is None:
            try:
                raw = json.loads((self.root / VERIFIED_JSON).read_text())
                self._verified = {k: v for k, v in raw.items() if isinstance(v, list)} if isinstance(raw, dict) else {}
            except (OSError, ValueError):
                self._verified = {}
        return self._verified

    def _save_record(self) -> None:
        from audio_engine.atomic import atomic_write_bytes

        try:
            atomic_write_bytes(self.root / VERIFIED_JSON, json.dumps(self._record()).encode(), durable=False)
        except OSError:
            pass  # a read-only store: verify again next time

    def checked_path(self, h: str, ext: str) -> Path:
        """The file stored under ``h``, after checking that it is a regular
        file (not a link to somewhere else) whose bytes hash to ``h``. Raises
        :class:`ProjectFileError` (missing, a link, or changed/damaged)."""
        p = self.path(h, ext)
        if p.is_symlink():
            raise ProjectFileError(
                f"Media {p.name} is a link to {os.readlink(p)!r}; project media must be real files, refusing it.",
                hint="Replace the link by a copy of the file, or re-add the song.",
            )
        try:
            st = p.stat()
        except OSError as e:
            raise ProjectFileError(f"Media {h[:12]}{ext} is missing from {self.root}.") from e
        if not p.is_file():
            raise ProjectFileError(f"Media {p.name} is not a file.")
        with self._lock:
            if self._record().get(p.name) == _stamp(st):
                return p
        from audio_engine.project.hashes import is_legacy, legacy_file_hash

        if (legacy_file_hash(p) if is_legacy(h) else file_hash(p)) != h:  # names from before format 3: blake2b
            raise ProjectFileError(
                f"Media {h[:12]}{ext} in {self.root} does not match its content hash: the file was changed or damaged "
                "after it was added.",
                hint="Re-add the song, or restore the project from its exported archive.",
            )
        with self._lock:
            self._record()[p.name] = _stamp(st)
            self._save_record()
        return p

    def verify_all(self, wanted: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
        """Check every ``(hash, ext)`` present in the store; returns
        ``(hash, ext, problem)`` for each one that is a link or damaged
        (missing files are not listed: that is "offline", not damage)."""
        bad = []
        for h, ext in wanted:
            p = self.path(h, ext)
            if not (p.exists() or p.is_symlink()):
                continue
            try:
                self.checked_path(h, ext)
            except ProjectFileError as e:
                bad.append((h, ext, str(e)))
        return bad

    def add_file(self, src: str | os.PathLike[str], *, known_hash: str | None = None) -> tuple[str, str]:
        """Store ``src``; returns ``(hash, ext)``. Cheap when already stored."""
        src = Path(src)
        ext = check_ext(src.suffix or ".bin")
        h = known_hash or file_hash(src)
        dst = self.path(h, ext)
        if dst.is_file() and not dst.is_symlink():
            try:
                self.checked_path(h, ext)
                return h, ext
            except ProjectFileError:
                pass  # damaged copy under the hash name: replace it with the good bytes below
        self.root.mkdir(parents=True, exist_ok=True)
        with atomic_path(dst) as tmp:  # verified before it appears under the hash name
            with open(src, "rb") as fi, open(tmp, "wb") as fo:
                shutil.copyfileobj(fi, fo, 1 << 20)
            if known_hash is not None and file_hash(tmp) != known_hash:
                raise ChecksumError(f"{src.name} does not match its content hash {known_hash[:12]}.")
        return h, ext

    def verify(self, h: str, ext: str) -> bool:
        try:
            self.checked_path(h, ext)
        except ProjectFileError:
            return False
        return True

    def files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_file() and not p.name.startswith("."))


class MediaResolver:
    """Looks a media file up in several stores (the project's own first, then
    the studio's library store)."""

    def __init__(self, stores: Iterable[MediaStore | str | os.PathLike[str]]) -> None:
        self.stores: list[MediaStore] = [s if isinstance(s, MediaStore) else MediaStore(s) for s in stores]

    def find(self, h: str, ext: str) -> Path:
        """The verified file of ``(h, ext)`` from the first store holding it
        (links and changed files are refused, see :meth:`MediaStore.checked_path`)."""
        for s in self.stores:
            p = s.path(h, ext)
            if p.is_file() or p.is_symlink():
                return s.checked_path(h, ext)
        where = ", ".join(str(s.root) for s in self.stores) or "no media folders"
        raise ProjectFileError(
            f"Media {h[:12]}{ext} is missing (looked in {where}).",
            hint="Re-add the song, or open the project from its exported archive that carries its media.",
        )


def as_resolver(media: MediaResolver | MediaStore | Sequence[MediaStore | str | os.PathLike[str]] | str | os.PathLike[str]) -> MediaResolver:
    if isinstance(media, MediaResolver):
        return media
    if isinstance(media, (MediaStore, str, os.PathLike)):
        return MediaResolver([media])
    return MediaResolver(media)


def add_song(
    store: MediaStore,
    path: str | os.PathLike[str],
    *,
    stems: dict[str, Path] | None = None,
    bpm: float | None = None,
    key: str | None = None,
    title: str = "",
    artist: str = "",
    separation_model: str = "",
    hasher: Callable[[Path], str] | None = None,
) -> MediaRef:
    """Store a song (and its stems) and return the project's entry for it.
    ``hasher`` may supply (e.g. memoised) content hashes of the files."""
    from audio_engine.io import info

    p = Path(path)
    h, ext = store.add_file(p, known_hash=hasher(p) if hasher else None)
    stem_hashes: dict[str, str] = {}
    stem_exts: dict[str, str] = {}
    for name, sp in (stems or {}).items():
        sh, sext = store.add_file(sp, known_hash=hasher(Path(sp)) if hasher else None)
        stem_hashes[name] = sh
        stem_exts[name] = sext
    return MediaRef(
        hash=h,
        name=p.stem,
        ext=ext,
        stems=stem_hashes,
        stem_exts=stem_exts,
        bpm=bpm,
        key=key,
        duration=info(p).duration,
        title=title or p.stem,
        artist=artist,
        separation_model=separation_model,
    )
