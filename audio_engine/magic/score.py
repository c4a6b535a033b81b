"""Mashability of a pair (after AutoMashUpper, Davies et al. 2014): how well
song A's vocals sit on song B's instrumental, from tempo ratio, key distance
on the Camelot wheel, beat-synchronous chroma and rhythm similarity, and the
vocal/instrumental energy balance. Each part is 0..1; ``total`` is their
weighted mean."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from audio_engine.keys import Key, ShiftPlan, hedged_shift
from audio_engine.magic.features import SongFeatures

WEIGHTS = {"tempo": 0.25, "key": 0.25, "harmony": 0.2, "rhythm": 0.15, "balance": 0.15}
#: Layering relations only (audio_engine.keys.LAYERING); anything else clashes.
RELATION_SCORE = {"same": 1.0, "relative": 0.9, "adjacent": 0.8}
#: Stretch that costs nothing audible (Rubber Band is clean within a few %).
FREE_STRETCH = 0.03


@dataclass(frozen=True)
class TempoPlan:
    """How A (vocals) meets B: A's tempo counted ``multiple`` times (0.5 =
    half time, 2 = double time), the project tempo, and each song's stretch
    ratio (> 1 faster)."""

    target_bpm: float
    multiple: float
    ratio_a: float
    ratio_b: float
    within_limit: bool
    note: str


def plan_tempo(bpm_a: float, bpm_b: float, *, max_stretch: float = 0.2, split_over: float = 0.08) -> TempoPlan:
    """B's tempo by default, A counted in half or double time when that needs
    less stretch. When A would have to move more than ``split_over``, both
    songs move to the geometric mean (half the stretch each). Tempos more
    than ``max_stretch`` apart are not ``within_limit``."""
    best = min((0.5, 1.0, 2.0), key=lambda m: abs(math.log(bpm_b / (bpm_a * m))))
    eff_a = bpm_a * best
    target = bpm_b
    ratio_a, ratio_b = target / eff_a, 1.0
    note = ""
    apart = bpm_b / eff_a
    # One figure for "how far apart", the same either way round (110 vs 100
    # and 100 vs 110 are both 10% apart): the one the limit is compared with.
    apart_pct = (math.exp(abs(math.log(apart))) - 1.0) * 100.0
    if abs(math.log(ratio_a)) > math.log1p(split_over):
        target = math.sqrt(eff_a * bpm_b)
        ratio_a, ratio_b = target / eff_a, target / bpm_b
        note = f"the tempos are {apart_pct:.0f}% apart, so both songs move to {target:.2f} BPM"
    # The limit is on how far apart the tempos are (after half/double time):
    # beyond it even splitting the stretch between both songs sounds damaged.
    within = abs(math.log(apart)) <= math.log1p(max_stretch) + 1e-12
    if not within:
        note = (f"the tempos are {apart_pct:.0f}% apart (half/double time considered), beyond the "
                f"{max_stretch * 100:.0f}% limit (audible artefacts)")
    return TempoPlan(target, best, ratio_a, ratio_b, within, note)


@dataclass(frozen=True)
class Mashability:
    total: float
    tempo: float
    key: float
    harmony: float
    rhythm: float
    balance: float | None
    target_bpm: float
    tempo_multiple: float
    ratio_a: float
    ratio_b: float
    shift_a: int
    relation: str
    within_limit: bool
    #: The vocal shift layers well under every candidate reading of uncertain keys.
    hedged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < 1e-9 or nb < 1e-9:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def _pattern_at(p: list[float], steps: int) -> np.ndarray:
    x = np.asarray(p, dtype=np.float64)
    if x.size == steps:
        return x
    return np.interp(np.linspace(0, 1, steps, endpoint=False), np.linspace(0, 1, x.size, endpoint=False), x)


def tempo_part(tp: TempoPlan, *, max_stretch: float = 0.2) -> float:
    """The tempo part of the score (0..1): 1 up to :data:`FREE_STRETCH`, 0 at ``max_stretch``."""
    worst = max(abs(math.log(tp.ratio_a)), abs(math.log(tp.ratio_b)))
    limit = math.log1p(max_stretch)
    if worst <= math.log1p(FREE_STRETCH):
        return 1.0
    return max(0.0, 1.0 - (worst - math.log1p(FREE_STRETCH)) / (limit - math.log1p(FREE_STRETCH)))


def key_plan(key_a: Key, key_b: Key, *, max_shift: int = 6, alternatives_a: Sequence[Key] = (),
             alternatives_b: Sequence[Key] = ()) -> tuple[ShiftPlan, float]:
    """The vocal shift for A's vocals over B in ``key_b``, hedged over the
    other readings of uncertain keys (``alternatives_*``: see
    :func:`audio_engine.keys.hedged_shift`), and the key part of the score
    0..1 (the relation under the most likely readings, less 0.08 a semitone)."""
    plan = hedged_shift([key_b, *alternatives_b], [key_a, *alternatives_a], max_shift=max_shift)
    return plan, max(0.0, RELATION_SCORE.get(plan.relation, 0.0) - 0.08 * abs(plan.shift))


def key_part(key_a: Key, key_b: Key, *, max_shift: int = 6, alternatives_a: Sequence[Key] = (),
             alternatives_b: Sequence[Key] = ()) -> tuple[int, str, float]:
    """(semitones to shift A, the Camelot relation after the shift, the key
    part of the score 0..1) for A's vocals over B in ``key_b`` (see :func:`key_plan`)."""
    plan, score = key_plan(key_a, key_b, max_shift=max_shift, alternatives_a=alternatives_a,
                           alternatives_b=alternatives_b)
    return plan.shift, plan.relation, score


