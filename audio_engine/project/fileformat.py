"""The ``.mashup`` project file: a folder (or, for sharing, a zip of the same
layout). See docs/project-format.md for the documented format.

::

    Song.mashup/
        project.json        envelope {format, version, revision, saved_at, project}
        media/<hash><ext>   each song and stem once, named by content hash
        backups/project-<revision>-<utc>.json   rotating (newest N kept)
        autosave.json       written by autosave(); newer than project.json
                            after a crash -> offered for recovery on open

Every write is atomic: temp file in the same folder, flush, fsync,
``os.replace``, fsync the folder. A process killed at any moment leaves
``project.json`` as the old or the new version, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audio_engine.atomic import atomic_path, fsync_dir
from audio_engine.atomic import atomic_write_bytes as _atomic_write_bytes
from audio_engine.errors import ProjectFileError
from audio_engine.project.media import (
    MediaResolver,
    MediaStore,
    as_resolver,
    check_ext,
    check_hash_name,
)
from audio_engine.project.model import Project

FORMAT_NAME = "mashups-project"
FORMAT_VERSION = 7
PROJECT_JSON = "project.json"
AUTOSAVE_JSON = "autosave.json"
MEDIA_DIR = "media"
BACKUP_DIR = "backups"
MAX_JSON_BYTES = 64 << 20
MAX_ARCHIVE_BYTES = 16 << 30
#: A project's JSON is about 10 levels deep (envelope > project > caption
#: lanes > lane > doc > segments > segment > words > word).
MAX_JSON_DEPTH = 32
#: One media file in an archive (a 3-hour 24-bit stereo WAV is ~2.9 GB).
MAX_MEMBER_BYTES = 4 << 30
#: Media is stored uncompressed in archives; a member that inflates more than
#: this is a zip bomb, not a song.
MAX_INFLATE_RATIO = 20
#: Disk space kept free when unpacking.
FREE_SPACE_MARGIN = 256 << 20


# -- atomic writes -----------------------------------------------------------
def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` always holds either its old
    content or ``data`` in full (the engine's one helper, audio_engine.atomic)."""
    _atomic_write_bytes(path, data)


