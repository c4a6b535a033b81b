"""What Magic mashup will do with a pair, known before any work.

The tempo plan comes from the songs' stored analyses through the same beat
grid fit (:func:`~audio_engine.magic.features.grid_from_analysis`) and the
same :func:`~audio_engine.magic.score.plan_tempo` that :func:`magic_mashup`
uses after separation (the phase refinement there moves the grid's phase,
never its tempo), so a preview or a "what fits" list built on these agrees
with the generation, and a pair Magic would refuse is refused up front,
before anything is separated.

``analysis`` arguments are either an analysis result
(:class:`audio_engine.analysis.result.AnalysisResult`) or its ``to_dict()``
form, as the studio's library stores it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from audio_engine.errors import MashupsError, StretchLimitError
from audio_engine.keys import Key, KeyParseError, neighbour_relation, parse_key
from audio_engine.magic.features import Grid, grid_from_analysis
from audio_engine.magic.score import WEIGHTS, TempoPlan, key_plan, plan_tempo, tempo_part

#: How far apart two tempos may be (after half/double time) by default: 0.2 = 20 %.
DEFAULT_MAX_STRETCH = 0.2
#: The range a person may choose for the limit.
MAX_STRETCH_RANGE = (0.02, 0.5)

T = TypeVar("T")


def _field(analysis: Any, name: str, default: Any = None) -> Any:
    if isinstance(analysis, Mapping):
        return analysis.get(name, default)
    return getattr(analysis, name, default)


def analysis_grid(analysis: Any) -> Grid:
    """The constant beat grid Magic works on for ``analysis``: the analyser's
    own fit when it carries one, else fitted to its beats (MashupsError when
    the song has no steady beat). :func:`prepare_song` uses this too."""
    downbeats = [float(x) for x in (_field(analysis, "downbeats", None) or [])]
    return grid_from_analysis(
        [float(x) for x in (_field(analysis, "beats", None) or [])], downbeats,
        int(_field(analysis, "beats_per_bar", 4) or 4), float(_field(analysis, "duration", 0.0) or 0.0),
        float(_field(analysis, "bpm", 0.0) or 0.0),
        period=float(_field(analysis, "beat_period", 0.0) or 0.0), phase=float(_field(analysis, "beat_phase", 0.0) or 0.0),
    )


def grid_bpm(analysis: Any) -> float:
    """The tempo of Magic's beat grid for ``analysis`` (0.0 when the song has no steady beat)."""
    try:
        return analysis_grid(analysis).bpm
    except MashupsError:
        return 0.0


def analysis_key(analysis: Any) -> Key | None:
    """The analysed key, or None when the song has no clear key."""
    k = _field(analysis, "key", None)
    if isinstance(k, Key):
        return k if k.confidence > 0 else None
    tonic, mode = _field(analysis, "key_tonic", None), _field(analysis, "key_mode", None)
    conf = float(_field(analysis, "key_confidence", 0.0) or 0.0)
    if not isinstance(tonic, int) or mode not in ("major", "minor") or conf <= 0:
        return None
    return Key(tonic, mode, conf)


def analysis_alternatives(analysis: Any) -> list[Key]:
    """The other reading of an uncertain key (the runner-up, when it is a
    close neighbour: relative, parallel or a fifth), or none; Magic hedges
    its vocal shift over it (:func:`audio_engine.keys.hedged_shift`)."""
    key = analysis_key(analysis)
    if key is None or not _field(analysis, "key_uncertain", False):
        return []
    alt = _field(analysis, "key_alternative", None)
    if isinstance(alt, str):
        try:
            alt = parse_key(alt)
        except KeyParseError:
            return []
    if isinstance(alt, Key) and neighbour_relation(key, alt) is not None:
        return [alt]
    return []


def key_reading_text(analysis: Any) -> str:
    """The analysed key for people: name, Camelot code and confidence, and
    the other reading when the key is uncertain, e.g. "D major (10B), 62 %
    sure; or A major (11B, a fifth away)"."""
    key = analysis_key(analysis)
    if key is None:
        return "no clear key"
    text = f"{key.name} ({key.camelot}), {key.confidence * 100:.0f} % sure"
    for alt in analysis_alternatives(analysis):
        rel = neighbour_relation(key, alt)
        what = {"relative": "the relative key", "parallel": "the parallel key", "fifth": "a fifth away"}.get(rel or "", "")
        text += f"; or {alt.name} ({alt.camelot}, {what})"
    return text


def pair_plan(analysis_a: Any, analysis_b: Any, *, max_stretch: float = DEFAULT_MAX_STRETCH) -> TempoPlan:
    """The tempo plan Magic will use for A's vocals over B's instrumental."""
    check_max_stretch(max_stretch)
    bpm_a, bpm_b = grid_bpm(analysis_a), grid_bpm(analysis_b)
    if bpm_a <= 0 or bpm_b <= 0:
        raise MashupsError("One of the songs has no steady beat; Magic mashup needs two songs with a beat.")
    return plan_tempo(bpm_a, bpm_b, max_stretch=max_stretch)


