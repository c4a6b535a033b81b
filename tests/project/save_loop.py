"""Child process for the crash-safety test: saves a project over and over
(title v<n>), printing "ready" once started."""

from __future__ import annotations

import sys
from pathlib import Path

from audio_engine.project import Clip, load_project, save_project


def main() -> None:
    folder = Path(sys.argv[1])
    p = load_project(folder)
    n = int(p.title[1:])
    print("ready", flush=True)
    while True:
        n += 1
        p.title = f"v{n}"
        # Vary the size so the file is written in different places each time.
        p.tracks[0].clips[0].name = "x" * (n % 5000)
        save_project(p, folder, keep_backups=3)


if __name__ == "__main__":
    assert Clip
    main()
