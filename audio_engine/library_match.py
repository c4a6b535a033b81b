"""Find a song in the local library (Trending's "Start a mashup"): by its
Chromaprint fingerprint first (the same recording under another title, or
another rip of it), else by title and artist.

Library songs' fingerprints come from their analysis (the studio stores the
compressed fingerprint there) or are computed with fpcalc and cached by
content hash in the analysis cache, so a second search costs no fpcalc run."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from audio_engine.fingerprint import MATCH_THRESHOLD, FingerprintError, decode, fingerprint_file, similarity
from audio_engine.library import Library, SongRecord
from audio_engine.progress import CancelToken, Progress


@dataclass(frozen=True)
class LibraryMatch:
    song: SongRecord
    how: str  # "fingerprint" | "title"
    score: float  # fingerprint bit agreement (1.0 for a title match)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _song_raw(song: SongRecord, cache: Any | None) -> tuple[int, ...] | None:
    comp = str((song.analysis or {}).get("fingerprint") or "")
    try:
        if comp:
            return decode(comp)
        if not song.path.is_file():
            return None
        return fingerprint_file(song.path, cache=cache, content_hash=song.content_hash).raw
    except FingerprintError:
        return None  # an unreadable song is simply not a match


def find_song(library: Library, *, title: str, artist: str = "", fingerprint: str | None = None,
              cache: Any | None = None, threshold: float = MATCH_THRESHOLD,
              progress: Callable[[Progress], None] | None = None,
              cancel: CancelToken | None = None) -> LibraryMatch | None:
    """The library song that is this recording (best fingerprint agreement at or
    above ``threshold``), else the one whose title (and artist, when given) is
    the same ignoring case and spacing, else the first title search hit that
    names the artist. None when nothing fits."""
    songs = library.all()
    if fingerprint:
        try:
            target = decode(fingerprint)
        except FingerprintError:
            target = ()
        best: tuple[float, SongRecord] | None = None
        for i, song in enumerate(songs):
            if cancel is not None:
                cancel.check()
            if progress is not None:
                progress(Progress(i / max(len(songs), 1), stage=f"Comparing with {song.title}"))
            raw = _song_raw(song, cache) if target else None
            if raw:
                score = similarity(target, raw)
                if score >= threshold and (best is None or score > best[0]):
                    best = (score, song)
        if best is not None:
            return LibraryMatch(best[1], "fingerprint", best[0])
    t, a = _norm(title), _norm(artist)
    if not t:
        return None
    exact = [s for s in songs if _norm(s.title) == t and (not a or _norm(s.artist) == a)]
    if exact:
        return LibraryMatch(exact[0], "title", 1.0)
    hits = [s for s in library.search(title) if not a or a in _norm(s.artist)]
    return LibraryMatch(hits[0], "title", 1.0) if hits else None
