"""``mashups fingerprint``: the Chromaprint fingerprint of an audio file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = ["mashups fingerprint song.flac --json", "mashups fingerprint a.mp3 --compare b.flac"]


def register(sub: Any) -> None:
    p = sub.add_parser("fingerprint", help="Chromaprint fingerprint of a song (fpcalc)",
                       description="Print the song's Chromaprint fingerprint (the form AcoustID looks up). "
                                   "With --compare, say whether two files are the same recording.")
    p.add_argument("file", help="audio file")
    p.add_argument("--compare", metavar="OTHER", help="another file: print the similarity and whether they match")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from audio_engine.fingerprint import MATCH_THRESHOLD, compute, similarity

    fp = compute(Path(args.file))
    out: dict[str, Any] = {"file": args.file, "duration": fp.duration, "fingerprint": fp.compressed}
    if args.compare:
        other = compute(Path(args.compare))
        sim = similarity(fp, other)
        out.update(compare=args.compare, similarity=round(sim, 4), same_recording=sim >= MATCH_THRESHOLD)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"duration: {fp.duration:.1f} s")
        print(f"fingerprint: {fp.compressed}")
        if args.compare:
            verdict = "same recording" if out["same_recording"] else "different recordings"
            print(f"similarity to {args.compare}: {out['similarity']:.3f} ({verdict})")
    return 0