# -- upgrades ----------------------------------------------------------------
def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the first studio preview) placed clips in seconds
    (``start``), kept linear track ``volume``, a ``bpm`` field, a ``"key"``
    per media, no markers, no caption lanes. Version 2 places clips in beats
    and keeps gains in dB."""
    import math

    d = dict(d)
    tempo = float(d.pop("bpm", d.get("tempo", 120.0)))
    d["tempo"] = tempo
    tracks = []
    for t in d.get("tracks", []):
        t = dict(t)
        vol = float(t.pop("volume", 1.0))
        t["gain_db"] = 20.0 * math.log10(vol) if vol > 0 else -120.0
        clips = []
        for c in t.get("clips", []):
            c = dict(c)
            if "start" in c:
                c["position"] = float(c.pop("start")) * tempo / 60.0
            c.setdefault("stretch_mode", "tempo" if c.get("source_bpm") else "fixed")
            clips.append(c)
        t["clips"] = clips
        tracks.append(t)
    d["tracks"] = tracks
    d.setdefault("markers", [])
    d.setdefault("caption_lanes", [])
    return d


#: ``UPGRADES[n]`` turns a version-n project dict into version n+1.
def _v2_to_v3(d: dict[str, Any]) -> dict[str, Any]:
    """Version 3 names media by SHA-256 instead of blake2b-160 (the one
    content hash, shared with cloud Storage and the sync tables). The JSON is
    unchanged here; the files are hashed again and the references rewritten
    where the media is (:func:`_upgrade_media_hashes`, called by
    :func:`open_project`, :func:`recover` and :func:`import_archive`)."""
    return d


def _v3_to_v4(d: dict[str, Any]) -> dict[str, Any]:
    """Version 4 adds credits: ``album``, ``isrc`` and ``fingerprint`` on each
    media entry and the project's ``lineage`` (all empty by default), so an
    older studio, which would reject those fields, is told to update instead."""
    return d


def _v4_to_v5(d: dict[str, Any]) -> dict[str, Any]:
    """Version 5 adds each track's mix settings (``duck_source``, ``duck_db``,
    ``duck_attack_ms``, ``duck_release_ms``, ``presence_dip_db``,
    ``presence_hz``, ``highpass_hz``: audio_engine.project.trackmix), off by
    default: a version-4 track reads as a track without them and renders as
    before; an older studio, which would reject the fields, is told to update."""
    return d


def _v5_to_v6(d: dict[str, Any]) -> dict[str, Any]:
    """Version 6 adds colours (``color`` on tracks, clips and markers, ``#rrggbb``) and
    a clip's stretch ``quality`` (``"fast"``/``"high"``), all null by default:
    a version-5 project opens and renders as before; an older studio, which
    would reject the fields, is told to update."""
    return d


def _v6_to_v7(d: dict[str, Any]) -> dict[str, Any]:
    """Version 7 adds a clip's ``reversed`` (played from its source end to its
    start), false by default: a version-6 project opens and renders as before;
    an older studio, which would reject the field, is told to update."""
    return d


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4,
                                                                   4: _v4_to_v5, 5: _v5_to_v6, 6: _v6_to_v7}


def _upgrade_media_hashes(env: Envelope, folder: Path) -> Envelope:
    """A project from before format 3: give its media (in ``folder/media``)
    SHA-256 names and rewrite the references (audio_engine.project.hashes)."""
    if env.upgraded_from is None or env.upgraded_from >= 3:
        return env
    from dataclasses import replace

    from audio_engine.project.hashes import rehash_project

    project, _ = rehash_project(env.project, [MediaStore(folder / MEDIA_DIR)])
    return replace(env, project=project)


def upgrade(version: int, project: dict[str, Any]) -> dict[str, Any]:
    if version > FORMAT_VERSION:
        raise ProjectFileError(
            f"This project was saved by a newer Mashups Studio (format {version}; this one reads up to {FORMAT_VERSION}).",
            hint="Update Mashups Studio to open it.",
        )
    if version < 1:
        raise ProjectFileError(f"Unknown project format version {version}.")
    while version < FORMAT_VERSION:
        project = UPGRADES[version](project)
        version += 1
    return project


# -- reading -----------------------------------------------------------------
@dataclass(frozen=True)
class Envelope:
    version: int
    revision: int
    saved_at: float
    project: Project
    upgraded_from: int | None


def _read_envelope(path: Path) -> Envelope:
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ProjectFileError(f"Cannot read {path}: {e.strerror or e}.") from e
    if size > MAX_JSON_BYTES:
        raise ProjectFileError(f"{path.name} is {size >> 20} MB; a project file is never that large.")
    return parse_envelope(path.read_bytes(), name=str(path))


def json_depth(value: object) -> int:
    """Nesting depth of parsed JSON, walked without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            deepest = max(deepest, depth)
            stack.extend((x, depth + 1) for x in v.values())
        elif isinstance(v, list):
            deepest = max(deepest, depth)
            stack.extend((x, depth + 1) for x in v)
    return deepest


def parse_envelope(data: bytes, *, name: str = "project.json") -> Envelope:
    try:
        d = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProjectFileError(f"{name} is not valid JSON ({e}); the file is damaged.",
                               hint="Open one of the backups in the project's backups folder.") from e
    except RecursionError as e:
        raise ProjectFileError(f"{name} nests its data thousands of levels deep; it is damaged or hostile.",
                               hint="Open one of the backups in the project's backups folder.") from e
    depth = json_depth(d)
    if depth > MAX_JSON_DEPTH:
        raise ProjectFileError(f"{name} nests its data {depth} levels deep (a project needs at most "
                               f"{MAX_JSON_DEPTH}); it is damaged or hostile.",
                               hint="Open one of the backups in the project's backups folder.")
    if not isinstance(d, dict) or d.get("format") != FORMAT_NAME:
        raise ProjectFileError(f"{name} is not a Mashups Studio project.")
    version = d.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ProjectFileError(f"{name} has no format version.")
    raw = d.get("project")
    if not isinstance(raw, dict):
        raise ProjectFileError(f"{name} holds no project.")
    raw = upgrade(version, raw)
    project = Project.from_dict(raw)
    return Envelope(version, int(d.get("revision", 0)), float(d.get("saved_at", 0.0)), project,
                    version if version != FORMAT_VERSION else None)


def envelope_bytes(project: Project, *, revision: int, autosave: bool = False) -> bytes:
    project.validate()
    d = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "revision": revision,
        "saved_at": time.time(),
        "saved_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "autosave": autosave,
        "project": project.to_dict(),
    }
    return json.dumps(d, indent=1, sort_keys=False).encode("utf-8")


