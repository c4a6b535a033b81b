""""Remix this": a published mashup's project copied into a new project of
your own, crediting it (and, through its lineage, everything it was made
from). Qt-free; the copy is the whole project (tracks, clips, captions,
media), not the rendered audio.

The published mashup's licence decides: ``remix-with-credit`` and
``non-commercial`` allow it, anything else refuses with the reason.

Through the cloud (:func:`remix_published`): the server's ``remix_mashup``
(backend migration ``20261130000500_remix_this.sql``) checks the licence and
visibility, copies the published project's entities into a new cloud project
of the caller (counted against their plan) and grants read of its media
blobs; the client pulls the copy, downloads the media (resumable, verified)
into the content-addressed cache, writes the remix's title, artist and
lineage as ordinary entity changes, saves the ``.mashup`` folder and uploads
the media into the remixer's own folder (their storage quota), so the remix
no longer depends on the original.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from audio_engine.credits import project_credits, remix_lineage
from audio_engine.project import MediaResolver, MediaStore, Project, save_project
from audio_engine.project.entities import FIELDS, PROPS_ID, EntityChange, decompose
from audio_engine.project.model import new_id

from .community import CommunityClient, PublishRequest
from .errors import RpcError, SyncError
from .projects import ProjectSync, _offset, media_files
from .remix_packs import LICENCES
from .transport import Transport

Progress = Callable[[int, int], None]


NOT_OPEN = ("This mashup is not open to remixes (private, unlisted, removed, or its creator has not allowed "
            "remixes).")


class RemixNotAllowedError(SyncError):
    """The creator did not allow remixes of this mashup (or there is no such
    mashup: both answer the same, so no one learns which)."""


def remix_this(source: Project, *, mashup_id: str, licence: str, remixer: str, title: str | None = None,
               project_id: str | None = None) -> Project:
    """A new project (id ``project_id``, default a new one) with ``source``'s
    timeline and media, titled ``"<title> (remix)"`` unless ``title`` is
    given, by ``remixer``, whose lineage starts with the published mashup."""
    if licence not in LICENCES:
        raise RemixNotAllowedError("The creator of this mashup has not allowed remixes.")
    parent = project_credits(source)
    child = source.copy()
    child.id = project_id or new_id("project")
    child.title = title or f"{source.title} (remix)"
    child.artist = remixer
    child.lineage = remix_lineage(parent, kind="mashup", work_id=mashup_id, licence=licence)
    child.validate()
    return child


def remix_into_folder(source: Project, media: MediaResolver | MediaStore | list[MediaStore],
                      folder: str | os.PathLike[str], *, mashup_id: str, licence: str, remixer: str) -> Path:
    """:func:`remix_this` saved as a ``.mashup`` folder with its media copied in."""
    child = remix_this(source, mashup_id=mashup_id, licence=licence, remixer=remixer)
    return save_project(child, folder, media_sources=media)


# ------------------------------------------------------------------ through the cloud
@dataclass(frozen=True)
class RemixGrant:
    """What ``remix_mashup`` answered: the new cloud project and where its media are."""

    project_id: str
    mashup_id: str
    source_owner: str
    licence: str
    title: str
    media: Mapping[str, int]  # sha256 -> size in bytes

    @classmethod
    def from_json(cls, d: Any) -> RemixGrant:
        try:
            media = {str(m["sha256"]): int(m["size_bytes"]) for m in d["media"]}
            g = cls(str(uuid.UUID(str(d["project_id"]))), str(d["mashup_id"]), str(uuid.UUID(str(d["source_owner"]))),
                    str(d["licence"]), str(d["title"]), media)
        except (KeyError, TypeError, ValueError) as e:
            raise SyncError(f"the server's remix answer is malformed ({e})") from e
        if g.licence not in LICENCES or any(len(h) != 64 for h in media):
            raise SyncError("the server's remix answer is malformed")
        return g


def set_remix_licence(transport: Transport, mashup_id: str, licence: str | None) -> None:
    """Allow (``remix-with-credit`` / ``non-commercial``) or stop (None)
    remixes of your published mashup."""
    if licence is not None and licence not in LICENCES:
        raise ValueError(f"licence must be one of {', '.join(LICENCES)} (or none)")
    transport.rpc("set_remix_licence", {"p_mashup": mashup_id, "p_licence": licence})


def publish_with_licence(client: CommunityClient, request: PublishRequest, project: str | os.PathLike[str],
                         licence: str | None, *, projects: ProjectSync | None = None,
                         transport: Transport | None = None) -> dict[str, Any]:
    """Publish ``request``; with a remix ``licence`` the ``.mashup`` folder
    ``project`` is saved to the cloud first (remixers copy that cloud
    project; it counts as one of your cloud projects), the mashup is published
    with it and the licence set. Bad input is refused before anything is
    uploaded. The answer is ``publish_mashup``'s plus ``remix_licence``."""
    if licence is not None:
        if licence not in LICENCES:
            raise ValueError(f"the remix licence must be one of {', '.join(LICENCES)}")
        if request.visibility != "public":
            raise ValueError("only a public mashup can be opened to remixes")
        if projects is None or transport is None:
            raise ValueError("allowing remixes needs the cloud (sign in)")
        request.check()
        request = replace(request, project_id=projects.upload(Path(project)))
    r = client.publish(request)
    if licence is not None and transport is not None:
        set_remix_licence(transport, str(r["mashup_id"]), licence)
    r["remix_licence"] = licence
    return r


