"""Robust key planning: when a song's key reading is uncertain (its
runner-up is a close neighbour), Magic's vocal shift layers well under both
readings when such a shift exists (max-min over the candidate keys, then the
least shift), and says so."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from audio_engine.keys import (
    LAYERING,
    Key,
    camelot_relation,
    compatible_shift,
    hedged_shift,
    layers_well,
    parse_key,
    transpose,
)
from audio_engine.magic.keycheck import SureKey
from audio_engine.magic.plan import analysis_alternatives, key_reading_text, quick_fits
from audio_engine.magic.score import key_part

ALL_KEYS = [Key(t, m) for t in range(12) for m in ("major", "minor")]  # type: ignore[arg-type]


def _neighbours(k: Key) -> list[Key]:
    """The close neighbours a detector confuses: relative, parallel, the two fifths."""
    other = "minor" if k.mode == "major" else "major"
    return [k.relative, Key(k.tonic, other), transpose(k, 7), transpose(k, 5)]  # type: ignore[arg-type]


def test_an_uncertain_instrumental_gets_the_shift_that_fits_both_readings() -> None:
    d_major, a_major, g_major = parse_key("D major"), parse_key("A major"), parse_key("G major")
    # Planned on D major alone, G stays put (a fifth from D) -- and clashes if the song is in A.
    assert compatible_shift(d_major, g_major) == (0, "adjacent")
    assert not layers_well(a_major, g_major)
    plan = hedged_shift([d_major, a_major], [g_major])
    assert plan.shift == 2 and plan.hedged and plan.covered == plan.pairs == 2
    assert plan.relation == "adjacent" and plan.worst == "adjacent"
    for reading in (d_major, a_major):
        assert layers_well(reading, transpose(g_major, plan.shift))
    # The same through the score's key part (what Magic and the fits list use).
    assert key_part(g_major, d_major, alternatives_b=[a_major])[:2] == (2, "adjacent")


def test_hedged_shift_is_the_least_shift_safe_under_every_reading_for_all_keys() -> None:
    for inst, voc in product(ALL_KEYS, ALL_KEYS):
        for alt in _neighbours(inst):
            readings = [inst, alt]
            plan = hedged_shift(readings, [voc])
            safe = [s for s in range(-6, 7) if all(layers_well(r, transpose(voc, s)) for r in readings)]
            if safe:
                assert plan.hedged and abs(plan.shift) == min(abs(s) for s in safe), (inst, alt, voc)
                assert all(layers_well(r, transpose(voc, plan.shift)) for r in readings)
            else:
                # No shift fits both: planned on the most likely reading, as before, and not claimed hedged.
                assert not plan.hedged and (plan.shift, plan.relation) == compatible_shift(inst, voc)
            # Never worse than planning on the most likely readings alone.
            assert camelot_relation(inst, transpose(voc, plan.shift)) in LAYERING


def test_one_reading_each_is_the_plain_least_shift_rule() -> None:
    for inst, voc in product(ALL_KEYS, ALL_KEYS):
        plan = hedged_shift([inst], [voc])
        assert not plan.hedged and plan.pairs == 1
        shift, rel = compatible_shift(inst, voc)
        assert (plan.shift, plan.relation) == (shift, rel)


def test_the_vocal_songs_uncertainty_is_hedged_too() -> None:
    # Vocal read as C major but maybe A minor (relative); instrumental E minor.
    c_major, a_minor, e_minor = parse_key("C major"), parse_key("A minor"), parse_key("E minor")
    plan = hedged_shift([e_minor], [c_major, a_minor])
    assert plan.hedged
    assert all(layers_well(e_minor, transpose(v, plan.shift)) for v in (c_major, a_minor))
    with pytest.raises(ValueError):
        hedged_shift([], [c_major])


def _sure(key: str, alt: str | None, *, uncertain: bool) -> SureKey:
    k = parse_key(key)
    return SureKey(k, k, parse_key(alt) if alt else None, True, False, "", uncertain)


def test_readings_keep_only_a_close_neighbour_of_an_uncertain_key() -> None:
    assert [k.name for k in _sure("D major", "A major", uncertain=True).readings] == ["D major", "A major"]
    assert [k.name for k in _sure("D major", "B minor", uncertain=True).readings] == ["D major", "B minor"]
    assert [k.name for k in _sure("D major", "A major", uncertain=False).readings] == ["D major"]
    assert [k.name for k in _sure("D major", "E major", uncertain=True).readings] == ["D major"]  # not a neighbour
    assert [k.name for k in _sure("D major", None, uncertain=True).readings] == ["D major"]
    assert _sure("D major", "A major", uncertain=True).to_dict()["readings"] == ["D major", "A major"]


def _analysis(key: str, alternative: str | None, uncertain: bool, bpm: float = 120.0) -> dict[str, Any]:
    k = parse_key(key)
    period = 60.0 / bpm
    beats = [round(0.5 + i * period, 4) for i in range(int(29 / period))]
    return {"bpm": bpm, "beats": beats, "downbeats": beats[::4], "beats_per_bar": 4, "duration": 30.0,
            "beat_period": period, "beat_phase": 0.5, "key_tonic": k.tonic, "key_mode": k.mode,
            "key_confidence": 0.9, "key_alternative": alternative, "key_uncertain": uncertain}


def test_fits_list_hedges_from_the_stored_analyses() -> None:
    vocal = _analysis("G major", "E minor", uncertain=False)  # a sure key: no hedge on its side
    inst = _analysis("D major", "A major", uncertain=True)
    assert analysis_alternatives(vocal) == [] and [k.name for k in analysis_alternatives(inst)] == ["A major"]
    (fit,) = quick_fits(vocal, [("inst", inst)], role="vocals")
    assert fit.shift == 2 and fit.hedged
    for reading in ("D major", "A major"):
        assert layers_well(parse_key(reading), transpose(parse_key("G major"), fit.shift))
    # The other way round (the query is the instrumental), the same plan.
    (back,) = quick_fits(inst, [("voc", vocal)], role="instrumental")
    assert back.shift == 2
    # A stored alternative that is not a key name is ignored, not an error.
    assert analysis_alternatives(_analysis("D major", "nonsense", uncertain=True)) == []


def test_key_reading_for_people_names_confidence_and_the_other_reading() -> None:
    assert key_reading_text(_analysis("D major", "A major", uncertain=True)) == (
        "D major (10B), 90 % sure; or A major (11B, a fifth away)")
    assert key_reading_text(_analysis("A minor", "C major", uncertain=False)) == "A minor (8A), 90 % sure"
    assert key_reading_text(_analysis("A minor", "A major", uncertain=True)).endswith("or A major (11B, the parallel key)")
    assert key_reading_text({"key_tonic": None}) == "no clear key"
