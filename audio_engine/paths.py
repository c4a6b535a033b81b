"""Where the studio keeps its data. Everything can be moved with environment
variables (``MASHUPS_HOME`` for all of it, or the specific ones below).

:func:`default_paths` is for start-up code only (the studio's composition
root, the CLI's :func:`audio_engine.cli.context.cli_paths`): it builds the
one :class:`StudioPaths` that is then passed in; engine functions take the
folders and caches they use as arguments and never call it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StudioPaths:
    data: Path
    cache: Path
    models: Path

    @property
    def analysis_db(self) -> Path:
        return self.cache / "analysis.sqlite3"

    @property
    def captions_db(self) -> Path:
        return self.cache / "captions.sqlite3"

    @property
    def stems(self) -> Path:
        return self.cache / "stems"

    @property
    def media(self) -> Path:
        return self.data / "media"

    def ensure(self) -> StudioPaths:
        for p in (self.data, self.cache, self.models):
            p.mkdir(parents=True, exist_ok=True)
        return self


def default_paths() -> StudioPaths:
    """Per-user folders from platformdirs, overridable by ``MASHUPS_HOME``,
    ``MASHUPS_DATA_DIR``, ``MASHUPS_CACHE_DIR`` and ``MASHUPS_MODEL_DIR``."""
    home = os.environ.get("MASHUPS_HOME")
    if home:
        base = Path(home)
        data, cache, models = base / "data", base / "cache", base / "models"
    else:
        import platformdirs

        data = Path(platformdirs.user_data_dir("MashupsStudio", "Mashups"))
        cache = Path(platformdirs.user_cache_dir("MashupsStudio", "Mashups"))
        models = data / "models"
    data = Path(os.environ.get("MASHUPS_DATA_DIR", data))
    cache = Path(os.environ.get("MASHUPS_CACHE_DIR", cache))
    models = Path(os.environ.get("MASHUPS_MODEL_DIR", models))
    return StudioPaths(data=data, cache=cache, models=models)
