"""Partner ranking ("what fits with this"): the operations the studio's
What-fits panel, the ``mashups fits`` command and Magic's library mode call.
The ranking itself is the engine's (:mod:`audio_engine.magic`): a panel never
computes a score of its own.

* :func:`partners` ranks library songs from their stored analyses at once
  (tempo plan and key shift, the same plan Magic generates with; pairs Magic
  would refuse are never listed).
* :func:`rank_files` ranks audio files on the full mashability score
  (tempo, key, harmony and rhythm features; each file analysed once, cached).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from audio_engine.magic.plan import DEFAULT_MAX_STRETCH, QuickFit, quick_fits
from audio_engine.progress import CancelToken, ProgressCallback

T = TypeVar("T")


def partners(query: Any, candidates: Sequence[tuple[T, Any]], *, role: str = "vocals",
             max_stretch: float = DEFAULT_MAX_STRETCH, limit: int | None = None) -> list[QuickFit[T]]:
    """``candidates`` (``(item, analysis)``; the analysis as an
    :class:`~audio_engine.analysis.Analysis` or its stored dict) best first
    for the song whose analysis is ``query``; ``role`` is what the query
    song gives ("vocals" or "instrumental")."""
    fits = quick_fits(query, list(candidates), role=role, max_stretch=max_stretch)
    return fits[:limit] if limit else fits


def rank_files(song: Path, files: Sequence[Path], *, context: Any, role: str = "vocals",
               max_stretch: float = DEFAULT_MAX_STRETCH, progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> tuple[list[Any], list[str]]:
    """``files`` ranked on the full mashability score for ``song`` (with the
    caches of ``context``, an :class:`~audio_engine.app.context.AppContext`);
    returns the :class:`~audio_engine.magic.Fit` list and the files that
    could not be used (with why)."""
    from audio_engine.magic.fits import rank_candidates

    return rank_candidates(Path(song), [Path(f) for f in files], caches=context.magic_caches(), role=role,
                           max_stretch=max_stretch, progress=progress, cancel=cancel)
