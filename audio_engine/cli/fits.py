"""``mashups fits``: which songs in a library folder mash up best with one song."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = ["mashups fits song.flac --library ~/Music --top 10"]


def register(sub: Any) -> None:
    p = sub.add_parser("fits", help='"what fits with this": rank a library folder for one song',
                       description="Score every song in the folder (tempo ratio, key distance on the Camelot wheel, "
                                   "chroma and rhythm similarity) with the pitch shift and stretch each pairing needs. "
                                   "Analyses are cached, so a second run is fast.")
    p.add_argument("song", help="the song you have")
    p.add_argument("--library", required=True, help="folder of songs (searched recursively)")
    p.add_argument("--role", choices=["vocals", "instrumental"], default="vocals",
                   help="what SONG gives in the mashup (default: vocals)")
    p.add_argument("--top", type=int, default=10, help="how many to list (default 10)")
    p.add_argument("--max-stretch", type=float, default=0.2)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from audio_engine.cli.context import cli_context
    from audio_engine.magic import what_fits

    ctx = cli_context()
    try:
        fits, skipped = what_fits(Path(args.song), library=Path(args.library), role=args.role,
                                  max_stretch=args.max_stretch, limit=args.top, caches=ctx.magic_caches())
    finally:
        ctx.close()
    if args.json:
        print(json.dumps({"song": args.song, "role": args.role, "fits": [f.to_dict() for f in fits],
                          "skipped": skipped}, indent=2))
        return 0
    print(f"{'score':>5}  {'bpm':>6}  {'key':<10} {'shift':>5}  {'relation':<12} {'stretch':>7}  song")
    for f in fits:
        d = f.to_dict()
        print(f"{d['score']:5.2f}  {d['bpm']:6.1f}  {d['key']:<10} {d['shift_semitones']:+5d}  "
              f"{d['camelot_relation']:<12} {d['stretch_ratio_vocals']:7.3f}  {f.path.name}")
    for s in skipped:
        print(f"skipped: {s}")
    return 0
