"""``mashups cover``: cover art for a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

EXAMPLES = ["mashups cover Song.mashup -o cover.png --style blend --size wide"]


def register(sub: Any) -> None:
    from audio_engine.cover import SIZES, STYLES

    p = sub.add_parser("cover", help="cover art for a project (PNG/JPEG)",
                       description="Draw a cover from the project's title, its sources' artists and embedded "
                                   "artwork and the waveform. The same inputs always give the same image.")
    p.add_argument("project", help=".mashup project folder or archive")
    p.add_argument("-o", "--out", required=True, help="output .png or .jpg")
    p.add_argument("--style", choices=STYLES, default="split")
    p.add_argument("--size", choices=sorted(SIZES), default="square", help="square 1080x1080 or wide 1280x720")
    p.add_argument("--title", help="title text (default: the project title)")
    p.add_argument("--primary", default="#1e2a78", help="first colour #RRGGBB")
    p.add_argument("--secondary", default="#e0457b", help="second colour #RRGGBB")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from dataclasses import replace

    from audio_engine.app.context import unpack_folder
    from audio_engine.cli.context import cli_paths
    from audio_engine.cover import SIZES, save, spec_for_project
    from audio_engine.project import MediaStore, open_project

    paths = cli_paths().ensure()
    target = Path(args.project)
    opened = open_project(target, unpack_to=unpack_folder(target, paths.cache))
    spec = spec_for_project(opened.project, [opened.media, MediaStore(paths.media)], style=args.style,
                            size=SIZES[args.size], primary=args.primary, secondary=args.secondary)
    if args.title:
        spec = replace(spec, title=args.title)
    out = save(spec, args.out)
    print(f"wrote {out} ({spec.size[0]}x{spec.size[1]}, {spec.style})")
    return 0
