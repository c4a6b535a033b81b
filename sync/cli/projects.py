"""``mashups projects list|upload|download`` and ``mashups sync``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sync.session import CloudSession

from .common import command, emit

EXAMPLES = [
    "mashups projects upload 'My Mashup.mashup'",
    "mashups projects list --json",
    "mashups projects download 3f1c… -o ~/Mashups",
    "mashups sync --json",
]


def register(sub: Any) -> None:
    p = sub.add_parser("projects", help="cloud projects: list, upload, download",
                       description="Your cloud projects (sign in first: mashups account login).")
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = acts.add_parser("list", help="cloud projects you own or that are shared with you")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=command(_list))
    a = acts.add_parser("upload", help="save a .mashup project to the cloud (media included, resumable)")
    a.add_argument("path", type=Path)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=command(_upload))
    a = acts.add_parser("download", help="open a cloud project into a folder (media included)")
    a.add_argument("id")
    a.add_argument("-o", "--output", type=Path, required=True, help="folder to put the .mashup project in")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=command(_download))


def register_sync(sub: Any) -> None:
    p = sub.add_parser("sync", help="push pending changes and pull the cloud's")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=command(_sync))


def _progress(done: int, total: int) -> None:
    print(f"\r{done / max(total, 1) * 100:5.1f}%  {done / 1e6:8.1f} MB", end="", file=sys.stderr, flush=True)


def _list(args: argparse.Namespace, s: CloudSession) -> int:
    ps = s.require_projects()
    s.sync()
    rows = ps.list()
    data = [{"id": p.id, "title": p.title, "state": p.state, "mine": p.mine, "size_bytes": p.size_bytes,
             "local_path": str(p.local_path) if p.local_path else None} for p in rows]
    text = "\n".join(f"{p.id}  {p.title[:40]:40}  {p.state:15} {p.size_bytes / 1e6:8.1f} MB" for p in rows)
    emit(args, data, text or "No cloud projects yet.")
    return 0


def _upload(args: argparse.Namespace, s: CloudSession) -> int:
    ps = s.require_projects()
    pid = ps.upload(args.path, progress=None if args.json else _progress)
    if not args.json:
        print(file=sys.stderr)
    emit(args, {"id": pid}, f"Saved to the cloud: {pid}")
    return 0


def _download(args: argparse.Namespace, s: CloudSession) -> int:
    ps = s.require_projects()
    s.sync()
    row = s.require().store.project(args.id)
    if row is None or row["deleted"]:
        print(f"error: no cloud project {args.id} (or no access to it)", file=sys.stderr)
        return 1
    title = "".join(ch for ch in str(row["title"]) if ch not in '/\\:*?"<>|').strip() or args.id
    folder = ps.download(args.id, args.output / f"{title}.mashup", progress=None if args.json else _progress)
    if not args.json:
        print(file=sys.stderr)
    emit(args, {"id": args.id, "path": str(folder)}, f"Downloaded to {folder}")
    return 0


def _sync(args: argparse.Namespace, s: CloudSession) -> int:
    r = s.sync()
    st = s.status
    emit(args, {"pushed": r.pushed, "rejected": r.rejected, "pulled": r.pulled, "pending": st.pending,
                "rejected_total": st.rejected},
         f"Pushed {r.pushed}, pulled {r.pulled}; pending {st.pending}, rejected {st.rejected}.")
    return 0