def check_max_stretch(max_stretch: float) -> None:
    lo, hi = MAX_STRETCH_RANGE
    if not lo <= max_stretch <= hi:
        raise MashupsError(f"The stretch limit must be between {lo * 100:.0f}% and {hi * 100:.0f}% "
                           f"(got {max_stretch * 100:g}%).")


def tempos_apart(plan: TempoPlan) -> float:
    """How far apart the two tempos are after half/double time (0.26 = 26 %,
    the same either way round): the figure the limit applies to."""
    return math.exp(abs(math.log(plan.ratio_a / plan.ratio_b))) - 1.0


def refusal(plan: TempoPlan, *, name_a: str, name_b: str, bpm_a: float, bpm_b: float) -> StretchLimitError | None:
    """The error Magic raises for this plan, or None when it is accepted."""
    if plan.within_limit:
        return None
    return StretchLimitError(f"{name_a} ({bpm_a:.1f} BPM) and {name_b} ({bpm_b:.1f} BPM): {plan.note}.")


def check_pair(analysis_a: Any, analysis_b: Any, *, max_stretch: float = DEFAULT_MAX_STRETCH,
               name_a: str = "song A", name_b: str = "song B") -> TempoPlan:
    """The tempo plan, or :class:`StretchLimitError` when Magic would refuse
    the pair (tempos further apart than ``max_stretch``)."""
    plan = pair_plan(analysis_a, analysis_b, max_stretch=max_stretch)
    err = refusal(plan, name_a=name_a, name_b=name_b, bpm_a=grid_bpm(analysis_a), bpm_b=grid_bpm(analysis_b))
    if err is not None:
        raise err
    return plan


@dataclass(frozen=True)
class QuickFit(Generic[T]):
    """A partner ranked from stored analyses: the tempo and key parts of the
    mashability score (the harmony, rhythm and balance parts need the audio
    and come with the Magic result)."""

    partner: T
    partner_bpm: float  # the partner's own tempo (its beat grid)
    plan: TempoPlan
    shift: int  # semitones for the vocal song
    relation: str
    score: float  # 0..1
    #: The shift layers well under both readings of an uncertain key (:func:`analysis_alternatives`).
    hedged: bool = False

    @property
    def stretch_pct(self) -> float:
        """The larger stretch either song gets, in percent."""
        return max(abs(self.plan.ratio_a - 1.0), abs(self.plan.ratio_b - 1.0)) * 100.0

    @property
    def apart_pct(self) -> float:
        return tempos_apart(self.plan) * 100.0


def quick_fits(query: Any, candidates: Sequence[tuple[T, Any]], *, role: str = "vocals",
               max_stretch: float = DEFAULT_MAX_STRETCH, max_shift: int = 6) -> list[QuickFit[T]]:
    """``candidates`` (``(partner, analysis)`` pairs) ranked best first for
    the song with analysis ``query`` playing ``role`` ("vocals": the query's
    vocals over the partner, "instrumental": the other way round). Pairs
    Magic would refuse (tempos beyond ``max_stretch``) and songs without a
    beat are left out; without a clear key in either song there is no shift
    and the key part is 0.5, as in :func:`mashability`."""
    check_max_stretch(max_stretch)
    q_bpm, q_key = grid_bpm(query), analysis_key(query)
    if q_bpm <= 0:
        return []
    w = WEIGHTS["tempo"] + WEIGHTS["key"]
    out: list[QuickFit[T]] = []
    for partner, analysis in candidates:
        p_bpm, p_key = grid_bpm(analysis), analysis_key(analysis)
        if p_bpm <= 0:
            continue
        bpm_v, bpm_i, key_v, key_i = (q_bpm, p_bpm, q_key, p_key) if role == "vocals" else (p_bpm, q_bpm, p_key, q_key)
        plan = plan_tempo(bpm_v, bpm_i, max_stretch=max_stretch)
        if not plan.within_limit:
            continue
        hedged = False
        if key_v is None or key_i is None:
            shift, rel, key = 0, "no clear key", 0.5
        else:
            alt_v, alt_i = ((analysis_alternatives(query), analysis_alternatives(analysis)) if role == "vocals"
                            else (analysis_alternatives(analysis), analysis_alternatives(query)))
            kp, key = key_plan(key_v, key_i, max_shift=max_shift, alternatives_a=alt_v, alternatives_b=alt_i)
            shift, rel, hedged = kp.shift, kp.relation, kp.hedged
        score = (WEIGHTS["tempo"] * tempo_part(plan, max_stretch=max_stretch) + WEIGHTS["key"] * key) / w
        out.append(QuickFit(partner, p_bpm, plan, shift, rel, score, hedged))
    out.sort(key=lambda f: -f.score)
    return out


def track_name(title: str, part: str) -> str:
    """How Magic names a track: the song's title and the part, "Song — drums"."""
    return f"{title} — {part}"
