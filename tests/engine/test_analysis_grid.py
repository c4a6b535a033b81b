"""The analysis result carries its fitted beat grid, and Magic uses it
instead of fitting one again."""

from __future__ import annotations

import numpy as np

from audio_engine.analysis import analyze_file
from audio_engine.analysis.result import Analysis
from audio_engine.magic.features import grid_from_analysis
from tests.corpus import Song


def test_grid_is_carried_and_used(songs: list[Song]) -> None:
    a = analyze_file(songs[0].mix)
    assert a.beat_period > 0
    k = np.round((np.asarray(a.beats) - a.beat_phase) / a.beat_period)
    assert np.max(np.abs(a.beat_phase + k * a.beat_period - np.asarray(a.beats))) < 1e-4  # beats are the grid, rounded
    back = Analysis.from_dict(a.to_dict())
    assert (back.beat_period, back.beat_phase) == (a.beat_period, a.beat_phase)
    g = grid_from_analysis(a.beats, a.downbeats, a.beats_per_bar, a.duration, a.bpm,
                           period=a.beat_period, phase=a.beat_phase)
    assert (g.period, g.phase) == (a.beat_period, a.beat_phase)  # not fitted again
    old = dict(a.to_dict())
    del old["beat_period"], old["beat_phase"]  # a record cached before the grid was kept
    assert Analysis.from_dict(old).beat_period == 0.0
