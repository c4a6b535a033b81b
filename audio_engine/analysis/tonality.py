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

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from audio_engine.analysis.features import ChromaFeatures
from audio_engine.keys import Key, neighbour_relation

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


#: Below this confidence a key is "uncertain" (see :class:`KeyEstimate`).
UNSURE_CONFIDENCE = 0.5


def _key_at(index: int, confidence: float) -> Key:
    mode_idx, tonic = divmod(int(index), 12)
    return Key(tonic, "major" if mode_idx == 0 else "minor", round(float(confidence), 3))


def _confidence(best: float, second: float) -> float:
    margin = (best - second) / max(1e-9, 1.0 - second)
    return float(np.clip(max(0.0, best) * 0.5 + 0.5 * min(1.0, margin * 4.0), 0.0, 1.0))


@dataclass(frozen=True)
class KeyEstimate:
    """The best key, the runner-up (``alternative``) and their correlations.

    ``uncertain`` when the confidence is low or the runner-up is a close
    neighbour of the best (relative, parallel or a fifth): those are the
    confusions a pitch-class profile of a whole mix cannot always settle, and
    the ones that make a mashup clash. Magic then decides on the separated
    harmonic stems (:func:`decide_key`)."""

    key: Key
    alternative: Key | None
    best_score: float
    alternative_score: float

    @property
    def neighbour(self) -> str | None:
        return neighbour_relation(self.key, self.alternative) if self.alternative is not None else None

    @property
    def uncertain(self) -> bool:
        return self.key.confidence < UNSURE_CONFIDENCE or self.neighbour is not None


def estimate_key(pcp: F64, *, profile: ProfileName = DEFAULT_PROFILE) -> KeyEstimate:
    """The best-correlating key and the runner-up. Confidence is the margin
    of the best over the runner-up, scaled to 0-1 (0: no tonal content, or a
    tie); the alternative carries the same measure against the best."""
    scores = key_scores(pcp, profile)
    if not np.any(scores):
        return KeyEstimate(Key(0, "major", 0.0), None, 0.0, 0.0)
    flat = scores.ravel()
    order = np.argsort(flat)[::-1]
    best, second = float(flat[order[0]]), float(flat[order[1]])
    margin = (best - second) / max(1e-9, 1.0 - second)
    # The runner-up's "confidence": how strong a rival it is (high when it
    # correlates well and nearly ties with the best).
    rival = float(np.clip(max(0.0, second) * (1.0 - min(1.0, margin * 4.0)), 0.0, 1.0))
    return KeyEstimate(
        _key_at(int(order[0]), _confidence(best, second)),
        _key_at(int(order[1]), rival),
        round(best, 4),
        round(second, 4),
    )


def detect_key(pcp: F64, *, profile: ProfileName = DEFAULT_PROFILE) -> Key:
    """The best-correlating key (see :func:`estimate_key`)."""
    return estimate_key(pcp, profile=profile).key


def vocal_profile(ch: ChromaFeatures) -> F64:
    """Pitch-class distribution of a vocal stem (full range, no bass
    emphasis: a voice has no bass register), normalised to sum 1."""
    v = _frame_normalised_sum(ch.chroma)
    total = float(v.sum())
    return v / total if total > 0 else v


def tonal_clarity(pcp: F64, profile: ProfileName = DEFAULT_PROFILE) -> float:
    """How clearly ``pcp`` points at a key: its best key correlation, 0-1.
    Sung melody scores high; speech, rap and noise score low."""
    return float(max(0.0, key_scores(pcp, profile).max()))


@dataclass(frozen=True)
class KeyDecision:
    key: Key
    changed: bool
    candidates: dict[str, float]  # key name -> combined score
    reason: str
    #: The runner-up among the candidates (None when there was only one).
    alternative: Key | None = None


def decide_key(mix: KeyEstimate, mix_pcp: F64, harmonic_pcp: F64, *, vocal_pcp: F64 | None = None,
               profile: ProfileName = DEFAULT_PROFILE) -> KeyDecision:
    """Settle an uncertain key on the separated stems.

    The candidates are the mix's best key and its runner-up (plus, when the
    two are neighbours, each one's relative and parallel keys, the usual
    confusions). Each is scored by its correlation on the mix, on the
    harmonic stems (bass + other: no drums, no vocals, so chords and bass
    roots speak plainly) and, for a vocal song, on the vocal's pitch-class
    distribution weighted by how tonal the vocal is (a rapped or spoken vocal
    does not vote). The harmonic stems count double: they are the evidence
    the mix blurs. The result's confidence is the margin between the two best
    combined scores, on the same 0-1 scale as :func:`estimate_key`."""
    cands: list[Key] = [mix.key] + ([mix.alternative] if mix.alternative is not None else [])
    if mix.alternative is not None and mix.neighbour is not None:
        for k in list(cands):
            cands += [k.relative, Key(k.tonic, "minor" if k.mode == "major" else "major")]
    uniq: dict[tuple[int, str], Key] = {}
    for k in cands:
        uniq.setdefault((k.tonic, k.mode), k)
    s_mix, s_h = key_scores(mix_pcp, profile), key_scores(harmonic_pcp, profile)
    w_v = 0.0
    s_v = np.zeros((2, 12))
    if vocal_pcp is not None and np.any(vocal_pcp > 0):
        s_v = key_scores(vocal_pcp, profile)
        w_v = tonal_clarity(vocal_pcp, profile)
    total = {}
    for (tonic, mode), _k in uniq.items():
        m = 0 if mode == "major" else 1
        total[(tonic, mode)] = float(s_mix[m, tonic] + 2.0 * s_h[m, tonic] + w_v * s_v[m, tonic])
    ranked = sorted(total.items(), key=lambda kv: -kv[1])
    (tonic, mode), best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else -1.0
    norm = 3.0 + w_v
    conf = _confidence(best / norm, second / norm)
    key = Key(tonic, mode, round(conf, 3))  # type: ignore[arg-type]
    runner_up = Key(ranked[1][0][0], ranked[1][0][1]) if len(ranked) > 1 else None  # type: ignore[arg-type]
    changed = not key.same_key(mix.key)
    names = {Key(t, md).name: round(v, 4) for (t, md), v in ranked}  # type: ignore[arg-type]
    voc = f", vocal weight {w_v:.2f}" if vocal_pcp is not None else ""
    reason = (f"key checked on the harmonic stems{voc}: {key.name} "
              + (f"(the mix suggested {mix.key.name})" if changed else "(confirmed)"))
    return KeyDecision(key, changed, names, reason, runner_up)
