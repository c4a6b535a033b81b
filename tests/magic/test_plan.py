"""The pair plan known before any work: the same tempo plan as the
generation, the refusal before anything is separated, and quick fits that
never list a pair Magic would refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audio_engine.analysis import analyze_file
from audio_engine.errors import MashupsError, StretchLimitError
from audio_engine.magic import Caches, magic_mashup
from audio_engine.magic.plan import (
    DEFAULT_MAX_STRETCH,
    analysis_grid,
    check_pair,
    grid_bpm,
    pair_plan,
    quick_fits,
    tempos_apart,
    track_name,
)
from audio_engine.magic.score import plan_tempo


@pytest.fixture(scope="module")
def analyses(songs: list[Any], tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    caches = Caches.under(Path(tmp_path_factory.mktemp("plan-cache")))
    return [analyze_file(s.mix, cache=caches.analysis) for s in songs]


def test_plan_from_stored_analysis_is_the_generation_plan(analyses: list[Any]) -> None:
    # The studio stores analyses as dicts; Magic fits its grid to the result object.
    for a, b in ((0, 3), (2, 4), (1, 5)):
        ra, rb = analyses[a], analyses[b]
        ga, gb = analysis_grid(ra), analysis_grid(rb)  # what prepare_song fits for Magic
        assert analysis_grid(ra.to_dict()) == ga and analysis_grid(rb.to_dict()) == gb
        want = plan_tempo(ga.bpm, gb.bpm, max_stretch=0.25)
        assert pair_plan(ra.to_dict(), rb.to_dict(), max_stretch=0.25) == want
        assert pair_plan(ra, rb, max_stretch=0.25) == want
        assert grid_bpm(ra.to_dict()) == ga.bpm


def test_tempos_apart_is_what_the_limit_applies_to(analyses: list[Any]) -> None:
    # Songs 0 and 3 (131.6 and 108.7 BPM) are about 21% apart: both move about
    # 10% each, yet the pair is beyond a 20% limit and within a 25% one.
    a, b = analyses[0].to_dict(), analyses[3].to_dict()
    plan = pair_plan(a, b, max_stretch=0.25)
    assert plan.within_limit and 0.2 < tempos_apart(plan) < 0.23
    assert max(abs(plan.ratio_a - 1), abs(plan.ratio_b - 1)) < 0.12
    with pytest.raises(StretchLimitError, match="apart"):
        check_pair(a, b, max_stretch=DEFAULT_MAX_STRETCH, name_a="A", name_b="B")
    with pytest.raises(MashupsError, match="between"):
        pair_plan(a, b, max_stretch=0.9)


def test_quick_fits_never_list_a_refused_pair(analyses: list[Any]) -> None:
    q = analyses[0].to_dict()
    cands = [(i, r.to_dict()) for i, r in enumerate(analyses) if i]
    for limit in (0.05, 0.2, 0.3, 0.5):
        fits = quick_fits(q, cands, max_stretch=limit)
        listed = {f.partner for f in fits}
        for i, r in cands:
            ok = pair_plan(q, r, max_stretch=limit).within_limit
            assert (i in listed) == ok, (limit, i)
        assert [f.score for f in fits] == sorted((f.score for f in fits), reverse=True)
    assert 3 not in {f.partner for f in quick_fits(q, cands)}  # 21% apart: refused at the default


def test_refused_before_anything_is_separated(songs: list[Any], tmp_path: Path) -> None:
    caches = Caches.under(tmp_path / "cache")
    with pytest.raises(StretchLimitError, match="limit"):
        magic_mashup(songs[0].mix, songs[3].mix, project_path=tmp_path / "p.mashup", model="classical",
                     caches=caches, render=False)
    stems_root = caches.stems.root
    assert not stems_root.exists() or not any(p for p in stems_root.iterdir() if not p.name.startswith("."))
    assert not (tmp_path / "p.mashup").exists()


def test_track_names_use_titles() -> None:
    assert track_name("Song Title", "drums") == "Song Title — drums"