def remix_folder(parent: str | os.PathLike[str], title: str, project_id: str) -> Path:
    """A new ``.mashup`` folder for a remix in ``parent``, named by the
    mashup's title and keyed by the remix's cloud project id (never an
    existing folder: a suffix is added)."""
    safe = re.sub(r"[^A-Za-z0-9 _()-]", "", title).strip()[:80] or "Mashup"
    base = Path(parent) / f"{safe} (remix {project_id[:8]})"
    out, n = base.with_suffix(".mashup"), 2
    while out.exists():
        out = base.parent / f"{base.name} {n}.mashup"
        n += 1
    return out


Destination = str | os.PathLike[str] | Callable[[RemixGrant], Path]


def remix_published(projects: ProjectSync, transport: Transport, mashup_id: str, dest: Destination, *,
                    remixer: str, progress: Progress | None = None, project_id: str | None = None) -> tuple[str, Path]:
    """Copy a published mashup's project into a new project of your own
    (cloud and a ``.mashup`` folder). Returns (cloud project id, folder).

    ``dest`` is the folder, or a function choosing it from the server's
    answer (e.g. ``lambda g: remix_folder(parent, g.title, g.project_id)``).
    ``progress(done, total)`` counts media bytes (download, then upload).
    A remix that did not finish (a cut connection, a failed download) is
    resumed by the next call for the same mashup: its project id, and the
    folder a chooser picked for it, are kept in the local store until the
    remix is done, so the server copies nothing twice, downloads continue
    where they stopped and the retry writes into the same folder (with the
    same local project id)."""
    try:
        uuid.UUID(mashup_id)
    except ValueError:
        raise RemixNotAllowedError(NOT_OPEN) from None  # a malformed id answers like any id one cannot remix
    pending = f"remix-pending:{mashup_id}"
    kept = projects.store.cached_json(pending)
    kept = kept if isinstance(kept, dict) and kept.get("project_id") else {}
    pid = project_id or str(kept.get("project_id") or uuid.uuid4())
    if kept.get("project_id") != pid:
        kept = {}
    projects.store.cache_json(pending, {**kept, "project_id": pid})
    try:
        grant = RemixGrant.from_json(transport.rpc("remix_mashup", {"p_mashup": mashup_id, "p_project": pid}))
    except RpcError as e:
        projects.store.cache_json(pending, None)  # refused: nothing was copied, nothing to resume
        if e.code == "MS004":
            raise RemixNotAllowedError(NOT_OPEN) from e
        raise
    if callable(dest):
        folder = Path(kept["folder"]) if kept.get("folder") else dest(grant)
        projects.store.cache_json(pending, {"project_id": pid, "folder": str(folder)})
    else:
        folder = Path(dest)
    projects.engine.sync()  # pulls the copied entities of the new project
    source = projects.materialize(grant.project_id)
    files = [(h, ext) for h, ext, _, _ in media_files(source)]
    total = 2 * sum(grant.media.get(h, 0) for h, _ in files) or 1
    done = 0
    for h, ext in files:
        if h in grant.media and not projects.cache.has(h, ext):
            projects.media.download(h, projects.cache.path(h, ext), owner_id=grant.source_owner,
                                    progress=_offset(progress, done, total))
        done += grant.media.get(h, 0)
    model_id = "project-" + uuid.UUID(grant.project_id).hex[:12]  # the same on a retry
    if source.lineage and source.lineage[0].get("id") == grant.mashup_id:
        child = source  # a retry after the remix's title, artist and lineage were written: not twice
        child.id = model_id
    else:
        child = remix_this(source, mashup_id=grant.mashup_id, licence=grant.licence, remixer=remixer,
                           project_id=model_id)
    props = decompose(child)[("props", PROPS_ID)]
    projects.store.edit_entities(grant.project_id, [EntityChange("props", PROPS_ID, {
        k: props[k] for k in ("title", "artist", "lineage") if k in props})], full_fields=FIELDS)
    projects.store.edit("project", grant.project_id, {"title": child.title[:200]})
    folder = save_project(child, folder, media_sources=[projects.cache])
    projects.link(grant.project_id, folder, child.id)
    projects.upload_media(grant.project_id, child, MediaResolver([projects.cache]),
                          progress=_offset(progress, done, total))
    projects.sync_and_check(grant.project_id)
    projects.store.cache_json(pending, None)
    if progress:
        progress(total, total)
    return grant.project_id, folder
