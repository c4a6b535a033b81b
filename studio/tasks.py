"""Job bodies: importable, Qt-free top-level functions.

The ``*_target`` functions run inside the worker process through
:func:`audio_engine.worker.run_in_worker` (they take plain keyword arguments
plus ``progress`` and ``cancel`` and return picklable values); heavy
libraries (librosa, torch, CTranslate2) are imported there, never in the UI
process. The other helpers run on a job thread in the UI process and only
do light I/O.
"""

from __future__ import annotations

from typing import Any

from audio_engine.progress import CancelToken, ProgressCallback


def analyse_target(*, path: str, cache_db: str, progress: ProgressCallback, cancel: CancelToken) -> dict[str, Any]:
    from audio_engine.analysis import analyze_file
    from audio_engine.cache import JsonCache

    cache = JsonCache(cache_db)
    try:
        return analyze_file(path, cache=cache, progress=progress, cancel=cancel).to_dict()
    finally:
        cache.close()


def render_target(
    *,
    project: dict[str, Any],
    media_roots: list[str],
    out: str,
    target_lufs: float | None,
    ceiling_db: float,
    cache_dir: str,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> str:
    """Render and master a project to ``out`` with the engine's renderer."""
    from audio_engine.cache import FileCache
    from audio_engine.project import MediaResolver, Project
    from audio_engine.project.render import render_project

    p = Project.from_dict(project)
    result = render_project(
        p, media=MediaResolver(media_roots), out=out, target_lufs=target_lufs, ceiling_db=ceiling_db,
        cache=FileCache(cache_dir), progress=progress, cancel=cancel,
    )
    return str(result.path or out)
