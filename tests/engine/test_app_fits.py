"""Partner ranking through the application layer (audio_engine.app.fits)."""

from __future__ import annotations

from pathlib import Path

from audio_engine.analysis import analyze_file
from audio_engine.app.context import AppContext
from audio_engine.app.fits import partners, rank_files
from audio_engine.magic.plan import quick_fits
from audio_engine.paths import StudioPaths
from tests.corpus import Song


def test_partners_is_the_engine_ranking_and_rank_files_uses_the_context(songs: list[Song], tmp_path: Path) -> None:
    ctx = AppContext.open(StudioPaths(tmp_path / "d", tmp_path / "c", tmp_path / "m"))
    a = [analyze_file(s.mix, cache=ctx.analysis) for s in songs[:4]]
    cands = [(i, x.to_dict()) for i, x in enumerate(a[1:], 1)]
    got = partners(a[0].to_dict(), cands, max_stretch=0.5)
    want = quick_fits(a[0].to_dict(), cands, max_stretch=0.5)
    assert [(f.partner, f.score) for f in got] == [(f.partner, f.score) for f in want]
    assert len(partners(a[0].to_dict(), cands, max_stretch=0.5, limit=1)) == min(1, len(want))
    fits, skipped = rank_files(songs[0].mix, [s.mix for s in songs[:2]], context=ctx, max_stretch=0.5)
    assert skipped == [] and [f.path for f in fits] == [songs[1].mix]  # the query itself is left out
    assert len(ctx.features) > 0  # cached in the given context, nowhere else
    ctx.close()
