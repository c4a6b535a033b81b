"""Where the bundled resources (icons, themes, demo songs) live."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The ``resources`` folder: beside the package in a checkout, or inside a
    PyInstaller bundle (``sys._MEIPASS``)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def demo_songs() -> list[Path]:
    return sorted((resources_dir() / "demo").glob("*.flac"))
