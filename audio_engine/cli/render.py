"""``mashups render``: render a saved project to WAV/FLAC/MP3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = ["mashups render mashup.mashup -o mashup.flac"]


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="render a project (.mashup folder or archive) to WAV/FLAC/MP3",
                       description="Offline render with the master limiter and loudness normalisation; "
                                   "unchanged clips come from the render cache.")
    p.add_argument("project", help=".mashup project folder (or exported archive)")
    p.add_argument("-o", "--output", required=True, help="output file: .wav, .flac or .mp3")
    p.add_argument("--target-lufs", type=float, default=-14.0, help="loudness (default -14 LUFS)")
    p.add_argument("--no-normalize", action="store_true", help="keep the mix level (limiter only)")
    p.add_argument("--ceiling", type=float, default=-1.0, help="true-peak ceiling in dBTP (default -1)")
    p.add_argument("--sample-rate", type=int, help="output sample rate (default: the project's)")
    p.add_argument("--hq", action="store_true",
                   help="Rubber Band's finer R3 engine (can drift off the beat on long clips; default: R2, exact timing)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from audio_engine.app.context import unpack_folder
    from audio_engine.cli.context import cli_context

    ctx = cli_context()
    try:
        return _render(args, ctx, unpack_folder(Path(args.project), ctx.paths.cache))
    finally:
        ctx.close()


def _render(args: Any, ctx: Any, unpack_to: Path | None) -> int:
    from audio_engine.cli.magic import progress_printer
    from audio_engine.project import open_project
    from audio_engine.project.render import render_project

    opened = open_project(Path(args.project), unpack_to=unpack_to)
    if opened.recovery is not None and not args.quiet:
        print("note: the project has a newer autosave; rendering the last saved version", flush=True)
    r = render_project(
        opened.project, media=[opened.media, ctx.media], out=Path(args.output),
        sample_rate=args.sample_rate, target_lufs=None if args.no_normalize else args.target_lufs,
        ceiling_db=args.ceiling, quality="high" if args.hq else "fast", cache=ctx.renders,
        progress=progress_printer(not args.quiet),
    )
    d = {"output": str(r.path), "duration_s": round(r.duration, 3), "seconds": round(r.seconds, 2),
         "realtime_factor": round(r.realtime_factor, 1), "clips_rendered": r.clips_rendered,
         "clips_cached": r.clips_cached, "tags": r.tags}
    if r.master is not None:
        d["lufs"] = round(r.master.output_lufs, 2)
        d["true_peak_db"] = round(r.master.true_peak_db, 2)
    print(json.dumps(d, indent=2) if args.json else
          f"{r.path}: {r.duration:.1f} s in {r.seconds:.1f} s ({r.realtime_factor:.1f}x realtime), "
          f"{d.get('lufs')} LUFS, {d.get('true_peak_db')} dBTP")
    return 0
