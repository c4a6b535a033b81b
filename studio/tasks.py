"""Job bodies: importable, Qt-free top-level functions.

The ``*_target`` functions run inside the worker process through
:func:`audio_engine.worker.run_in_worker` (they take plain keyword arguments
plus ``progress`` and ``cancel`` and return picklable values); heavy
libraries (librosa, torch, CTranslate2) are imported there, never in the UI
process. The other helpers run on a job thread in the UI process and only
do light I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audio_engine.progress import CancelToken, ProgressCallback

if TYPE_CHECKING:
    from audio_engine.library import SongRecord
    from studio.services import Services


def analyse_target(*, path: str, cache_db: str, progress: ProgressCallback, cancel: CancelToken) -> dict[str, Any]:
    from audio_engine.analysis import analyze_file
    from audio_engine.cache import JsonCache

    cache = JsonCache(cache_db)
    try:
        result = analyze_file(path, cache=cache, progress=progress, cancel=cancel).to_dict()
        result["fingerprint"] = song_fingerprint(path, cache)
        return result
    finally:
        cache.close()


def song_fingerprint(path: str, cache: Any) -> str:
    """The song's Chromaprint fingerprint for its credits (cached by content
    hash beside the analysis); "" when fpcalc is missing or fails, which
    leaves the analysis usable and the credits without a fingerprint."""
    from audio_engine.fingerprint import FingerprintError, fingerprint_file

    try:
        return fingerprint_file(path, cache=cache).compressed
    except FingerprintError:
        return ""


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


def magic_worker_target(
    *,
    song_a: str,
    song_b: str,
    project_path: str,
    model: str | None,
    model_dir: str | None,
    captions_a: str | None,
    progress: ProgressCallback,
    cancel: CancelToken,
    max_stretch: float = 0.2,
    title_a: str | None = None,
    title_b: str | None = None,
    data_dir: str,
    cache_dir: str,
) -> dict[str, Any]:
    """Runs in the worker process: the whole Magic mashup (analysis, separation,
    planning, project) with the studio's caches (its Settings' folders, passed
    in); no render (the editor plays it, Export renders it)."""
    from audio_engine.magic import magic_mashup

    with magic_worker_options(model=model, model_dir=model_dir, captions_a=captions_a, data_dir=data_dir,
                              cache_dir=cache_dir) as options:
        result = magic_mashup(
            song_a, song_b, project_path=project_path, render=False, in_worker=False, max_stretch=max_stretch,
            title_a=title_a, title_b=title_b, progress=progress, cancel=cancel, **options,
        )
    return result.to_json()


def magic_pair_options(services: Services, a_id: int, b_id: int, *,
                       max_stretch: float) -> tuple[SongRecord, SongRecord, dict[str, Any]]:
    """Songs A and B of a Magic job (Generate, the variations) and the worker
    options they share: refuses at once (nothing started) a pair not yet
    analysed or one the engine would refuse
    (:class:`~audio_engine.errors.StretchLimitError`); the separation model
    from Settings (None: htdemucs when installed, else the classical
    fallback) and the studio's folders."""
    from audio_engine.errors import MashupsError
    from audio_engine.magic.plan import check_pair

    s = services
    a, b = s.library.get(a_id), s.library.get(b_id)
    if a.analysis is None or b.analysis is None:
        raise MashupsError("Both songs must be analysed first (see Jobs).")
    check_pair(a.analysis, b.analysis, max_stretch=max_stretch, name_a=a.title, name_b=b.title)
    sep = s.settings.str("models/separation")
    return a, b, {
        "song_a": str(a.path), "song_b": str(b.path), "model": None if sep in ("", "htdemucs") else sep,
        "model_dir": str(s.paths.models), "captions_a": a.captions, "max_stretch": max_stretch,
        "title_a": a.title, "title_b": b.title, "data_dir": str(s.paths.data), "cache_dir": str(s.paths.cache),
    }


@contextmanager
def magic_worker_options(*, model: str | None, model_dir: str | None, captions_a: str | None, data_dir: str,
                         cache_dir: str) -> Iterator[dict[str, Any]]:
    """In the worker process, the options every Magic job body passes to the
    engine (Generate, the variations): the separation model, the studio's
    caches and models folder (its Settings' folders, passed in) and song A's
    captions read from the library's JSON (None without one); the caches are
    closed on the way out."""
    import json

    from audio_engine.app.context import AppContext
    from audio_engine.paths import StudioPaths

    doc = None
    if captions_a and Path(captions_a).is_file():
        from audio_engine.captions import CaptionDoc

        doc = CaptionDoc.from_dict(json.loads(Path(captions_a).read_text()))
    ctx = AppContext.open(StudioPaths(data=Path(data_dir), cache=Path(cache_dir),
                                      models=Path(model_dir) if model_dir else Path(data_dir) / "models"))
    try:
        yield {"model": model or None, "model_dir": Path(model_dir) if model_dir else None,
               "caches": ctx.magic_caches(), "captions_a": doc}
    finally:
        ctx.close()


def magic_target(*, progress: ProgressCallback, cancel: CancelToken, **options: Any) -> dict[str, Any]:
    """Job body (job thread): hand the Magic mashup to the worker process
    (``options``: :func:`magic_worker_target`'s keyword arguments, checked
    here against its signature before any process starts)."""
    import inspect

    from audio_engine.worker import run_in_worker

    inspect.signature(magic_worker_target).bind(progress=progress, cancel=cancel, **options)
    return run_in_worker(magic_worker_target, kwargs=options, progress=progress, cancel=cancel)
