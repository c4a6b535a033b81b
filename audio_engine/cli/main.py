"""Entry point of the ``mashups`` console script."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from audio_engine import __version__
from audio_engine.errors import MashupsError

#: Subcommand modules under audio_engine.cli, in the order --help lists them.
COMMANDS: tuple[str, ...] = (
    "audio_engine.cli.analyze",
    "audio_engine.cli.separate",
    "audio_engine.cli.models",
    "audio_engine.cli.caption",
    "audio_engine.cli.magic",
    "audio_engine.cli.render",
    "audio_engine.cli.fits",
    "audio_engine.cli.fingerprint",
    "audio_engine.cli.credits",
    "audio_engine.cli.cover",
)

#: Other packages add subcommands through this entry-point group (pyproject:
#: ``[project.entry-points."mashups.commands"] name = "pkg.module:register"``);
#: ``register(subparsers)`` adds the parser, the module's ``EXAMPLES`` list
#: joins --help. This is how sync/ adds ``account``, ``projects`` and ``sync``
#: without audio_engine importing it (docs/architecture.md).
ENTRY_POINT_GROUP = "mashups.commands"

EPILOG = """examples:
  mashups analyze song.flac --json
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mashups",
        description="Mashups Studio from the command line: analyse, separate, caption, mash up and render.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mashups {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    examples: list[str] = []
    for name in COMMANDS:
        mod = importlib.import_module(name)
        mod.register(sub)
        examples.extend(getattr(mod, "EXAMPLES", []))
    seen: set[str] = set()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            register = ep.load()
        except Exception as e:  # a broken plug-in must not take the engine's commands down
            print(f"warning: command {ep.name!r} ({ep.value}) could not be loaded: {e}", file=sys.stderr)
            continue
        register(sub)
        if ep.module not in seen:
            seen.add(ep.module)
            examples.extend(getattr(sys.modules.get(ep.module), "EXAMPLES", []))
    parser.epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        rc = args.func(args)
    except MashupsError as e:
        msg = f"error: {e}"
        if e.hint:
            msg += f"\nhint: {e.hint}"
        print(msg, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
