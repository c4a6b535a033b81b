"""Media stored once, immutably, under content-hash names.

A store is a folder of files named ``<blake2b-160 of the bytes><ext>``. A file
is added by copying it to a temporary name in the same folder, fsyncing, and
renaming, so a crash never leaves a partial file under a hash name; adding the
same bytes twice stores them once.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from audio_engine.atomic import fsync_dir
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


class MediaStore:
    """A folder of content-addressed media files."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, h: str, ext: str) -> Path:
        return self.root / f"{check_hash_name(h)}{check_ext(ext)}"

    def has(self, h: str, ext: str) -> bool:
        return self.path(h, ext).is_file()

    def add_file(self, src: str | os.PathLike[str], *, known_hash: str | None = None) -> tuple[str, str]:
        """Store ``src``; returns ``(hash, ext)``. Cheap when already stored."""
        src = Path(src)
        ext = check_ext(src.suffix or ".bin")
        h = known_hash or file_hash(src)
        dst = self.path(h, ext)
        if dst.is_file():
            return h, ext
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{h}.{uuid.uuid4().hex[:8]}.part"
        try:
            with open(src, "rb") as fi, open(tmp, "wb") as fo:
                shutil.copyfileobj(fi, fo, 1 << 20)
                fo.flush()
                os.fsync(fo.fileno())
            if known_hash is not None and file_hash(tmp) != known_hash:
                raise ChecksumError(f"{src.name} does not match its content hash {known_hash[:12]}.")
            os.replace(tmp, dst)
            fsync_dir(self.root)
        finally:
            if tmp.exists():
                tmp.unlink()
        return h, ext

    def verify(self, h: str, ext: str) -> bool:
        p = self.path(h, ext)
        return p.is_file() and file_hash(p) == h

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
        for s in self.stores:
            p = s.path(h, ext)
            if p.is_file():
                return p
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