def mashability(a: SongFeatures, b: SongFeatures, *, max_stretch: float = 0.2, max_shift: int = 6,
                use_balance: bool = True, alternatives_a: Sequence[Key] = (),
                alternatives_b: Sequence[Key] = ()) -> Mashability:
    """Score A (vocals) over B (instrumental). ``alternatives_*``: other
    readings of an uncertain key; the vocal shift is hedged over them
    (:func:`key_plan`) and ``hedged`` says when it layers well under all."""
    tp = plan_tempo(a.bpm, b.bpm, max_stretch=max_stretch)
    tempo = tempo_part(tp, max_stretch=max_stretch)
    tonal = a.key_confidence > 0 and b.key_confidence > 0
    if tonal:
        ka = Key(a.key_tonic, "major" if a.key_mode == "major" else "minor")
        kb = Key(b.key_tonic, "major" if b.key_mode == "major" else "minor")
        plan, key = key_plan(ka, kb, max_shift=max_shift, alternatives_a=alternatives_a,
                             alternatives_b=alternatives_b)
        shift, rel, hedged = plan.shift, plan.relation, plan.hedged
    else:
        shift, rel, key, hedged = 0, "same", 0.5, False
    chroma_a = np.roll(np.asarray(a.chroma_profile), shift)
    harmony = max(0.0, _cos(chroma_a, np.asarray(b.chroma_profile)))
    # Rhythm: compare one bar's onset pattern, A's resampled to B's bar when
    # A is counted in half/double time.
    steps = len(b.rhythm_pattern)
    pa = _pattern_at(a.rhythm_pattern, steps)
    if tp.multiple == 2.0:  # A's bar spans two of B's: fold
        pa = _pattern_at(a.rhythm_pattern, 2 * steps).reshape(2, steps).sum(axis=0)
    rhythm = max(0.0, _cos(pa, np.asarray(b.rhythm_pattern)))
    balance: float | None = None
    parts = {"tempo": tempo, "key": key, "harmony": harmony, "rhythm": rhythm}
    if use_balance:
        balance = min(1.0, a.activity / 0.5) * min(1.0, b.activity / 0.7)
        parts["balance"] = balance
    wsum = sum(WEIGHTS[k] for k in parts)
    total = sum(WEIGHTS[k] * v for k, v in parts.items()) / wsum
    if not tp.within_limit:
        total *= 0.5
    return Mashability(total, tempo, key, harmony, rhythm, balance, tp.target_bpm, tp.multiple, tp.ratio_a,
                       tp.ratio_b, shift, rel, tp.within_limit, hedged)
