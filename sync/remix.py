""""Remix this": a published mashup's project copied into a new project of
your own, crediting it (and, through its lineage, everything it was made
from). Qt-free; the copy is the whole project (tracks, clips, captions,
media), not the rendered audio.

The published mashup's licence decides: ``remix-with-credit`` and
``non-commercial`` allow it, anything else refuses with the reason. Getting
the published project from the server (publishing keeps its cloud project
id) is the community client's part; this module starts from the project.
"""

from __future__ import annotations

import os
from pathlib import Path

from audio_engine.credits import project_credits, remix_lineage
from audio_engine.project import MediaResolver, MediaStore, Project, save_project
from audio_engine.project.model import new_id

from .errors import SyncError
from .remix_packs import LICENCES


class RemixNotAllowedError(SyncError):
    """The creator did not allow remixes of this mashup."""


def remix_this(source: Project, *, mashup_id: str, licence: str, remixer: str, title: str | None = None) -> Project:
    """A new project (new id) with ``source``'s timeline and media, titled
    ``"<title> (remix)"`` unless ``title`` is given, by ``remixer``, whose
    lineage starts with the published mashup."""
    if licence not in LICENCES:
        raise RemixNotAllowedError("The creator of this mashup has not allowed remixes.")
    parent = project_credits(source)
    child = source.copy()
    child.id = new_id("project")
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
