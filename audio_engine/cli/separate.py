"""``mashups separate``: split a song into stems (one audio file per stem)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

EXAMPLES = [
    "mashups separate song.flac -o stems/",
    "mashups separate song.mp3 -o stems/ --two-stems vocals --device cuda",
    "mashups separate song.wav -o stems/ --model classical   # no download, lower quality",
]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "separate",
        help="separate a song into stems (drums, bass, other, vocals, ...)",
        description=(
            "Separate with a Demucs model (htdemucs, htdemucs_ft, htdemucs_6s, mdx_extra; install with "
            "`mashups models download NAME`) or with the classical fallback (--model classical: no "
            "download, lower quality). Stems are cached: asking again is instant. Progress goes to stderr."
        ),
    )
    p.add_argument("path", help="audio file")
    p.add_argument("-o", "--output", required=True, help="folder for the stem files (created if needed)")
    p.add_argument("--model", default="htdemucs", help="htdemucs (default), htdemucs_ft, htdemucs_6s, mdx_extra, "
                   "classical, or a custom model in the model folder")
    p.add_argument("--model-dir", type=Path, help="models folder (default: the studio's, or $MASHUPS_MODEL_DIR)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto",
                   help="auto = CUDA, then Apple MPS, then CPU")
    p.add_argument("--two-stems", metavar="STEM", help="only STEM and everything else (e.g. vocals)")
    p.add_argument("--format", choices=["wav", "flac"], default="wav",
                   help="wav = 32-bit float (exact), flac = 24-bit (default wav)")
    p.add_argument("--shifts", type=int, default=0, help="extra shifted passes to average (slower, slightly better)")
    p.add_argument("--overlap", type=float, default=0.25, help="overlap between segments (default 0.25)")
    p.add_argument("--segment", type=float, help="segment length in seconds (default: the model's)")
    p.add_argument("--json", action="store_true", help="JSON lines on stdout (progress events, then the result)")
    p.set_defaults(func=run)


class _Bar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""
        self.last_t = 0.0

    def __call__(self, p: Any) -> None:
        width = 30
        done = int(round(p.fraction * width))
        eta = f" eta {p.eta_s:.0f}s" if p.eta_s is not None and p.fraction < 1 else ""
        line = f"[{'#' * done}{'.' * (width - done)}] {p.fraction * 100:3.0f}% {p.stage}{eta} {p.message}".rstrip()
        if self.tty:
            sys.stderr.write("\r" + line[:120].ljust(120))
            sys.stderr.flush()
        elif line != self.last and (time.monotonic() - self.last_t > 1.0 or p.fraction >= 1.0 or
                                     line.split("%")[1] != self.last.split("%")[-1]):
            print(line, file=sys.stderr, flush=True)
            self.last_t = time.monotonic()
        self.last = line

    def close(self) -> None:
        if self.tty and self.last:
            sys.stderr.write("\n")


def _export(src: Path, dest: Path, fmt: str) -> Path:
    """Copy a cached float WAV stem out (wav), or convert it streamed (flac)."""
    import soundfile as sf

    from audio_engine import io
    from audio_engine.atomic import atomic_path

    with atomic_path(dest) as tmp:
        if fmt == "wav":
            shutil.copyfile(src, tmp)
        else:
            i = io.info(src)
            with sf.SoundFile(str(tmp), "w", samplerate=i.sample_rate, channels=i.channels, format="FLAC",
                              subtype="PCM_24") as f:
                for block in io.stream(src):
                    f.write(block.samples.clip(-1.0, 1.0).T)
    return dest


def run(args: argparse.Namespace) -> int:
    from audio_engine.progress import CancelToken, Progress
    from audio_engine.separation import CLASSICAL, separate

    out_dir = Path(args.output)
    bar = _Bar()

    def on_progress(p: Progress) -> None:
        if args.json:
            print(json.dumps({"event": "progress", "fraction": round(p.fraction, 4), "stage": p.stage,
                              "eta_s": None if p.eta_s is None else round(p.eta_s, 1), "message": p.message}),
                  flush=True)
        else:
            bar(p)

    if args.model == CLASSICAL and not args.json:
        print("note: the classical separator needs no download but is LOWER QUALITY than the Demucs models "
              "(`mashups models download htdemucs`).", file=sys.stderr)
    token = CancelToken()
    from audio_engine.cli.context import cli_context

    ctx = cli_context(args.model_dir)
    try:
        stems = separate(
            args.path, model=args.model, two_stems=args.two_stems, device=args.device, model_dir=ctx.models,
            cache=ctx.stems, progress=on_progress, cancel=token, shifts=args.shifts, overlap=args.overlap,
            segment=args.segment,
        )
    except KeyboardInterrupt:
        token.cancel()
        raise
    finally:
        ctx.close()
        if not args.json:
            bar.close()
    written: dict[str, str] = {}
    for name, path in stems.stems.items():
        written[name] = str(_export(path, out_dir / f"{name}.{args.format}", args.format))
    if args.json:
        print(json.dumps({
            "event": "result", "stems": written, "model": stems.model, "device": stems.device_used,
            "sample_rate": stems.sample_rate, "residual_db": round(stems.residual_db, 2), "cached": stems.cached,
            "notes": stems.notes, "seconds": round(stems.seconds, 2),
        }), flush=True)
    else:
        how = "from the cache" if stems.cached else f"on {stems.device_used} in {stems.seconds:.1f} s"
        print(f"{len(written)} stems ({stems.model}, {how}) in {out_dir}:", file=sys.stderr)
        for name, written_path in written.items():
            print(f"  {name}: {written_path}", file=sys.stderr)
        print(f"model residual {stems.residual_db:.1f} dB (spread over the stems, which sum back to the input)",
              file=sys.stderr)
        for n in stems.notes:
            print(f"note: {n}", file=sys.stderr)
    return 0
