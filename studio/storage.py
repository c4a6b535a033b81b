"""Where the studio keeps its files, as chosen in Settings.

Three folders can move: the library and projects ("data"), the cache
(stems, waveforms, analyses, clip renders) and the models. The choice is
stored in the settings and applied by the composition root at the next
start (the library database, caches and job workers open their folders
once, so a move while running would split the data between two places).
An environment variable naming a folder (``MASHUPS_DATA_DIR``,
``MASHUPS_CACHE_DIR``, ``MASHUPS_MODEL_DIR``) still wins over the setting.
The composition root passes the resulting folders to everything it builds
(caches, the models folder for separation and captions, the Magic worker's
folders, the publish preparation): engine functions never pick a folder
themselves, so nothing is exported to the environment.
Files already in the old folder are not moved.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from audio_engine.paths import StudioPaths
from studio.settings import Settings


@dataclass(frozen=True)
class Folder:
    field: str  # StudioPaths attribute
    key: str  # settings key
    env: str  # environment variable that overrides the setting
    label: str


FOLDERS = (
    Folder("data", "storage/data", "MASHUPS_DATA_DIR", "Library and projects"),
    Folder("cache", "storage/cache", "MASHUPS_CACHE_DIR", "Cache (stems, waveforms, analyses)"),
    Folder("models", "storage/models", "MASHUPS_MODEL_DIR", "Models"),
)


class StorageFolderError(ValueError):
    """A folder that cannot be used, with a message for people."""


def check_folder(text: str) -> Path:
    """The folder ``text`` names, created if needed and proven writable;
    StorageFolderError otherwise (nothing is changed then)."""
    text = text.strip()
    if not text:
        raise StorageFolderError("Choose a folder.")
    p = Path(text).expanduser()
    if not p.is_absolute():
        raise StorageFolderError(f"Use a full path (for example {Path.home() / 'Mashups'}), not “{text}”.")
    if p.exists() and not p.is_dir():
        raise StorageFolderError(f"{p} is a file, not a folder.")
    probe = p / ".mashups-write-test"
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as e:
        raise StorageFolderError(f"The studio cannot write to {p}: {e.strerror or e}.") from e
    return p


def configured_paths(base: StudioPaths, settings: Settings, environ: Mapping[str, str] | None = None
                     ) -> tuple[StudioPaths, list[str]]:
    """``base`` with the folders chosen in Settings, except where the
    environment names a folder itself; and problems for people (a chosen
    folder that cannot be used now, e.g. an unplugged drive, is skipped and
    the default used: the start never fails over it)."""
    env = os.environ if environ is None else environ
    paths = base
    problems: list[str] = []
    for f in FOLDERS:
        chosen = settings.str(f.key).strip()
        if not chosen or env.get(f.env):
            continue
        try:
            folder = check_folder(chosen)
        except StorageFolderError as e:
            problems.append(f"{f.label}: {e} Using {getattr(base, f.field)} instead.")
            continue
        paths = replace(paths, **{f.field: folder})
    return paths, problems


def folder_source(folder: Folder, settings: Settings, in_use: Path, environ: Mapping[str, str] | None = None) -> str:
    """A sentence about where ``folder`` is and when a change applies."""
    env = os.environ if environ is None else environ
    chosen = settings.str(folder.key).strip()
    if env.get(folder.env) and Path(env[folder.env]) == in_use and chosen and Path(chosen) != in_use:
        return f"{folder.env} is set, so {in_use} stays in use; the chosen folder is ignored while it is."
    if chosen and Path(chosen) != in_use:
        return f"Used after a restart (now: {in_use}). Files already there are not moved."
    return "In use." if chosen else "In use (the default folder)."
