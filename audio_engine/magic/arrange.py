"""Arrangement: which part of A's vocals goes over which part of B, as an
editor would place it.

Each song's sections come from :mod:`audio_engine.analysis.structure` on its
beat grid. The vocal's strongest section (vocal activity and level, a
chorus preferred) goes over B's section of matching energy (levels relative
to each song's loudest bar), entering after a phrase of B's instrumental as
an intro; entries and exits fall on bar lines of phrase-aligned sections, and
the outro is B's instrumental after the vocals end (built in
:mod:`audio_engine.magic.core`).

:func:`arrangements` proposes up to three: the strongest section, the vocals
from the top (the first sung phrase over B from its start), and either the
same placement with the pitch shift moved to the instrumental (the voice
keeps its natural pitch) or, when no shift is needed, the next-best vocal
section of other material. When two of these are the same placement (a short
song whose strongest section is its top), the best one with a longer intro
(two phrases of B) is the third, if B has the room.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from audio_engine.analysis.structure import Section, Structure
from audio_engine.magic.features import active_bars


@dataclass(frozen=True)
class Arrangement:
    name: str  # "strongest section", "from the top", "natural voice", "another section", "longer intro"
    description: str
    src_bar: int  # A's bar where the vocals start (0-based)
    b_start_bar: int  # B's bar where the instrumental starts
    intro_bars: int  # bars of B before the vocals enter
    shift_a: int  # semitones on the vocals
    shift_b: int  # semitones on the instrumental
    vocal_section: str | None = None  # e.g. "chorus (bars 17-24)"
    target_section: str | None = None
    fit: float = 0.5  # 0..1: energy match and vocal strength

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _section_text(s: Section) -> str:
    return f"{s.name} (bars {s.start_bar + 1}-{s.end_bar})"


def vocal_strength(sec: Section, levels_db: np.ndarray) -> float:
    """0..1: how much and how strongly the vocal sings in ``sec`` (share of
    active bars, level against the vocal's loudest bars, a chorus bonus)."""
    seg = levels_db[sec.start_bar : sec.end_bar]
    if seg.size == 0:
        return 0.0
    act = active_bars(levels_db)[sec.start_bar : sec.end_bar]
    top = float(np.percentile(levels_db, 95))
    level = float(np.clip(1.0 + (float(np.mean(seg[act])) - top) / 24.0, 0.0, 1.0)) if act.any() else 0.0
    return float(np.clip(0.5 * float(act.mean()) + 0.3 * level + (0.2 if sec.name == "chorus" else 0.0), 0.0, 1.0))


def matching_section(vocal_sec: Section, b_sections: list[Section], n_bars_b: int,
                     min_bars: int) -> tuple[Section, float]:
    """B's section whose energy (``energy_db``: relative to B's loudest bar)
    is closest to the vocal section's in A (relative to A's loudest bar),
    among sections with at least ``min_bars`` of B after their start; the
    same name wins a tie. Returns it and the match 0..1 (1 = equal energy,
    0 = 12 dB apart)."""
    want = vocal_sec.energy_db
    pool = [s for s in b_sections if n_bars_b - s.start_bar >= min_bars and s.name != "outro"] or b_sections[:1]
    best = min(pool, key=lambda s: (abs(s.energy_db - want) - (1.0 if s.name == vocal_sec.name else 0.0), s.start_bar))
    match = float(np.clip(1.0 - abs(best.energy_db - want) / 12.0, 0.0, 1.0))
    return best, match


def _coverage(vocal_sec: Section, target: Section, n_bars_b: int, outro_bars: int = 2) -> float:
    """Share of the vocal section that fits in B from the target section on
    (leaving an outro): a section that would be cut short fits worse."""
    room = n_bars_b - target.start_bar - outro_bars
    return float(np.clip(room / max(1, vocal_sec.bars), 0.0, 1.0))


#: Bars of vocals a mashup should carry (a verse and a chorus); fewer scale the fit down.
GOOD_VOCAL_BARS = 16


def _length_factor(src_bar: int, last_vocal_bar: int, b_from_bar: int, n_bars_b: int, outro_bars: int = 2) -> float:
    """How much of a full-length mashup the arrangement gives: the vocal
    bars that play (from ``src_bar`` to the last sung bar, as far as B's
    bars from ``b_from_bar`` reach before an outro) over GOOD_VOCAL_BARS."""
    usable = min(last_vocal_bar + 1 - src_bar, n_bars_b - b_from_bar - outro_bars)
    return float(np.clip(usable / GOOD_VOCAL_BARS, 0.0, 1.0))


def _first_phrase_in(sec: Section, starts: list[int]) -> int:
    inside = [s for s in starts if sec.start_bar <= s < sec.end_bar]
    return inside[0] if inside else sec.start_bar


def arrangements(*, a_structure: Structure, b_structure: Structure, vocal_levels: np.ndarray,
                 phrase_starts: list[int], shift_a: int, intro_bars: int, n_bars_b: int) -> list[Arrangement]:
    """Up to three arrangements, best first by ``fit`` (see the module doc).
    ``vocal_levels``: A's vocal stem level per bar (dB); ``phrase_starts``:
    A's bars where sung phrases begin."""
    out: list[Arrangement] = []
    first = phrase_starts[0]
    act = active_bars(vocal_levels)
    last = int(np.nonzero(act)[0][-1]) if act.any() else first
    top = Arrangement("from the top", "the vocals from their first phrase over B from its start", first, 0,
                      intro_bars, shift_a, 0,
                      fit=round(0.5 * _length_factor(first, last, intro_bars, n_bars_b), 4))
    voc = [s for s in a_structure.sections if vocal_strength(s, vocal_levels) > 0.3]
    ranked = sorted(voc, key=lambda s: -vocal_strength(s, vocal_levels))
    if ranked and b_structure.sections:
        best = ranked[0]
        target, match = matching_section(best, b_structure.sections, n_bars_b, best.bars)
        # A phrase of B before the target section is the intro (B from its
        # start when the section comes earlier than that).
        b_start = max(0, target.start_bar - intro_bars)
        src = _first_phrase_in(best, phrase_starts)
        fit = ((0.5 * match + 0.5 * vocal_strength(best, vocal_levels)) * _coverage(best, target, n_bars_b)
               * _length_factor(src, last, b_start + intro_bars, n_bars_b))
        strongest = Arrangement("strongest section", f"A's {_section_text(best)} over B's {_section_text(target)}",
                                src, b_start, intro_bars, shift_a, 0,
                                _section_text(best), _section_text(target), round(fit, 4))
        out.append(strongest)
        if shift_a != 0:
            out.append(Arrangement("natural voice", f"as the strongest section, the instrumental shifted {-shift_a:+d} "
                                   "semitones instead of the vocals", strongest.src_bar, b_start, strongest.intro_bars,
                                   0, -shift_a, strongest.vocal_section, strongest.target_section,
                                   round(fit * 0.98, 4)))
        else:
            other = [s for s in ranked[1:] if s.label != best.label]
            if other:
                sec = other[0]
                t2, m2 = matching_section(sec, b_structure.sections, n_bars_b, sec.bars)
                b2 = max(0, t2.start_bar - intro_bars)
                src2 = _first_phrase_in(sec, phrase_starts)
                out.append(Arrangement("another section", f"A's {_section_text(sec)} over B's {_section_text(t2)}",
                                       src2, b2, intro_bars, shift_a, 0, _section_text(sec), _section_text(t2),
                                       round((0.5 * m2 + 0.5 * vocal_strength(sec, vocal_levels))
                                             * _coverage(sec, t2, n_bars_b)
                                             * _length_factor(src2, last, b2 + intro_bars, n_bars_b), 4)))
    out.append(top)
    seen: set[tuple[int, int, int, int]] = set()
    uniq = []
    for arr in out:
        k = (arr.src_bar, arr.b_start_bar, arr.shift_a, arr.intro_bars)
        if k not in seen:
            seen.add(k)
            uniq.append(arr)
    if len(uniq) < 3:  # e.g. a short song whose strongest section is its top: a longer intro instead
        longer = _longer_intro(max(uniq, key=lambda r: r.fit), n_bars_b, last)
        if longer is not None and (longer.src_bar, longer.b_start_bar, longer.shift_a, longer.intro_bars) not in seen:
            uniq.append(longer)
    return sorted(uniq, key=lambda r: -r.fit)[:3]


def _longer_intro(best: Arrangement, n_bars_b: int, last_vocal_bar: int) -> Arrangement | None:
    """``best`` with twice the intro (two phrases of B before the vocals, which
    still land where ``best`` puts them in B when B has the bars before it),
    when B leaves at least a phrase of vocals and an outro after it; else None."""
    intro = 2 * best.intro_bars
    b_start = max(0, best.b_start_bar - best.intro_bars)
    if intro <= 0 or n_bars_b - b_start - intro < best.intro_bars + 2:
        return None
    kept = _length_factor(best.src_bar, last_vocal_bar, b_start + intro, n_bars_b)
    was = _length_factor(best.src_bar, last_vocal_bar, best.b_start_bar + best.intro_bars, n_bars_b)
    return Arrangement("longer intro", f"{best.description}, after {intro} bars of B's instrumental",
                       best.src_bar, b_start, intro, best.shift_a, best.shift_b, best.vocal_section,
                       best.target_section, round(0.9 * best.fit * (kept / was if was > 0 else 1.0), 4))
