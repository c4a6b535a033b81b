"""Three Magic arrangements of one pair, each with a short preview and a
score, any of which opens as an editable project.

    vs = magic_variations(a, b, out_dir=folder, caches=caches)
    vs[0].preview  # 20 s WAV around the vocal entry
    vs[0].result.project  # the editable project (render it, save it, edit it)

The plan (analysis, stems, keys, tempo) is computed once and cached, so the
three cost one planning pass each plus three short renders.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_engine.magic.core import Caches, MagicResult, magic_mashup
from audio_engine.progress import CancelToken, ProgressCallback, ProgressReporter, check
from audio_engine.project.model import Project

PREVIEW_SECONDS = 20.0
#: The preview starts this long before the vocals enter (the listener hears B's groove, then the voice).
PREVIEW_LEAD_S = 4.0


@dataclass
class Variation:
    name: str
    description: str
    score: float  # 0..1: the pair's mashability and the arrangement's fit
    result: MagicResult
    preview: Path | None
    preview_start_s: float

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "score": round(self.score, 4),
                "preview": str(self.preview) if self.preview else None,
                "preview_start_s": round(self.preview_start_s, 3), "arrangement": self.result.arrangement,
                "shift_semitones": {"a": self.result.shift_a, "b": self.result.shift_b},
                "camelot_relation": self.result.relation}


def excerpt(project: Project, start_s: float, seconds: float) -> Project:
    """A copy of ``project`` holding only what sounds in ``[start_s,
    start_s + seconds)``, moved to start at 0 (clips trimmed, 10 ms fades
    at the cuts; markers and captions left out)."""
    out = copy.deepcopy(project)
    out.markers, out.caption_lanes = [], []
    end_s = start_s + seconds
    for track in out.tracks:
        kept = []
        for clip in track.clips:
            c0 = project.clip_start_seconds(clip)
            ratio = clip.ratio(project.tempo)
            c1 = c0 + clip.length_seconds(project.tempo)
            lo, hi = max(c0, start_s), min(c1, end_s)
            if hi - lo < 0.02:
                continue
            new_in = clip.source_in + (lo - c0) * ratio
            clip.source_out = min(clip.source_out, clip.source_in + (hi - c0) * ratio)
            clip.source_in = new_in
            clip.position = project.seconds_to_beats(lo - start_s)
            clip.fade_in = max(clip.fade_in if lo == c0 else 0.0, 0.01)
            clip.fade_out = max(clip.fade_out if hi == c1 else 0.0, 0.01)
            clip.fade_in = min(clip.fade_in, (hi - lo) / 2)
            clip.fade_out = min(clip.fade_out, (hi - lo) / 2)
            kept.append(clip)
        track.clips = kept
    return out


def magic_variations(
    song_a: str | os.PathLike[str],
    song_b: str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    caches: Caches,
    preview_seconds: float = PREVIEW_SECONDS,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    **magic_options: Any,
) -> list[Variation]:
    """Up to three arrangements of A's vocals over B (best score first), each
    a :class:`MagicResult` with an unrendered, editable project, and a
    ``preview_seconds`` preview WAV in ``out_dir`` (no previews when
    ``out_dir`` is None). ``magic_options`` go to :func:`magic_mashup`
    (model, max_stretch, captions_a, titles...). Errors are magic_mashup's
    (a refused pair is refused before any work)."""
    from audio_engine.errors import MashupsError
    from audio_engine.project.render import render_project

    if "out" in magic_options or "project_path" in magic_options or "render" in magic_options:
        raise MashupsError("magic_variations makes previews, not renders or saved projects: "
                           "render or save the chosen variation's project.")
    rep = ProgressReporter(progress, stage="planning")
    rep(0.0, force=True)
    first = magic_mashup(song_a, song_b, caches=caches, render=False, cancel=cancel,
                         progress=(lambda p: rep(0.6 * p.fraction)) if progress else None, **magic_options)
    names = [a["name"] for a in first.arrangements]
    results = {first.arrangement["name"]: first}
    out: list[Variation] = []
    folder = Path(out_dir) if out_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        check(cancel)
        r = results.get(name) or magic_mashup(song_a, song_b, caches=caches, render=False, arrangement=name,
                                              cancel=cancel, **magic_options)
        p = r.project
        entry_s = p.beats_to_seconds((r.vocal_entry_bar - 1) * p.beats_per_bar)
        start = max(0.0, entry_s - PREVIEW_LEAD_S)
        preview = None
        if folder is not None:
            preview = folder / f"variation-{i + 1}.wav"
            render_project(excerpt(p, start, preview_seconds), media=[caches.media], out=preview,
                           cache=caches.renders, cancel=cancel)
        fit = float(r.arrangement.get("fit", 0.5))
        out.append(Variation(name, str(r.arrangement.get("description", "")), 0.7 * r.score.total + 0.3 * fit,
                             r, preview, start))
        rep(0.6 + 0.4 * (i + 1) / len(names))
    rep(1.0, stage="done", force=True)
    return sorted(out, key=lambda v: -v.score)
