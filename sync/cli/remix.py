"""``mashups remix MASHUP_ID [--into FOLDER]`` and ``mashups remix-licence
MASHUP_ID LICENCE`` (issue 16, "Remix this"); ``mashups publish
--remix-licence`` is in :mod:`sync.cli.community`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sync.remix import RemixGrant, remix_folder, remix_published, set_remix_licence
from sync.remix_packs import LICENCES
from sync.session import CloudSession

from .common import command, emit
from .community import _signed_in
from .projects import _progress

EXAMPLES = [
    "mashups remix MASHUP_ID --into ~/Mashups",
    "mashups remix-licence MASHUP_ID non-commercial",
]


def register(sub: Any) -> None:
    p = sub.add_parser("remix", help="copy a published mashup's project into a new project of yours (Remix this)",
                       description="Copies the whole project (tracks, clips, captions, media) of a public mashup "
                                   "whose creator allowed remixes into a new cloud project of yours, credited to it, "
                                   "and saves it as a .mashup folder. Counts as one of your cloud projects. "
                                   "Run it again to resume a remix that was cut off.")
    p.add_argument("mashup", metavar="MASHUP_ID")
    p.add_argument("--into", type=Path, default=Path("."), metavar="FOLDER",
                   help="folder to put the new .mashup project in (default: the current folder)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=command(_remix))


def register_licence(sub: Any) -> None:
    p = sub.add_parser("remix-licence", help="allow or stop remixes of one of your published mashups",
                       description="Allow others to remix one of your public mashups published with its project "
                                   "(mashups publish --remix-licence), or stop new remixes ('none'; existing "
                                   "remixes stay).")
    p.add_argument("mashup", metavar="MASHUP_ID")
    p.add_argument("licence", choices=(*LICENCES, "none"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=command(_licence))


def _remix(args: argparse.Namespace, s: CloudSession) -> int:
    ps = s.require_projects()
    cloud = s.require()
    into: Path = args.into.expanduser().resolve()
    if into.exists() and not into.is_dir():
        raise ValueError(f"{into} is not a folder")
    email = str(cloud.auth.email or "")
    print(f"Remixing {args.mashup}…", file=sys.stderr)

    def dest(grant: RemixGrant) -> Path:
        print(f"Copied “{grant.title}” on the server ({grant.licence}); fetching its media…", file=sys.stderr)
        return remix_folder(into, grant.title, grant.project_id)

    pid, folder = remix_published(ps, cloud.transport, args.mashup, dest, remixer=email.split("@")[0] or "me",
                                  progress=_progress)
    print(file=sys.stderr)
    from audio_engine.credits import project_credits
    from audio_engine.project import open_project

    project = open_project(folder).project
    lineage = project_credits(project).lineage
    data = {"project_id": pid, "path": str(folder), "mashup_id": args.mashup, "title": project.title,
            "licence": lineage[0].licence if lineage else None,
            "lineage": [w.to_dict() for w in lineage]}
    emit(args, data, f"Remixed into {folder} (cloud project {pid}), credited: "
                     + "; ".join((w.title or w.id) + (f" by {w.artist}" if w.artist else "") for w in lineage))
    return 0


def _licence(args: argparse.Namespace, s: CloudSession) -> int:
    _signed_in(s)
    licence = None if args.licence == "none" else args.licence
    set_remix_licence(s.require().transport, args.mashup, licence)
    emit(args, {"mashup_id": args.mashup, "remix_licence": licence},
         f"Remixes of {args.mashup}: " + (LICENCES[licence] if licence else "not allowed"))
    return 0
