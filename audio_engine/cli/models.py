"""``mashups models``: list, download, import and remove every kind of model
(separation: Demucs; captions: Whisper) through the one model catalog."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXAMPLES = [
    "mashups models list",
    "mashups models list --kind captions",
    "mashups models download htdemucs",
    "mashups models download tiny.en",
    "mashups models import htdemucs ~/Downloads/955717e8-8726e21a.th",
    "mashups models import --kind captions my-whisper ~/Downloads/faster-whisper-small",
    "mashups models remove htdemucs_ft",
]

KINDS = ("separation", "captions")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "models",
        help="list, download, import or remove separation (Demucs) and caption (Whisper) models",
        description="Manage the models in the models folder (default: the studio's, $MASHUPS_MODEL_DIR, or "
                    "--model-dir; a folder that directly holds Demucs .th files works too). Downloads resume after "
                    "a cut connection and are checked (Demucs: against its published checksums) before they are "
                    "installed.",
    )
    p.add_argument("--model-dir", type=Path, help="models folder")
    p.add_argument("--kind", choices=KINDS, help="only this kind of model (default: all, or the one that has NAME)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    msub = p.add_subparsers(dest="action", metavar="ACTION")
    msub.required = True
    ls = msub.add_parser("list", help="models with size and installed state")
    ls.add_argument("--kind", choices=KINDS, dest="kind_after", help=argparse.SUPPRESS)
    d = msub.add_parser("download", help="download and install a model (with progress, resumable)")
    d.add_argument("name")
    d.add_argument("--mirror", help="base URL of a mirror holding the same files")
    d.add_argument("--kind", choices=KINDS, dest="kind_after", help=argparse.SUPPRESS)
    i = msub.add_parser("import", help="install a model from files or a folder you already have (offline)")
    i.add_argument("name")
    i.add_argument("paths", nargs="+", type=Path, help="Demucs .th files (or folders of them), or one Whisper model folder")
    i.add_argument("--kind", choices=KINDS, dest="kind_after", help=argparse.SUPPRESS)
    r = msub.add_parser("remove", help="uninstall a model and free its disk space")
    r.add_argument("name")
    r.add_argument("--kind", choices=KINDS, dest="kind_after", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def _printer(as_json: bool) -> Any:
    from audio_engine.progress import Progress

    last = [""]

    def on_progress(p: Progress) -> None:
        if as_json:
            print(json.dumps({"event": "progress", "fraction": round(p.fraction, 4),
                              "eta_s": None if p.eta_s is None else round(p.eta_s, 1), "message": p.message}),
                  flush=True)
            return
        eta = f" eta {p.eta_s:.0f}s" if p.eta_s is not None and p.fraction < 1 else ""
        line = f"[{p.fraction * 100:5.1f}%]{eta} {p.message}"
        if sys.stderr.isatty():
            sys.stderr.write("\r" + line[:110].ljust(110))
        elif line != last[0]:
            print(line, file=sys.stderr, flush=True)
        last[0] = line

    return on_progress


def run(args: argparse.Namespace) -> int:
    from audio_engine.cli.context import cli_paths
    from audio_engine.models.catalog import ModelCatalog

    kind = getattr(args, "kind_after", None) or args.kind
    catalog = ModelCatalog(cli_paths(args.model_dir).models)
    if args.action == "list":
        entries = catalog.list(kind)
        if args.json:
            print(json.dumps([
                {"kind": e.kind, "name": e.name, "installed": e.installed, "installed_bytes": e.size_bytes,
                 "approx_bytes": e.approx_bytes, "description": e.description, "registered": e.registered,
                 "status": e.status, "builtin": e.builtin, "downloadable": e.downloadable}
                for e in entries
            ], indent=1))
            return 0
        for k in ([kind] if kind else list(catalog.kinds)):
            print(f"{catalog.kind(k).label} -- folder: {catalog.folder(k)}")
            print(f"  {'name':<18} {'state':<14} {'size':>8}  description")
            for e in (x for x in entries if x.kind == k):
                size = _mb(e.size_bytes) if e.installed or e.builtin else f"~{_mb(e.approx_bytes)}"
                print(f"  {e.name:<18} {e.status:<14} {size:>8}  {e.description}")
        return 0
    target = catalog.find(args.name, kind)
    if args.action == "download":
        folder = target.download(args.name, progress=_printer(args.json), mirror=args.mirror)
        if sys.stderr.isatty() and not args.json:
            sys.stderr.write("\n")
        if args.json:
            print(json.dumps({"event": "result", "kind": target.kind, "name": args.name, "folder": str(folder)}))
        else:
            print(f"{args.name} installed in {folder}", file=sys.stderr)
        return 0
    if args.action == "import":
        folder = target.import_from(list(args.paths), name=args.name)
        if args.json:
            print(json.dumps({"kind": target.kind, "name": args.name, "folder": str(folder)}))
        else:
            print(f"{args.name} installed in {folder} (verified).", file=sys.stderr)
        return 0
    if args.action == "remove":
        freed = target.remove(args.name)
        if args.json:
            print(json.dumps({"kind": target.kind, "name": args.name, "freed_bytes": freed}))
        else:
            print(f"{args.name} removed ({_mb(freed)} freed).", file=sys.stderr)
        return 0
    raise AssertionError(args.action)