@dataclass(frozen=True)
class Recovery:
    """An autosave newer than the last save (the studio crashed or was closed
    without saving)."""

    path: Path
    saved_at: float
    revision: int


@dataclass
class OpenedProject:
    project: Project
    path: Path
    revision: int
    saved_at: float
    recovery: Recovery | None = None
    upgraded_from: int | None = None
    #: ``(hash, ext, problem)`` of media in the project folder that is a link
    #: or does not match its hash (the renderer refuses those files).
    damaged: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def media(self) -> MediaStore:
        return MediaStore(self.path / MEDIA_DIR)


def _folder(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if p.suffix.lower() != ".mashup":
        p = p.with_name(p.name + ".mashup")
    return p


def _media_wanted(project: Project) -> list[tuple[str, str]]:
    out = []
    for ref in project.media.values():
        out.append((ref.hash, ref.ext))
        out.extend((h, ref.stem_exts.get(s, ".flac")) for s, h in ref.stems.items())
    return out


def open_project(path: str | os.PathLike[str], *, unpack_to: str | os.PathLike[str] | None = None) -> OpenedProject:
    """Open a ``.mashup`` folder, or a ``.mashup``/``.zip`` archive unpacked
    into the folder ``unpack_to`` (a cache or temp folder the caller chooses;
    never beside the archive). Upgrades older formats in memory;
    ``recovery`` is set when an autosave is newer than the last save; the
    project's media is checked against its hashes (cheap when unchanged
    since the last check) and problems are listed in ``damaged``."""
    p = Path(path)
    if p.is_file():
        if not zipfile.is_zipfile(p):
            raise ProjectFileError(f"{p.name} is neither a project folder nor a project archive.")
        if unpack_to is None:
            raise ProjectFileError(f"{p.name} is a project archive; it must be opened into a folder (unpack_to).")
        dest = _folder(unpack_to)
        if (dest / PROJECT_JSON).is_file():
            return open_project(dest)  # unpacked before (the caller names the folder by the archive's content)
        return import_archive(p, dest)
    if not p.is_dir():
        raise ProjectFileError(f"No project at {p}.")
    main = p / PROJECT_JSON
    auto = p / AUTOSAVE_JSON
    if not main.is_file():
        if auto.is_file():
            env = _upgrade_media_hashes(_read_envelope(auto), p)
            return OpenedProject(env.project, p, 0, 0.0, Recovery(auto, env.saved_at, env.revision), env.upgraded_from,
                                 MediaStore(p / MEDIA_DIR).verify_all(_media_wanted(env.project)))
        raise ProjectFileError(f"{p} has no {PROJECT_JSON}; it is not a Mashups Studio project.")
    env = _upgrade_media_hashes(_read_envelope(main), p)
    recovery = None
    if auto.is_file():
        try:
            a = _read_envelope(auto)
            if a.saved_at > env.saved_at:
                recovery = Recovery(auto, a.saved_at, a.revision)
        except ProjectFileError:
            recovery = None  # a damaged autosave is not offered
    damaged = MediaStore(p / MEDIA_DIR).verify_all(_media_wanted(env.project))
    return OpenedProject(env.project, p, env.revision, env.saved_at, recovery, env.upgraded_from, damaged)


def load_project(path: str | os.PathLike[str]) -> Project:
    return open_project(path).project


def recover(opened: OpenedProject) -> Project:
    """The autosaved project (call when the person accepts the recovery)."""
    if opened.recovery is None:
        raise ProjectFileError("There is no autosave to recover.")
    return _upgrade_media_hashes(_read_envelope(opened.recovery.path), opened.path).project


def _collect_media(project: Project, folder: Path, sources: MediaResolver | None, offline_ok: bool = False) -> None:
    store = MediaStore(folder / MEDIA_DIR)
    for ref in project.media.values():
        wanted = [(ref.hash, ref.ext)] + [(h, ref.stem_exts.get(s, ".flac")) for s, h in ref.stems.items()]
        for h, ext in wanted:
            if store.has(h, ext):
                continue
            if sources is None:
                raise ProjectFileError(f"Media {h[:12]}{ext} of {ref.name!r} is not in the project and no source was given.")
            try:
                src = sources.find(h, ext)
            except ProjectFileError:
                if (h == ref.hash and ref.stems) or offline_ok:
                    continue  # the full mix is optional when the stems are there; offline media stays offline
                raise
            store.add_file(src, known_hash=h)


def save_project(
    project: Project,
    path: str | os.PathLike[str],
    *,
    media_sources: MediaResolver | MediaStore | Sequence[MediaStore] | None = None,
    keep_backups: int = 5,
    offline_ok: bool = False,
) -> Path:
    """Save ``project`` to the ``.mashup`` folder ``path`` atomically.

    Media the project folder lacks is copied in from ``media_sources`` first
    (so the project is complete before its JSON names the media). The
    previous ``project.json`` is kept in ``backups/`` (newest
    ``keep_backups``); the autosave is removed once the save is in place.
    ``offline_ok``: media no source holds (the editor's offline clips) is
    left out and still named by the project, instead of refusing the save."""
    folder = _folder(path)
    folder.mkdir(parents=True, exist_ok=True)
    resolver = None if media_sources is None else as_resolver(media_sources)
    _collect_media(project, folder, resolver, offline_ok)
    main = folder / PROJECT_JSON
    revision = 1
    if main.is_file():
        try:
            revision = json.loads(main.read_bytes()).get("revision", 0) + 1
        except (OSError, ValueError, AttributeError):
            revision = int(time.time())
        if keep_backups > 0:
            bdir = folder / BACKUP_DIR
            bdir.mkdir(exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            target = bdir / f"project-{revision - 1:06d}-{stamp}.json"
            try:
                os.link(main, target)  # the old file is replaced, never modified: a link is a full copy
            except OSError:
                shutil.copy2(main, target)
            backups = sorted(bdir.glob("project-*.json"))
            for old in backups[: max(0, len(backups) - keep_backups)]:
                old.unlink(missing_ok=True)
    atomic_write_bytes(main, envelope_bytes(project, revision=revision))
    (folder / AUTOSAVE_JSON).unlink(missing_ok=True)
    return folder


def autosave(project: Project, path: str | os.PathLike[str]) -> Path:
    """Write the unsaved state to ``autosave.json`` (atomically). Call on a
    timer; :func:`open_project` offers it when it is newer than the save."""
    folder = _folder(path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / AUTOSAVE_JSON
    atomic_write_bytes(target, envelope_bytes(project, revision=-1, autosave=True))
    return target


def discard_autosave(path: str | os.PathLike[str]) -> None:
    (_folder(path) / AUTOSAVE_JSON).unlink(missing_ok=True)


def backups(path: str | os.PathLike[str]) -> list[Path]:
    """Backups of a project, newest last."""
    return sorted((_folder(path) / BACKUP_DIR).glob("project-*.json"))


# -- archives ----------------------------------------------------------------
def export_archive(
    project: Project,
    out: str | os.PathLike[str],
    *,
    media_sources: MediaResolver | MediaStore | Sequence[MediaStore],
) -> Path:
    """"Collect and export": one zip with ``project.json`` and every media
    file the project uses (and nothing else), written atomically."""
    resolver = as_resolver(media_sources)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(PROJECT_JSON, envelope_bytes(project, revision=0))
            done: set[str] = set()
            for ref in project.media.values():
                items = [(ref.hash, ref.ext, True)] + [(h, ref.stem_exts.get(s, ".flac"), False) for s, h in ref.stems.items()]
                for h, ext, optional in items:
                    if h + ext in done:
                        continue
                    try:
                        src = resolver.find(h, ext)
                    except ProjectFileError:
                        if optional and ref.stems:
                            continue
                        raise
                    # Audio is already compressed (FLAC/MP3): store, do not deflate again.
                    z.write(src, f"{MEDIA_DIR}/{h}{ext}", compress_type=zipfile.ZIP_STORED)
                    done.add(h + ext)
    return out


def check_archive_sizes(z: zipfile.ZipFile, archive: Path, dest: Path) -> None:
    """Refuse, before extracting anything, archives whose members or total
    would inflate past sane sizes or past the free disk space."""
    infos = z.infolist()
    total = 0
    for i in infos:
        if i.filename == PROJECT_JSON:
            if i.file_size > MAX_JSON_BYTES:
                raise ProjectFileError(f"{archive.name}: its project.json would be {i.file_size >> 20} MB; refusing.")
            continue
        if i.file_size > MAX_MEMBER_BYTES:
            raise ProjectFileError(f"{archive.name}: member {i.filename!r} would unpack to "
                                   f"{i.file_size / 1024**3:.1f} GB; refusing.")
        if i.file_size > (1 << 20) and i.file_size > MAX_INFLATE_RATIO * max(1, i.compress_size):
            raise ProjectFileError(
                f"{archive.name}: member {i.filename!r} would inflate {i.compress_size} bytes to "
                f"{i.file_size / 1024**2:.0f} MB (x{i.file_size // max(1, i.compress_size)}); that is a zip bomb, "
                "not project media. Refusing."
            )
        total += i.file_size
    if total > MAX_ARCHIVE_BYTES:
        raise ProjectFileError(f"{archive.name} would unpack to {total / 1024**3:.1f} GB; refusing.")
    probe = dest.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if total + FREE_SPACE_MARGIN > free:
        raise ProjectFileError(
            f"{archive.name} needs {total / 1024**3:.2f} GB to unpack but only {free / 1024**3:.2f} GB is free there."
        )


def _extract_member(z: zipfile.ZipFile, i: zipfile.ZipInfo, target: Path, archive: Path) -> None:
    """Copy one member, never writing more than its declared size, and say
    in words when it is damaged."""
    written = 0
    try:
        with z.open(i) as fi, open(target, "wb") as fo:
            while chunk := fi.read(1 << 20):
                written += len(chunk)
                if written > i.file_size:
                    raise ProjectFileError(f"{archive.name}: member {i.filename!r} holds more than it declares; "
                                           "the archive is damaged or hostile.")
                fo.write(chunk)
            fo.flush()
            os.fsync(fo.fileno())
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise ProjectFileError(f"{archive.name}: member {i.filename!r} is damaged ({e}); the archive cannot be opened.",
                               hint="Export the archive again, or copy it again if it came over a network.") from e
    except OSError as e:
        raise ProjectFileError(f"{archive.name}: cannot unpack {i.filename!r}: {e.strerror or e}.") from e


def import_archive(archive: str | os.PathLike[str], dest: str | os.PathLike[str]) -> OpenedProject:
    """Unpack an exported archive into the project folder ``dest`` (must not
    exist or be empty). Member names are checked (no paths outside), sizes
    are capped, and every media file is verified against its hash."""
    archive = Path(archive)
    dest = _folder(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ProjectFileError(f"{dest} already exists and is not empty; choose another folder to unpack into.")
    try:
        z = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as e:
        raise ProjectFileError(f"{archive.name} is not a readable project archive: {e}") from e
    with z:
        names = z.namelist()
        if PROJECT_JSON not in names:
            raise ProjectFileError(f"{archive.name} holds no {PROJECT_JSON}; it is not a project archive.")
        check_archive_sizes(z, archive, dest)
        try:
            raw_json = z.read(PROJECT_JSON)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
            raise ProjectFileError(f"{archive.name}: its project.json is damaged ({e}).") from e
        env = parse_envelope(raw_json, name=f"{archive.name}:{PROJECT_JSON}")
        media: list[tuple[zipfile.ZipInfo, str, str]] = []
        for i in z.infolist():
            if i.filename == PROJECT_JSON or i.is_dir():
                continue
            parts = i.filename.split("/")
            if len(parts) != 2 or parts[0] != MEDIA_DIR:
                raise ProjectFileError(f"{archive.name} holds an unexpected entry {i.filename!r}; refusing to unpack.")
            stem, dot, ext = parts[1].rpartition(".")
            if not dot:
                raise ProjectFileError(f"Bad media name {parts[1]!r} in {archive.name}.")
            media.append((i, check_hash_name(stem), check_ext("." + ext)))
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.unpack")
        try:
            (tmp / MEDIA_DIR).mkdir(parents=True)
            store = MediaStore(tmp / MEDIA_DIR)
            from audio_engine.io import file_hash

            for i, h, ext in media:
                target = store.path(h, ext)
                _extract_member(z, i, target, archive)
                from audio_engine.project.hashes import is_legacy, legacy_file_hash

                if (legacy_file_hash(target) if is_legacy(h) and env.upgraded_from else file_hash(target)) != h:
                    raise ProjectFileError(f"Media {h[:12]}{ext} in {archive.name} is damaged (hash mismatch).")
            env = _upgrade_media_hashes(env, tmp)
            atomic_write_bytes(tmp / PROJECT_JSON, envelope_bytes(env.project, revision=1))
            if dest.exists():
                dest.rmdir()
            os.replace(tmp, dest)
            fsync_dir(dest.parent)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return open_project(dest)
