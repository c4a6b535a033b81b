"""Stem separation (Demucs models, or the classical no-download fallback).

    from audio_engine.separation import separate
    stems = separate("song.flac", model="htdemucs", progress=print)
    vocals = stems.load("vocals")
"""

from audio_engine.separation.engine import (
    CLASSICAL,
    StemSet,
    clean_stem_cache,
    find_cached_stems,
    separate,
    stem_cache,
    stem_cache_size,
)

__all__ = ["CLASSICAL", "StemSet", "clean_stem_cache", "find_cached_stems", "separate", "stem_cache", "stem_cache_size"]
