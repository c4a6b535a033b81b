"""``mashups models``: list, download, import and remove separation models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXAMPLES = [
    "mashups models list",
    "mashups models download htdemucs",
    "mashups models import htdemucs ~/Downloads/955717e8-8726e21a.th",
    "mashups models remove htdemucs_ft",
]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "models",
        help="list, download, import or remove the Demucs separation models",
        description="Manage the separation models in the models folder (default: the studio's, $MASHUPS_MODEL_DIR, "
                    "or --model-dir). Downloads resume after a cut connection and are checked against Demucs' "
                    "checksums before they are installed.",
    )
    p.add_argument("--model-dir", type=Path, help="models folder")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    msub = p.add_subparsers(dest="action", metavar="ACTION")
    msub.required = True
    msub.add_parser("list", help="models with size and installed state")
    d = msub.add_parser("download", help="download and install a model (with progress, resumable)")
    d.add_argument("name")
    d.add_argument("--mirror", help="base URL of a mirror holding the same files")
    i = msub.add_parser("import", help="install a model from weight files you already have (offline)")
    i.add_argument("name")
    i.add_argument("paths", nargs="+", type=Path, help=".th files, or folders holding them")
    r = msub.add_parser("remove", help="uninstall a model and free its disk space")
    r.add_argument("name")
    p.set_defaults(func=run)


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def run(args: argparse.Namespace) -> int:
    from audio_engine.models import demucs_registry as reg
    from audio_engine.progress import Progress

    if args.action == "list":
        st = reg.list_models(model_dir=args.model_dir)
        if args.json:
            print(json.dumps([
                {"name": m.name, "installed": m.installed, "installed_bytes": m.installed_bytes,
                 "approx_bytes": m.approx_bytes, "sources": list(m.sources), "description": m.description,
                 "missing_files": list(m.missing_files), "registered": m.registered}
                for m in st
            ], indent=1))
            return 0
        print(f"models folder: {reg.repo_dir(args.model_dir)}")
        print(f"{'name':<13} {'state':<14} {'size':>8}  stems / description")
        for m in st:
            state = "installed" if m.installed else ("partial" if m.installed_bytes else "not installed")
            size = _mb(m.installed_bytes) if m.installed else f"~{_mb(m.approx_bytes)}"
            stems = ", ".join(m.sources) if m.sources else "?"
            print(f"{m.name:<13} {state:<14} {size:>8}  {stems}: {m.description}")
        print(f"{'classical':<13} {'built in':<14} {'0 MB':>8}  drums, bass, other, vocals: no download, "
              "lower quality")
        return 0
    if args.action == "download":
        last = [""]

        def on_progress(p: Progress) -> None:
            if args.json:
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

        repo = reg.download_model(args.name, model_dir=args.model_dir, progress=on_progress, base_url=args.mirror)
        if sys.stderr.isatty() and not args.json:
            sys.stderr.write("\n")
        if args.json:
            print(json.dumps({"event": "result", "name": args.name, "folder": str(repo)}))
        else:
            print(f"{args.name} installed in {repo}", file=sys.stderr)
        return 0
    if args.action == "import":
        paths = reg.import_model(args.name, list(args.paths), model_dir=args.model_dir)
        if args.json:
            print(json.dumps({"name": args.name, "imported": [str(p) for p in paths]}))
        else:
            print(f"{args.name} installed ({len(paths)} file(s) imported and verified).", file=sys.stderr)
        return 0
    if args.action == "remove":
        freed = reg.remove_model(args.name, model_dir=args.model_dir)
        if args.json:
            print(json.dumps({"name": args.name, "freed_bytes": freed}))
        else:
            print(f"{args.name} removed ({_mb(freed)} freed).", file=sys.stderr)
        return 0
    raise AssertionError(args.action)
