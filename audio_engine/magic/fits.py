""""What fits with this": rank the songs of a library folder by how well
they mash up with one song, with the tempo stretch and pitch shift each
pairing needs. Works on the full mixes (analysis and features cached), so a
library is ranked without separating every song."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from audio_engine.cache import cache_key
from audio_engine.errors import MashupsError
from audio_engine.formats import AUDIO_EXTENSIONS
from audio_engine.magic.core import Caches
from audio_engine.magic.features import (
    FEATURE_RATE,
    FEATURE_VERSION,
    SongFeatures,
    grid_from_analysis,
    onset_envelope,
    refine_phase,
    song_features,
)
from audio_engine.magic.score import Mashability, mashability
from audio_engine.progress import CancelToken, ProgressCallback, ProgressReporter, check

AUDIO_EXTS = AUDIO_EXTENSIONS  # the engine's one list (audio_engine.formats)
Role = Literal["vocals", "instrumental"]


@dataclass(frozen=True)
class Fit:
    path: Path
    bpm: float
    key: str
    camelot: str
    score: Mashability
    role: Role
    content_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        s = self.score
        return {
            "path": str(self.path),
            "bpm": round(self.bpm, 2),
            "key": self.key,
            "camelot": self.camelot,
            "score": round(s.total, 4),
            # Semitones to pitch the song that gives the vocals.
            "shift_semitones": s.shift_a,
            "shifted_song": "query" if self.role == "vocals" else "candidate",
            "camelot_relation": s.relation,
            "stretch_ratio_vocals": round(s.ratio_a, 4),
            "stretch_ratio_instrumental": round(s.ratio_b, 4),
            "target_bpm": round(s.target_bpm, 2),
            "within_stretch_limit": s.within_limit,
            "parts": {k: (None if v is None else round(v, 3)) for k, v in
                      (("tempo", s.tempo), ("key", s.key), ("harmony", s.harmony), ("rhythm", s.rhythm))},
        }


def mix_features(path: Path, *, caches: Caches, cancel: CancelToken | None = None) -> tuple[Any, SongFeatures]:
    """Analysis and mix features of one file (both cached by content)."""
    from audio_engine import io
    from audio_engine.analysis import analyze_file

    a = analyze_file(path, cache=caches.analysis, cancel=cancel)
    key = cache_key("magic-mix-features", FEATURE_VERSION, a.content_hash)
    hit = caches.features.get(key)
    if hit is not None:
        return a, SongFeatures.from_dict(hit)
    if a.bpm <= 0:
        raise MashupsError(f"{path.name} has no steady beat.")
    check(cancel)
    grid = grid_from_analysis(a.beats, a.downbeats, a.beats_per_bar, a.duration, a.bpm,
                              period=a.beat_period, phase=a.beat_phase)
    audio = io.load(path, sample_rate=FEATURE_RATE, channels=1)
    env = onset_envelope(audio)
    grid = refine_phase(grid, *env)
    f = song_features(audio, grid, key_tonic=a.key.tonic, key_mode=a.key.mode, key_confidence=a.key.confidence,
                      env=env)
    caches.features.put(key, f.to_dict())
    return a, f


def library_files(library: str | os.PathLike[str]) -> list[Path]:
    root = Path(library)
    if not root.is_dir():
        raise MashupsError(f"{root} is not a folder.", hint="Give the folder that holds your songs.")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTS)


def what_fits(
    song: str | os.PathLike[str],
    *,
    library: str | os.PathLike[str],
    caches: Caches,
    role: Role = "vocals",
    max_stretch: float = 0.2,
    limit: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> tuple[list[Fit], list[str]]:
    """Library songs ranked best first for ``song`` (``role``: the part the
    query song plays), and the files that could not be used (with why)."""
    fits, skipped = rank_candidates(Path(song), library_files(library), caches=caches, role=role,
                                    max_stretch=max_stretch, progress=progress, cancel=cancel)
    return (fits[:limit] if limit else fits), skipped


def rank_candidates(
    song: Path,
    candidates: list[Path],
    *,
    caches: Caches,
    role: Role | str = "vocals",
    max_stretch: float = 0.2,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> tuple[list[Fit], list[str]]:
    """``candidates`` (files) ranked best first on the full mashability score
    for ``song``, and the files that could not be used (with why)."""
    q = Path(song)
    rep = ProgressReporter(progress, stage="ranking")
    aq, fq = mix_features(q, caches=caches, cancel=cancel)
    files = [p for p in candidates if p.resolve() != q.resolve()]
    fits: list[Fit] = []
    skipped: list[str] = []
    for i, p in enumerate(files):
        check(cancel)
        try:
            a, fc = mix_features(p, caches=caches, cancel=cancel)
        except MashupsError as e:
            skipped.append(f"{p.name}: {e}")
            continue
        s = (mashability(fq, fc, max_stretch=max_stretch, use_balance=False) if role == "vocals"
             else mashability(fc, fq, max_stretch=max_stretch, use_balance=False))
        fits.append(Fit(p, a.bpm, a.key.name, a.key.camelot, s, "vocals" if role == "vocals" else "instrumental",
                        a.content_hash))
        rep((i + 1) / max(1, len(files)))
    fits.sort(key=lambda f: -f.score.total)
    del aq
    return fits, skipped


def magic_with_library(
    song: str | os.PathLike[str],
    *,
    library: str | os.PathLike[str],
    role: Role = "vocals",
    caches: Caches,
    max_stretch: float = 0.2,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    **options: Any,
) -> tuple[Any, Fit]:
    """Magic mashup of one song with the best-fitting song of a library:
    ``role="vocals"`` uses ``song``'s vocals over the partner's instrumental,
    ``"instrumental"`` the other way round. Returns the MagicResult and the
    chosen :class:`Fit`; ``options`` go to :func:`magic_mashup`."""
    from audio_engine.magic.core import magic_mashup

    rep = ProgressReporter(progress, stage="choosing a partner")
    rank_rep, mash_rep = rep.sub(0.0, 0.2), rep.sub(0.2, 0.8)
    fits, skipped = what_fits(song, library=library, caches=caches, role=role, max_stretch=max_stretch,
                              progress=(lambda p: rank_rep(p.fraction)) if progress else None, cancel=cancel)
    from audio_engine.io import file_hash

    own = file_hash(song)
    usable = [f for f in fits if f.score.within_limit and f.content_hash != own]  # not a copy of itself
    if not usable:
        why = f" ({len(skipped)} unreadable)" if skipped else ""
        raise MashupsError(f"No song in {library} is within the {max_stretch * 100:.0f}% tempo limit of {Path(song).name}{why}.",
                           hint="Add songs with a similar tempo to the library, or raise --max-stretch.")
    best = usable[0]
    a, b = (song, best.path) if role == "vocals" else (best.path, song)
    result = magic_mashup(a, b, caches=caches, max_stretch=max_stretch,
                          progress=(lambda p: mash_rep(p.fraction)) if progress else None, cancel=cancel, **options)
    result.notes.append(f"partner chosen from the library: {best.path.name} (score {best.score.total:.2f})")
    return result, best
