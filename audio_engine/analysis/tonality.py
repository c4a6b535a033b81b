"""Key detection: chroma correlated with key profiles.

The pitch-class distribution of the whole track is the sum of its chroma
frames (each scaled to max 1), plus a bass-register chroma (C1-B3, where the
roots of the harmony sit) with equal weight. It is correlated (Pearson) with the 24
rotations of a major and a minor key profile; the best correlation names the
key (the Krumhansl-Schmuckler method). Profiles: Albrecht-Shanahan (2013)
by default; Krumhansl-Kessler (1982) and Temperley (1999) are available.
(On a development set of corpus songs rendered with seeds that the benchmark
does not use, Albrecht-Shanahan confused relative and neighbouring keys
least, as its authors report for real music.)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from audio_engine.analysis.features import ChromaFeatures
from audio_engine.keys import Key

F64 = npt.NDArray[np.float64]
ProfileName = Literal["temperley", "krumhansl", "albrecht"]

PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # Krumhansl & Kessler (1982) probe-tone ratings.
    "krumhansl": (
        (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
        (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
    ),
    # Temperley (1999), "What's key for key? The Krumhansl-Schmuckler key-finding algorithm reconsidered".
    "temperley": (
        (5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0),
        (5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0),
    ),
    # Albrecht & Shanahan (2013), "The use of large corpora to train a new type of key-finding algorithm".
    "albrecht": (
        (0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081),
        (0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052),
    ),
}
DEFAULT_PROFILE: ProfileName = "albrecht"
BASS_WEIGHT = 1.0
#: Chroma frames quieter than this (dB below the loudest frame) are ignored.
FRAME_FLOOR_DB = -40.0


def key_scores(pcp: F64, profile: ProfileName = DEFAULT_PROFILE) -> F64:
    """Pearson correlations, shape (2, 12): [major, minor] x tonic."""
    out = np.zeros((2, 12))
    if not np.any(pcp > 0) or np.std(pcp) < 1e-12:
        return out
    for m, prof in enumerate(PROFILES[profile]):
        p = np.asarray(prof, dtype=np.float64)
        for tonic in range(12):
            out[m, tonic] = float(np.corrcoef(pcp, np.roll(p, tonic))[0, 1])
    return out


def _frame_normalised_sum(chroma: npt.NDArray[np.float32]) -> F64:
    """Sum of the frames each scaled to max 1 (librosa's chroma norm=inf),
    skipping frames more than FRAME_FLOOR_DB below the loudest (silence,
    noise), so every sounding moment counts alike whatever its loudness."""
    energy = chroma.sum(axis=0).astype(np.float64)
    if energy.size == 0 or float(energy.max()) <= 0:
        return np.zeros(12)
    keep = energy >= float(energy.max()) * 10.0 ** (FRAME_FLOOR_DB / 10.0)
    frames = chroma[:, keep].astype(np.float64)
    return np.asarray((frames / np.maximum(frames.max(axis=0, keepdims=True), 1e-12)).sum(axis=1))


def pitch_class_profile(ch: ChromaFeatures, *, bass_weight: float = BASS_WEIGHT) -> F64:
    """Whole-track pitch-class distribution: full-range chroma plus
    ``bass_weight`` times the bass chroma, each normalised to sum 1."""
    pcp = np.zeros(12)
    for part, w in ((ch.chroma, 1.0), (ch.bass, bass_weight)):
        v = _frame_normalised_sum(part)
        total = float(v.sum())
        if total > 0 and w > 0:
            pcp += w * v / total
    return pcp


def detect_key(pcp: F64, *, profile: ProfileName = DEFAULT_PROFILE) -> Key:
    """The best-correlating key. Confidence is the margin of the best over
    the runner-up key, scaled to 0-1 (0: no tonal content, or a tie)."""
    scores = key_scores(pcp, profile)
    if not np.any(scores):
        return Key(0, "major", 0.0)
    flat = scores.ravel()
    order = np.argsort(flat)[::-1]
    best, second = float(flat[order[0]]), float(flat[order[1]])
    mode_idx, tonic = divmod(int(order[0]), 12)
    margin = (best - second) / max(1e-9, 1.0 - second)
    confidence = float(np.clip(max(0.0, best) * 0.5 + 0.5 * min(1.0, margin * 4.0), 0.0, 1.0))
    return Key(tonic, "major" if mode_idx == 0 else "minor", round(confidence, 3))
