"""``mashups analyze``: tempo, beats, downbeats, key, loudness of audio files."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXAMPLES = [
    "mashups analyze song.flac --json",
    "mashups analyze *.mp3 --tempo-range 85 170",
]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "analyze",
        help="tempo (BPM), beat grid, downbeats, key (Camelot), LUFS and true peak of audio files",
        description=(
            "Analyse each file: tempo from a constant-tempo beat grid (hundredths of a BPM) with the half/double "
            "alternative, beats, downbeats, key with Camelot code, integrated loudness (LUFS) and true peak "
            "(dBTP). Results are cached by file content. A file that cannot be read prints an error and the "
            "others go on; the exit status is 1 if any failed."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files (WAV, FLAC, OGG, MP3, M4A)")
    p.add_argument("--json", action="store_true", help="one JSON object per file, one per line (JSON lines)")
    p.add_argument("--tempo-range", nargs=2, type=float, metavar=("LOW", "HIGH"), default=(70.0, 180.0),
                   help="preferred tempo range in BPM for the half/double choice (default 70 180)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the analysis cache")
    p.set_defaults(func=run)


def _table_row(d: dict[str, Any]) -> str:
    return (f"{d['bpm']:7.2f} {d['bpm_alternative']:7.2f}  {d['key']:<9} {d['camelot']:>4} "
            f"{d['lufs']:6.1f} {d['true_peak_db']:6.1f} {d['duration']:8.1f}  {len(d['beats']):5d}  {d['path']}")


def run(args: argparse.Namespace) -> int:
    from audio_engine.analysis.core import check_tempo_range

    try:
        check_tempo_range(tuple(args.tempo_range))
    except ValueError as e:
        print(f"error: --tempo-range: {e}", file=sys.stderr)
        return 2
    from audio_engine.cli.context import cli_context

    ctx = cli_context()
    try:
        return _analyze_all(args, None if args.no_cache else ctx.analysis)
    finally:
        ctx.close()


def _analyze_all(args: argparse.Namespace, cache: Any) -> int:
    from audio_engine.analysis import analyze_file
    from audio_engine.errors import MashupsError

    failed = 0
    if not args.json:
        print(f"{'BPM':>7} {'alt':>7}  {'key':<9} {'cam':>4} {'LUFS':>6} {'dBTP':>6} {'seconds':>8}  {'beats':>5}  path")
    for path in args.paths:
        try:
            a = analyze_file(path, cache=cache, tempo_range=tuple(args.tempo_range))
        except (MashupsError, ValueError, OSError) as e:
            failed += 1
            hint = getattr(e, "hint", "")
            if args.json:
                print(json.dumps({"path": path, "error": str(e), "hint": hint}), flush=True)
            print(f"error: {path}: {e}" + (f"\nhint: {hint}" if hint else ""), file=sys.stderr, flush=True)
            continue
        d = a.to_dict()
        print(json.dumps(d) if args.json else _table_row(d), flush=True)
    return 1 if failed else 0
