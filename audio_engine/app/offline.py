"""A project whose media is missing, and a project file that is damaged.

* :func:`missing_media` lists the media files (songs and stems) that no store
  holds, with the clips that play them: those clips are *offline*. The
  project still opens; the editor marks the clips and plays the rest.
* :func:`locate` relinks one: the file a person points at is hashed and, when
  its bytes are the missing media's (the content hash the project names),
  copied into the media store, which brings back every clip that uses it. A
  file with other content is refused with words, and nothing is stored.
* :func:`list_backups` / :func:`open_backup` read the rotating backups a save
  keeps (``backups/project-<revision>-<utc>.json``) when ``project.json`` is
  damaged, newest first, each with what it holds.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from audio_engine.atomic import atomic_path
from audio_engine.errors import ProjectFileError
from audio_engine.io import file_hash
from audio_engine.project import MediaResolver, MediaStore, Project
from audio_engine.project.fileformat import backups, parse_envelope


@dataclass
class MissingMedia:
    """One media file (a song, or one of its stems) that no store holds."""

    hash: str
    ext: str
    name: str  # the song's name in the project
    stem: str | None  # None: the song file itself
    clip_ids: list[str] = field(default_factory=list)

    def label(self) -> str:
        return f"{self.name} ({self.stem})" if self.stem else self.name


def _held(resolver: MediaResolver, h: str, ext: str) -> bool:
    return any(s.path(h, ext).is_file() or s.path(h, ext).is_symlink() for s in resolver.stores)


def missing_media(project: Project, resolver: MediaResolver) -> list[MissingMedia]:
    """The media files of clips that no store of ``resolver`` holds, each with
    the clips that play it (in the project's order). Cheap: no hashing."""
    out: dict[tuple[str, str], MissingMedia] = {}
    for clip in project.clips():
        ref = project.media.get(clip.media)
        if ref is None:
            continue  # a project never holds such a clip (validated on load)
        h, ext = ref.file_hash(clip.stem), ref.file_ext(clip.stem)
        if (h, ext) not in out and _held(resolver, h, ext):
            continue
        out.setdefault((h, ext), MissingMedia(h, ext, ref.name, clip.stem)).clip_ids.append(clip.id)
    return list(out.values())


def offline_clip_ids(project: Project, resolver: MediaResolver) -> set[str]:
    return {cid for m in missing_media(project, resolver) for cid in m.clip_ids}


def playable(project: Project, offline: set[str]) -> Project:
    """A copy of ``project`` without the ``offline`` clips (what playback can render)."""
    if not offline:
        return project
    copy = project.copy()
    for t in copy.tracks:
        t.clips = [c for c in t.clips if c.id not in offline]
    return copy


def locate(path: str | os.PathLike[str], missing: list[MissingMedia], store: MediaStore) -> MissingMedia:
    """Relink the missing media whose bytes ``path`` holds: it is stored in
    ``store`` under its content hash (and the project's extension for it).
    Returns the entry relinked; raises :class:`ProjectFileError` when the file
    is none of them (nothing is stored then)."""
    p = Path(path)
    if not p.is_file():
        raise ProjectFileError(f"{p} is not a file.")
    try:
        h = file_hash(p)
    except OSError as e:
        raise ProjectFileError(f"Cannot read {p.name}: {e.strerror or e}.") from e
    match = next((m for m in missing if m.hash == h), None)
    if match is None:
        wanted = ", ".join(f"“{m.label()}”" for m in missing) or "nothing"
        raise ProjectFileError(
            f"{p.name} is not the missing media: its content differs from what the project recorded "
            f"(missing: {wanted}).",
            hint="Choose the very same file the song was added from (a re-encoded copy has other content).")
    if p.suffix.lower() == match.ext:
        store.add_file(p, known_hash=h)  # copied, and verified against the hash before it appears
    else:  # the same bytes under another name: stored under the project's extension, verified the same way
        with atomic_path(store.path(h, match.ext)) as tmp:
            shutil.copyfile(p, tmp)
            if file_hash(tmp) != h:
                raise ProjectFileError(f"{p.name} changed while it was being copied; try again.")
    return match


@dataclass(frozen=True)
class Backup:
    path: Path
    revision: int
    saved_at: float
    title: str
    tracks: int
    clips: int


def list_backups(folder: str | os.PathLike[str]) -> list[Backup]:
    """The project's backups that can be read, newest first (damaged ones are left out)."""
    out = []
    for b in backups(folder):
        try:
            env = parse_envelope(b.read_bytes(), name=b.name)
        except (OSError, ProjectFileError):
            continue
        p = env.project
        out.append(Backup(b, env.revision, env.saved_at, p.title, len(p.tracks), len(p.clips())))
    return sorted(out, key=lambda b: (b.saved_at, b.revision), reverse=True)


def open_backup(backup: Backup | str | os.PathLike[str]) -> Project:
    """The project a backup holds (upgraded to the current format in memory)."""
    path = backup.path if isinstance(backup, Backup) else Path(backup)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ProjectFileError(f"Cannot read the backup {path.name}: {e.strerror or e}.") from e
    return parse_envelope(data, name=path.name).project
