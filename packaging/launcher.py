"""Frozen entry point of both executables in the bundle.

PyInstaller freezes this one script twice (``mashups`` and ``mashups-studio``
share one Analysis, one PYZ and one folder); the executable's own name picks
the program. ``multiprocessing.freeze_support()`` must run first: separation
and captions run in spawned worker processes, which re-execute this
executable with multiprocessing's arguments.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path


def main() -> int:
    multiprocessing.freeze_support()
    name = Path(sys.executable).name.lower()
    if name.startswith("mashups-studio") or name.startswith("mashups studio"):
        from studio.app import main as run
    else:
        from audio_engine.cli.main import main as run
    return int(run() or 0)


if __name__ == "__main__":
    sys.exit(main())
