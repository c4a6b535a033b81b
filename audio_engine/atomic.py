"""Atomic file writes: a file appears under its real name complete or not at
all, even if the process is killed or the power fails mid-write.

This is the engine's one mechanism for it (project files, media store,
exports, stems, peaks, captions, downloads). Temporary files sit beside the
target (a rename is only atomic within one file system) and carry the
writer's process id, so leftovers of a killed writer are recognised and
removed by the next write into the same folder.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: A leftover temporary file of a writer that is still alive is kept this long.
STALE_AFTER_S = 24 * 3600.0


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """fsync a folder so a rename inside it survives a power cut (a no-op
    where the OS cannot open folders, e.g. Windows)."""
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit(tmp: str | os.PathLike[str], dest: str | os.PathLike[str], *, durable: bool = True) -> Path:
    """fsync ``tmp``, move it over ``dest`` (same folder) and fsync the folder."""
    if durable:
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
    os.replace(tmp, dest)
    if durable:
        fsync_dir(Path(dest).parent)
    return Path(dest)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (this process counts). Where the OS
    gives no safe probe (Windows: ``os.kill(pid, 0)`` sends a Ctrl+C event
    there) the answer is True, i.e. "assume it may still be writing"."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def temp_name(dest: Path) -> Path:
    """The temporary name :func:`atomic_path` writes ``dest`` under."""
    return dest.with_name(f".{dest.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part{dest.suffix}")


def clean_leftovers(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files that killed writers left in ``folder`` (their
    process is gone, or they are older than :data:`STALE_AFTER_S`)."""
    removed: list[Path] = []
    try:
        candidates = [p for p in Path(folder).iterdir() if p.name.startswith(".") and ".part" in p.name]
    except OSError:
        return removed
    now = time.time()
    for p in candidates:
        tag = p.name.rsplit(".part", 1)[0].rsplit(".", 1)[-1]
        pid_text, dash, rand = tag.partition("-")
        if not (dash and pid_text.isdigit() and len(rand) == 8 and all(c in "0123456789abcdef" for c in rand)):
            continue  # not ours (e.g. a resumable download's .part): leave it
        try:
            age = now - p.stat().st_mtime
        except OSError:
            continue
        if not pid_alive(int(pid_text)) or age > STALE_AFTER_S:
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


@contextmanager
def atomic_path(dest: str | os.PathLike[str], *, durable: bool = True) -> Iterator[Path]:
    """``with atomic_path(dest) as tmp: write tmp`` -> on success ``tmp`` is
    fsynced and moved over ``dest``; on any error it is removed and ``dest``
    is untouched. ``tmp`` is in the same folder and keeps ``dest``'s suffix
    (writers that pick a format by extension still work). Leftovers of
    killed writers in that folder are removed first."""
    d = Path(dest)
    d.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(d.parent)
    tmp = temp_name(d)
    try:
        yield tmp
        commit(tmp, d, durable=durable)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(dest: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``dest`` so that ``dest`` always holds either its old
    content or ``data`` in full (temp file beside it, flush, fsync,
    ``os.replace``, fsync the folder). ``durable=False`` skips the fsyncs for
    caches that may be lost in a power cut."""
    with atomic_path(dest, durable=durable) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
    return Path(dest)


def atomic_write_text(dest: str | os.PathLike[str], text: str, *, durable: bool = True) -> Path:
    return atomic_write_bytes(dest, text.encode("utf-8"), durable=durable)
