"""Cloud projects: save a ``.mashup`` project to the cloud, list, open
(download) on another computer, record edits, rename, remove.

The cloud copy of a project is its row in ``projects`` (title/tempo/key for
lists), one ``project_media`` row per media file (content hash = SHA-256,
the one hash of the project format, the media store and Storage paths), and
its contents as entities (``audio_engine.project.entities``) synced field by
field. Media blobs live in Storage under ``<owner>/blobs/<sha256>/``; opening
a cloud project fetches them on demand into a content-addressed cache
(``<data>/media-cache/<sha256><ext>``), resumably, each verified by its hash.

Every method here may block on the network: the studio runs them as jobs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audio_engine.errors import ProjectFileError
from audio_engine.project.commands import Command
from audio_engine.project.entities import FIELDS, EntityChange, command_changes, compose, decompose
from audio_engine.project.fileformat import open_project, save_project
from audio_engine.project.media import MediaResolver, MediaStore
from audio_engine.project.model import Project

from .engine import SyncEngine, SyncReport
from .errors import AuthRequiredError, IntegrityError, SyncError, TierLimitError
from .media import MediaStorage
from .store import LocalStore

Progress = Callable[[int, int], None]
_NS = uuid.UUID("6f1f6c1e-52b1-4d8e-9a0e-2f6c1b5d7a11")


@dataclass(frozen=True)
class CloudProject:
    id: str
    title: str
    owner_id: str | None
    mine: bool
    local_path: Path | None
    pending: int
    rejected: int
    size_bytes: int
    bpm: float | None

    @property
    def state(self) -> str:
        """synced | pending | conflict (rejected changes) | shared with me."""
        if self.rejected:
            return "conflict"
        if self.pending:
            return "pending"
        return "synced" if self.mine else "shared with me"


def media_files(project: Project) -> list[tuple[str, str, str, str]]:
    """(hash, ext, role, name) of every file the project uses."""
    out: list[tuple[str, str, str, str]] = []
    for ref in project.media.values():
        out.append((ref.hash, ref.ext, "source", ref.name))
        for stem, h in ref.stems.items():
            out.append((h, ref.stem_exts.get(stem, ".flac"), "stem", f"{ref.name} ({stem})"))
    return out


class ProjectSync:
    def __init__(self, store: LocalStore, engine: SyncEngine, media: MediaStorage, *, cache_dir: Path,
                 user_id: Callable[[], str | None]) -> None:
        self.store = store
        self.engine = engine
        self.media = media
        self.cache = MediaStore(cache_dir)
        self._user_id = user_id

    # ------------------------------------------------------------ links (cloud id <-> local folder)
    def link(self, project_id: str, path: Path, model_id: str) -> None:
        self.store.cache_json(f"link:{project_id}", {"path": str(path), "model_id": model_id})

    def linked_path(self, project_id: str) -> Path | None:
        d = self.store.cached_json(f"link:{project_id}")
        return Path(d["path"]) if d else None

    def project_for(self, model_id: str) -> str | None:
        """The cloud id of a local project (by the project's own id)."""
        for pid in self._linked_ids():
            d = self.store.cached_json(f"link:{pid}")
            if d and d.get("model_id") == model_id:
                row = self.store.project(pid)
                if row is None or not row["deleted"]:
                    return pid
        return None

    def _linked_ids(self) -> list[str]:
        with self.store._lock:
            rows = self.store._db.execute("select key from meta where key like 'cache:link:%'").fetchall()
        return [str(r[0])[len("cache:link:"):] for r in rows]

    # ------------------------------------------------------------ list
    def list(self) -> list[CloudProject]:
        me = self._user_id()
        out = []
        for row in self.store.projects():
            pid = str(row["id"])
            size = sum(int(m["size_bytes"] or 0) for m in self.store.media(pid))
            out.append(CloudProject(pid, str(row["title"]), row.get("owner_id"),
                                    row.get("owner_id") in (None, me), self.linked_path(pid),
                                    self.store.pending_for(pid), self.store.rejected_for(pid), size, row.get("bpm")))
        return sorted(out, key=lambda p: (p.title.lower(), p.id))

    # ------------------------------------------------------------ save to cloud
    def upload(self, path: Path, *, progress: Progress | None = None, title: str | None = None) -> str:
        """Save a local project to the cloud (or bring its cloud copy up to
        date). Returns the cloud project id. Media upload is resumable."""
        if not self._user_id():
            raise AuthRequiredError()
        opened = open_project(path)
        project = opened.project
        pid = self.project_for(project.id) or str(uuid.uuid4())
        # the project row first: a plan limit refuses it before any media is sent
        self.store.edit("project", pid, {"title": title or project.title, "bpm": round(project.tempo, 2),
                                         "musical_key": (project.key or "")[:8] or None,
                                         "duration_s": round(project.end_seconds(), 3)})
        self.engine.push()
        self._check_limits(pid)
        files = media_files(project)
        store = opened.media
        total = sum(store.path(h, e).stat().st_size for h, e, _, _ in files if store.has(h, e)) or 1
        sent = 0
        uploaded: list[tuple[str, str, str, str, int, str]] = []
        for h, ext, role, name in files:
            if not store.has(h, ext):
                continue  # an optional full mix the project does not carry
            base = sent
            res = self.media.upload(store.path(h, ext), progress=_offset(progress, base, total))
            if res.sha256 != h:
                raise IntegrityError(f"media {h[:12]}{ext} does not match its content hash "
                                     "(re-open and save the project to upgrade it)")
            sent += res.size
            uploaded.append((h, ext, role, name, res.size, res.storage_path))
        for h, ext, role, name, size, spath in uploaded:
            mid = str(uuid.uuid5(_NS, f"{pid}:{h}"))
            if self.store.get("project_media", mid) is None:
                self.store.add_media_row(mid, pid, role=role, name=name[:300], sha256=h, size_bytes=size,
                                         mime=f"audio/{ext.lstrip('.')}", storage_path=spath)
        known = {k for k in self.store.entities(pid)}
        changes = [EntityChange(k, i, f) for (k, i), f in decompose(project).items() if (k, i) not in known]
        self.store.edit_entities(pid, changes, full_fields=FIELDS)
        self.link(pid, opened.path, project.id)
        self.sync_and_check(pid)
        return pid

    def upload_media(self, project_id: str, project: Project, resolver: MediaResolver, *,
                     progress: Progress | None = None) -> int:
        """Send the media files the project uses that its cloud copy lacks
        (a song added in the editor) and record their rows; returns how many."""
        if not self._user_id():
            raise AuthRequiredError()
        have = {m["sha256"] for m in self.store.media(project_id)}
        todo = []
        for h, ext, role, name in media_files(project):
            if h in have:
                continue
            try:
                todo.append((h, ext, role, name, resolver.find(h, ext)))
            except ProjectFileError:
                continue  # an optional full mix this computer does not have
        total = sum(p.stat().st_size for *_, p in todo) or 1
        sent = 0
        for h, ext, role, name, path in todo:
            res = self.media.upload(path, progress=_offset(progress, sent, total))
            if res.sha256 != h:
                raise IntegrityError(f"media {h[:12]}{ext} does not match its content hash")
            sent += res.size
            self.store.add_media_row(str(uuid.uuid5(_NS, f"{project_id}:{h}")), project_id, role=role,
                                     name=name[:300], sha256=h, size_bytes=res.size,
                                     mime=f"audio/{ext.lstrip('.')}", storage_path=res.storage_path)
        if todo:
            self.sync_and_check(project_id)
        return len(todo)

    def sync_and_check(self, project_id: str | None = None) -> SyncReport:
        """Push and pull; a plan limit that refused this project's changes raises :class:`TierLimitError`."""
        report = self.engine.sync()
        if project_id is not None:
            self._check_limits(project_id)
        return report

    def _check_limits(self, project_id: str) -> None:
        for e in self.store.rejected():
            if (e.entity_id == project_id or e.project_id == project_id) and e.reason == "tier_limit":
                raise TierLimitError(403, "MS001", e.detail or "plan limit reached", _limit_name(e.detail))

    # ------------------------------------------------------------ open on another computer
    def materialize(self, project_id: str) -> Project:
        ents = self.store.entities(project_id)
        if not ents:
            raise SyncError("this cloud project has no contents yet (sync first, or it was saved by an older app)")
        return compose(ents)

    def fetch_media(self, project_id: str, project: Project, *, progress: Progress | None = None) -> None:
        """Bring every media file of the project into the cache (on demand,
        resumable, each checked against its hash)."""
        row = self.store.project(project_id)
        owner = row.get("owner_id") if row else None
        sizes = {m["sha256"]: int(m["size_bytes"] or 0) for m in self.store.media(project_id)}
        total = sum(sizes.values()) or 1
        got = 0
        for h, ext, _, _ in media_files(project):
            if self.cache.has(h, ext):
                got += sizes.get(h, 0)
                continue
            if h not in sizes:
                continue  # optional full mix that was not uploaded
            self.media.download(h, self.cache.path(h, ext), owner_id=owner if owner != self._user_id() else None,
                                progress=_offset(progress, got, total))
            got += sizes[h]

    def download(self, project_id: str, dest: Path, *, progress: Progress | None = None) -> Path:
        """Write the cloud project as a ``.mashup`` folder at ``dest`` with its
        media (fetched into the cache first, resumably, hash-checked)."""
        self.engine.sync()
        row = self.store.project(project_id)
        if row is None or row["deleted"]:
            raise SyncError("no such cloud project (or you no longer have access to it)")
        project = self.materialize(project_id)
        self.fetch_media(project_id, project, progress=progress)
        folder = save_project(project, dest, media_sources=[self.cache])
        self.link(project_id, folder, project.id)
        return folder

    def refresh_local(self, project_id: str) -> Project:
        """After a pull changed a linked project: fetch new media and write the
        merged project to its local folder (the file holds what the cloud holds)."""
        path = self.linked_path(project_id)
        if path is None:
            raise SyncError("this cloud project is not on this computer")
        project = self.materialize(project_id)
        self.fetch_media(project_id, project)
        save_project(project, path, media_sources=[MediaStore(path / "media"), self.cache])
        return project

    # ------------------------------------------------------------ edits
    def record(self, project_id: str, command: Command, project: Project) -> int:
        """Queue the entity changes an applied (or reverted) command made."""
        changes = command_changes(command, project)
        n = self.store.edit_entities(project_id, changes, full_fields=FIELDS)
        props = [c for c in changes if c.kind == "props"]
        if props:
            self.store.edit("project", project_id, {"title": project.title[:200], "bpm": round(project.tempo, 2)})
        return n

    def rename(self, project_id: str, title: str) -> None:
        title = title.strip()
        if not title or len(title) > 200:
            raise ValueError("a project title is 1-200 characters")
        self.store.edit("project", project_id, {"title": title})
        self.store.edit_entities(project_id, [EntityChange("props", "project", {"title": title})], full_fields=FIELDS)

    def remove(self, project_id: str) -> None:
        """Remove from the cloud (a tombstone); the local copy stays."""
        self.store.delete_project(project_id)
        self.store.cache_json(f"link:{project_id}", None)


def _offset(progress: Progress | None, base: int, total: int) -> Progress | None:
    if progress is None:
        return None
    p = progress

    def inner(done: int, _size: int) -> None:
        p(base + done, total)

    return inner


def _limit_name(detail: str | None) -> str:
    text = detail or ""
    for name in ("max_projects", "storage_bytes", "max_collaborators"):
        if name in text:
            return name
    return "plan limit"


def describe_limit(name: str) -> str:
    return {"max_projects": "cloud projects", "storage_bytes": "cloud storage",
            "max_collaborators": "collaborators"}.get(name, name)

