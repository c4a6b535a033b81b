"""Entry point of the ``mashups`` console script."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

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
)

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
