"""``mashups magic``: song A's vocals over song B's instrumental, beat- and
key-matched, as a render and an editable project."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXAMPLES = [
    "mashups magic vocals_song.flac beat_song.flac -o mashup.wav --project mashup.mashup --json",
    "mashups magic vocals_song.flac --library ~/Music -o mashup.wav",
]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "magic",
        help="Magic mashup: A's vocals over B's instrumental, tempo- and key-matched, rendered and as a project",
        description=(
            "Analyse and separate both songs (cached), match A to B's tempo (half/double time considered; both "
            "meet in the middle beyond 8%%; refused beyond --max-stretch), shift A by the smallest amount that "
            "makes the keys Camelot-compatible, align A's vocal phrases to B's bars, and render. Progress goes "
            "to stderr."
        ),
    )
    p.add_argument("song_a", help="song A: gives the vocals")
    p.add_argument("song_b", nargs="?", help="song B: gives the instrumental (and the tempo); "
                   "leave out with --library to pick the best fit")
    p.add_argument("--library", help="pick song B (or A, with --role instrumental) from this folder by mashability")
    p.add_argument("--role", choices=["vocals", "instrumental"], default="vocals",
                   help="with --library: what SONG_A gives (default vocals)")
    p.add_argument("-o", "--output", required=True, help="rendered mix: .wav, .flac or .mp3")
    p.add_argument("--project", help="also save the editable project (.mashup folder)")
    p.add_argument("--captions-a", help="lyrics/captions of song A (SRT/VTT/LRC/JSON): phrase starts and a caption lane")
    p.add_argument("--model", help="separation model (default: htdemucs if installed, else classical)")
    p.add_argument("--max-stretch", type=float, default=0.2, help="largest tempo change allowed (default 0.2 = 20%%)")
    p.add_argument("--target-lufs", type=float, default=-14.0, help="loudness of the render (default -14 LUFS)")
    p.add_argument("--hq", action="store_true",
                   help="Rubber Band's finer R3 engine (can drift off the beat on long clips; default: R2, exact timing)")
    p.add_argument("--title", help="title tag of the render")
    p.add_argument("--json", action="store_true", help="print the plan and result as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def progress_printer(enabled: bool) -> Any:
    from audio_engine.progress import Progress

    def cb(p: Progress) -> None:
        if enabled:
            eta = f" eta {p.eta_s:.0f}s" if p.eta_s is not None else ""
            print(f"[{p.fraction * 100:5.1f}%] {p.stage}{eta} {p.message}".rstrip(), file=sys.stderr, flush=True)

    return cb


def run(args: Any) -> int:
    from audio_engine.errors import MashupsError
    from audio_engine.magic import magic_mashup, magic_with_library

    if bool(args.song_b) == bool(args.library):
        raise MashupsError("Give either song B or --library (to pick the partner from a folder).")
    if args.library and args.role == "instrumental" and args.captions_a:
        raise MashupsError("--captions-a belongs to the vocal song; with --role instrumental it is picked from the library.")
    captions = None
    if args.captions_a:
        from audio_engine.captions.formats import import_captions

        captions = import_captions(args.captions_a)
    options: dict[str, Any] = dict(
        out=Path(args.output), project_path=Path(args.project) if args.project else None, model=args.model,
        captions_a=captions, target_lufs=args.target_lufs, quality="high" if args.hq else "fast",
        title=args.title,
    )
    from audio_engine.cli.context import cli_context

    ctx = cli_context()
    options.update(caches=ctx.magic_caches(), model_dir=ctx.models)
    try:
        if args.library:
            r, fit = magic_with_library(Path(args.song_a), library=Path(args.library), role=args.role,
                                        max_stretch=args.max_stretch, progress=progress_printer(not args.quiet),
                                        **options)
        else:
            r = magic_mashup(Path(args.song_a), Path(args.song_b), max_stretch=args.max_stretch,
                             progress=progress_printer(not args.quiet), **options)
    finally:
        ctx.close()
    d = r.to_json()
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        print(f"{d['output']}: {d['target_bpm']} BPM, {d['target_key']} ({d['target_camelot']}); "
              f"A shifted {r.shift_a:+d} st ({r.relation}), stretched x{r.ratio_a:.3f}; vocals enter at bar "
              f"{r.vocal_entry_bar}; score {r.score.total:.2f}; stems: {r.separation_model}")
        for n in r.notes:
            print(f"note: {n}")
    return 0
