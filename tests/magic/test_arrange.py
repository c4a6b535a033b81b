"""Arrangement choices on given song structures (no audio needed)."""

from __future__ import annotations

import numpy as np

from audio_engine.analysis.structure import Section, Structure
from audio_engine.magic.arrange import arrangements, matching_section, vocal_strength


def _st(*secs: tuple[int, int, str, str, float]) -> Structure:
    return Structure([Section(a, b, lab, name, e) for a, b, lab, name, e in secs], 0, [])


A = _st((0, 8, "A", "intro", -12.0), (8, 16, "B", "verse", -6.0), (16, 24, "C", "chorus", -1.0),
        (24, 32, "B", "verse", -6.0), (32, 40, "C", "chorus", -1.0), (40, 44, "D", "outro", -14.0))
B = _st((0, 8, "A", "intro", -10.0), (8, 24, "B", "verse", -7.0), (24, 40, "C", "chorus", -0.5),
        (40, 56, "B", "verse", -7.0), (56, 60, "D", "outro", -15.0))
# The vocal sings softly in the verses, loud in the choruses, not in intro/outro.
VOCAL = np.array([-80.0] * 8 + [-20.0] * 8 + [-8.0] * 8 + [-20.0] * 8 + [-8.0] * 8 + [-80.0] * 4)


def test_strongest_vocal_section_goes_over_the_matching_energy_section() -> None:
    assert vocal_strength(A.sections[2], VOCAL) > vocal_strength(A.sections[1], VOCAL) > vocal_strength(A.sections[0], VOCAL)
    target, match = matching_section(A.sections[2], B.sections, 60, 8)
    assert target.name == "chorus" and target.start_bar == 24 and match > 0.9
    verse_target, _ = matching_section(A.sections[1], B.sections, 60, 8)
    assert verse_target.name == "verse"


def test_three_arrangements_best_first() -> None:
    opts = arrangements(a_structure=A, b_structure=B, vocal_levels=VOCAL, phrase_starts=[8, 12, 16, 20, 24, 32],
                        shift_a=2, intro_bars=4, n_bars_b=60)
    assert [o.name for o in opts][:1] == ["strongest section"] and len(opts) == 3
    best = opts[0]
    assert best.src_bar == 16 and best.b_start_bar == 20 and best.intro_bars == 4  # a phrase of B's verse as intro
    assert best.vocal_section and best.vocal_section.startswith("chorus")
    assert best.target_section and best.target_section.startswith("chorus")
    nat = next(o for o in opts if o.name == "natural voice")
    assert (nat.shift_a, nat.shift_b) == (0, -2) and nat.src_bar == best.src_bar
    top = next(o for o in opts if o.name == "from the top")
    assert (top.src_bar, top.b_start_bar) == (8, 0)
    # No shift needed: the third option is another section of other material.
    opts0 = arrangements(a_structure=A, b_structure=B, vocal_levels=VOCAL, phrase_starts=[8, 16, 24, 32],
                         shift_a=0, intro_bars=4, n_bars_b=60)
    other = next(o for o in opts0 if o.name == "another section")
    assert other.vocal_section and other.vocal_section.startswith("verse")
    assert [o.fit for o in opts0] == sorted((o.fit for o in opts0), reverse=True)


def test_a_section_that_would_be_cut_short_fits_worse() -> None:
    def strongest(b: Structure, n: int) -> float:
        opts = arrangements(a_structure=A, b_structure=b, vocal_levels=VOCAL, phrase_starts=[8, 16],
                            shift_a=0, intro_bars=4, n_bars_b=n)
        return next(o.fit for o in opts if o.name == "strongest section")

    roomy = _st((0, 4, "A", "intro", -10.0), (4, 20, "B", "chorus", -0.5))
    tight = _st((0, 4, "A", "intro", -10.0), (4, 10, "B", "chorus", -0.5))
    assert strongest(tight, 10) < strongest(roomy, 20) - 0.2


def test_a_short_song_whose_best_section_is_its_top_still_gets_three() -> None:
    """The strongest section is also "from the top" (one placement): the third
    arrangement is the best one with two phrases of B as the intro."""
    a = _st((0, 8, "A", "verse", -2.0), (8, 16, "C", "bridge", -6.0), (16, 20, "D", "outro", -14.0))
    b = _st((0, 8, "A", "verse", -3.0), (8, 24, "B", "chorus", -1.0), (24, 32, "A", "verse", -3.0))
    vocal = np.array([-8.0] * 8 + [-14.0] * 8 + [-80.0] * 4)
    opts = arrangements(a_structure=a, b_structure=b, vocal_levels=vocal, phrase_starts=[0, 8], shift_a=0,
                        intro_bars=4, n_bars_b=32)
    assert [o.name for o in opts if o.name != "longer intro"] in (["strongest section", "another section"],
                                                                  ["another section", "strongest section"])
    assert len(opts) == 3 and len({(o.src_bar, o.b_start_bar, o.intro_bars) for o in opts}) == 3
    longer = next(o for o in opts if o.name == "longer intro")
    assert longer.intro_bars == 8 and longer.fit < opts[0].fit
    # no room in B for a longer intro: nothing made up
    tiny = arrangements(a_structure=a, b_structure=_st((0, 8, "A", "verse", -3.0)), vocal_levels=vocal,
                        phrase_starts=[0, 8], shift_a=0, intro_bars=4, n_bars_b=8)
    assert all(o.name != "longer intro" for o in tiny)
