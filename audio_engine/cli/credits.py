"""``mashups credits``: the credits of a project or of a rendered file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

EXAMPLES = ["mashups credits Song.mashup", "mashups credits mix.flac --json"]


def register(sub: Any) -> None:
    p = sub.add_parser("credits", help="the sources and lineage a mashup credits",
                       description="List the songs a project (.mashup folder or archive) uses, with fingerprint, "
                                   "album, ISRC and the parts used, and the works it derives from. A rendered "
                                   "file (.wav/.flac/.mp3) shows the credits in its tags or sidecar.")
    p.add_argument("target", help="a .mashup project or a rendered audio file")
    p.add_argument("--json", action="store_true", help="print the credits JSON")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from audio_engine.credits import Credits, project_credits
    from audio_engine.credits_tags import read_credits
    from audio_engine.errors import MashupsError

    target = Path(args.target)
    credits: Credits | None
    if target.suffix.lower() in (".wav", ".flac", ".mp3"):
        credits = read_credits(target)
        if credits is None:
            raise MashupsError(f"{target.name} carries no Mashups Studio credits (no tags, no sidecar).")
    else:
        from audio_engine.app.context import unpack_folder
        from audio_engine.cli.context import cli_paths
        from audio_engine.project import open_project

        opened = open_project(target, unpack_to=unpack_folder(target, cli_paths().ensure().cache))
        credits = project_credits(opened.project)
    print(credits.to_json(indent=2) if args.json else credits.summary())
    return 0
