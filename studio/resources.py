"""Where the bundled resources (icons, themes, demo songs, licence, notices,
build configuration) live.

One lookup serves every way the studio runs:

* ``$MASHUPS_RESOURCES_DIR`` when set (an installed wheel, tests);
* a PyInstaller bundle: ``sys._MEIPASS/resources`` (``_internal/resources``
  in the one-folder build; inside ``Contents/Frameworks`` of the macOS .app);
* a checkout: ``resources/`` beside the packages.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resources_dir() -> Path:
    """The ``resources`` folder (see the module docstring for the order)."""
    override = os.environ.get("MASHUPS_RESOURCES_DIR")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def resource_path(*parts: str) -> Path:
    """The path of one resource, e.g. ``resource_path("icons", "play.svg")``.
    Raises :class:`FileNotFoundError` naming the folder searched."""
    p = resources_dir().joinpath(*parts)
    if not p.exists():
        raise FileNotFoundError(f"resource {'/'.join(parts)!r} not found in {resources_dir()}")
    return p


def demo_songs() -> list[Path]:
    return sorted((resources_dir() / "demo").glob("*.flac"))


def build_config() -> dict[str, str]:
    """Settings fixed at build time (``resources/build.json``, written by the
    PyInstaller spec): today only ``update_feed``. ``$MASHUPS_UPDATE_FEED``
    overrides it; a checkout without the file has an empty configuration."""
    cfg: dict[str, str] = {}
    try:
        raw = json.loads(resource_path("build.json").read_text(encoding="utf-8"))
        if isinstance(raw, dict):
            cfg = {str(k): str(v) for k, v in raw.items()}
    except (FileNotFoundError, ValueError):
        pass
    feed = os.environ.get("MASHUPS_UPDATE_FEED")
    if feed is not None:
        cfg["update_feed"] = feed
    return cfg
