"""Frozen entry point of both executables in the bundle.

PyInstaller freezes this one script (``mashups`` and ``mashups-studio`` share
one Analysis, one PYZ and one folder); the name the program was started by
picks the program. ``multiprocessing.freeze_support()`` must run first: separation
and captions run in spawned worker processes, which re-execute this
executable with multiprocessing's arguments.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path


def main() -> int:
    multiprocessing.freeze_support()
    # argv[0] keeps the name the program was started by: on Linux `mashups` is a symlink to
    # `mashups-studio` (one executable, so the bundled Python archive is not stored twice).
    name = Path(sys.argv[0] if sys.argv and sys.argv[0] else sys.executable).name.lower()
    if name.startswith("mashups-studio") or name.startswith("mashups studio"):
        from studio.app import main as run
    else:
        from audio_engine.cli.main import main as run
    return int(run() or 0)


if __name__ == "__main__":
    sys.exit(main())
