"""One explicit paths/caches object, built once at start-up (the studio's
composition root, each CLI command) and passed in. Engine functions take
the caches and folders they use as arguments; this object is the only
place that maps a :class:`~audio_engine.paths.StudioPaths` to them, so the
studio's caches and models follow its Settings and never a folder an engine
function picked by itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audio_engine.cache import FileCache, JsonCache
from audio_engine.paths import StudioPaths
from audio_engine.project.media import MediaStore

if TYPE_CHECKING:
    from audio_engine.magic.core import Caches


@dataclass
class AppContext:
    paths: StudioPaths
    analysis: JsonCache
    features: JsonCache
    captions: JsonCache
    stems: FileCache
    renders: FileCache
    media: MediaStore

    @classmethod
    def open(cls, paths: StudioPaths) -> AppContext:
        paths = paths.ensure()
        return cls(
            paths=paths,
            analysis=JsonCache(paths.analysis_db),
            features=JsonCache(paths.cache / "magic.sqlite3"),
            captions=JsonCache(paths.captions_db),
            stems=FileCache(paths.stems),
            renders=FileCache(paths.cache / "renders"),
            media=MediaStore(paths.media),
        )

    @property
    def models(self) -> Path:
        return self.paths.models

    @property
    def unpacked(self) -> Path:
        """Where project archives are opened (never beside the archive)."""
        return self.paths.cache / "unpacked"

    def magic_caches(self) -> Caches:
        from audio_engine.magic.core import Caches

        return Caches(analysis=self.analysis, features=self.features, stems=self.stems, renders=self.renders,
                      media=self.media)

    def close(self) -> None:
        for c in (self.analysis, self.features, self.captions):
            c.close()


def unpack_folder(project: Path, cache: Path) -> Path | None:
    """Where the archive ``project`` is opened: ``<cache>/unpacked``, in a
    folder named by the archive's content (the same archive is unpacked
    once); None for a project folder."""
    if not project.is_file():
        return None
    from audio_engine.io import file_hash

    return cache / "unpacked" / f"{file_hash(project)[:24]}.mashup"
