"""Atomic file writes: a file appears under its real name complete or not at
all, even if the process is killed or the power fails mid-write."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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


def commit(tmp: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """fsync ``tmp``, move it over ``dest`` (same folder) and fsync the folder."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)
    fsync_dir(Path(dest).parent)
    return Path(dest)


@contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """``with atomic_path(dest) as tmp: write tmp`` -> on success ``tmp`` is
    fsynced and moved over ``dest``; on any error it is removed and ``dest``
    is untouched. ``tmp`` is in the same folder and keeps ``dest``'s suffix
    (writers that pick a format by extension still work)."""
    d = Path(dest)
    d.parent.mkdir(parents=True, exist_ok=True)
    tmp = d.with_name(f".{d.stem}.{uuid.uuid4().hex[:8]}.part{d.suffix}")
    try:
        yield tmp
        commit(tmp, d)
    finally:
        if tmp.exists():
            tmp.unlink()
