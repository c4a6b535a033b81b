"""``mashups caption``: captions/lyrics with word timing from a song or a voice track."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXAMPLES = [
    "mashups caption song.flac -o song.srt",
    "mashups caption song.flac -o song.lrc --format elrc --separate-vocals --language en",
    "mashups caption --download-model small",
]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "caption",
        help="transcribe a song or voice track into SRT/VTT/LRC/ASS/JSON captions with word timing",
        description=(
            "Transcribe with Whisper (faster-whisper by default) and write captions. For songs, the vocals "
            "stem is transcribed when the stem cache has one (or after separating, with --separate-vocals); "
            "otherwise the mix. Progress goes to stderr."
        ),
    )
    p.add_argument("path", nargs="?", help="audio file (song or voice)")
    p.add_argument("-o", "--output", help="output file: .srt, .vtt, .lrc, .ass or .json")
    p.add_argument("--format", choices=["srt", "vtt", "lrc", "elrc", "ass", "json"],
                   help="output format (default: from the extension; elrc = LRC with word times)")
    p.add_argument("--model", help="Whisper model name (tiny.en, small, large-v3, turbo, ...) or a model folder "
                   "(default: tiny.en if installed, else the first installed model)")
    p.add_argument("--backend", choices=["faster-whisper", "openai-whisper"], default="faster-whisper")
    p.add_argument("--language", help="language code (en, de, ...); default: detect")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--separate-vocals", action="store_true",
                   help="separate the vocals first when no cached stems exist, and transcribe them")
    p.add_argument("--separation-model", default="htdemucs", help="model for --separate-vocals (default htdemucs)")
    p.add_argument("--vocals", help="a vocals stem file to transcribe instead of the song (times stay the song's)")
    p.add_argument("--no-vad", action="store_true", help="turn off the voice-activity filter")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the caption cache")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--list-models", action="store_true", help="list Whisper models and which are installed")
    p.add_argument("--download-model", metavar="NAME", help="download a Whisper model (with progress) and exit")
    p.add_argument("--import-model", metavar="DIR", help="install a CTranslate2 Whisper model folder and exit")
    p.add_argument("--name", help="name for --import-model (default: the folder's name)")
    p.set_defaults(func=run)


def _progress_printer(enabled: bool) -> Any:
    from audio_engine.progress import Progress

    last = [""]

    def cb(p: Progress) -> None:
        if not enabled:
            return
        eta = f" eta {p.eta_s:.0f}s" if p.eta_s is not None else ""
        line = f"[{p.fraction * 100:5.1f}%] {p.stage}{eta} {p.message}".rstrip()
        if line != last[0]:
            last[0] = line
            print(line, file=sys.stderr, flush=True)

    return cb


def _default_model(models_dir: Path) -> str:
    from audio_engine.captions.models import DEFAULT_MODEL, installed_models

    installed = installed_models(root=models_dir)
    if DEFAULT_MODEL in installed or not installed:
        return DEFAULT_MODEL
    return installed[0]


def run(args: argparse.Namespace) -> int:
    from audio_engine.captions import models
    from audio_engine.cli.context import cli_paths
    from audio_engine.errors import MashupsError

    show = _progress_printer(True)
    models_dir = cli_paths().models
    if args.list_models:
        rows = [
            {"name": n, "installed": models.is_installed(n, root=models_dir), "approx_mb": s.approx_mb,
             "english_only": s.english_only, "description": s.description, "downloadable": s.downloadable}
            for n, s in models.MODELS.items()
        ]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for r in rows:
                mark = "installed" if r["installed"] else ("" if r["downloadable"] else "import only (no pinned checksums)")
                print(f"{r['name']:18} {r['approx_mb']:>6} MB  {r['description']:32} {mark}")
        return 0
    if args.download_model:
        path = models.install_model(args.download_model, progress=show, root=models_dir)
        print(json.dumps({"installed": str(path)}) if args.json else f"installed {path}")
        return 0
    if args.import_model:
        path = models.import_model(args.import_model, name=args.name, root=models_dir)
        print(json.dumps({"installed": str(path)}) if args.json else f"imported {path}")
        return 0
    if not args.path:
        raise MashupsError("Give an audio file to caption (or --list-models / --download-model / --import-model).")
    if not args.output and not args.json:
        raise MashupsError("Give an output file with -o (e.g. -o song.srt), or --json to print the result.")

    from audio_engine.captions.formats import export, format_from_path

    if args.output and not args.format:
        format_from_path(args.output)  # refuse a bad extension before transcribing
    src = Path(args.path)
    if not src.exists():
        raise MashupsError(f"{src}: no such file.")
    from audio_engine.cli.context import cli_context

    ctx = cli_context()
    try:
        doc = _caption(args, src, ctx, show)
    finally:
        ctx.close()
    out = None
    if args.output:
        out = export(doc, args.output, format=args.format)
    if args.json:
        result = doc.to_dict()
        result["output"] = str(out) if out is not None else None
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        n_words = len(doc.words())
        print(f"wrote {out}: {len(doc.segments)} lines, {n_words} words, language {doc.language or '?'}, "
              f"from the {doc.source}", file=sys.stderr)
    return 0


def _caption(args: Any, src: Path, ctx: Any, show: Any) -> Any:
    from audio_engine.captions.transcribe import caption_song

    return caption_song(
        src,
        vocals=args.vocals,
        separate=args.separate_vocals,
        separation_model=args.separation_model,
        model=args.model or _default_model(ctx.models),
        backend=args.backend,
        language=args.language,
        vad_filter=not args.no_vad,
        device=args.device,
        cache=False if args.no_cache else ctx.captions,
        stems_cache=ctx.stems,
        model_dir=ctx.models,
        progress=show,
        log=lambda m: print(m, file=sys.stderr),
    )
