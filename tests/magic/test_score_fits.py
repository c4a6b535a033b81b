from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_engine import io
from audio_engine.audio import Audio
from audio_engine.magic import Caches, plan_tempo, what_fits
from audio_engine.magic.core import caption_phrase_starts, vocal_phrase_starts
from audio_engine.magic.features import Grid, grid_from_analysis
from audio_engine.transform import time_stretch


def test_plan_tempo_prefers_b_and_half_double_time() -> None:
    t = plan_tempo(96.0, 100.0)
    assert (t.target_bpm, t.multiple, t.ratio_b) == (100.0, 1.0, 1.0)
    assert t.ratio_a == pytest.approx(100 / 96) and t.within_limit and t.note == ""
    t = plan_tempo(64.0, 126.0)  # A in double time: 128 -> 126
    assert t.multiple == 2.0 and t.ratio_a == pytest.approx(126 / 128)
    t = plan_tempo(174.0, 90.0)  # A in half time: 87 -> 90
    assert t.multiple == 0.5 and t.ratio_a == pytest.approx(90 / 87)
    t = plan_tempo(100.0, 115.0)  # 15% apart: both move to the geometric mean
    assert t.target_bpm == pytest.approx((100 * 115) ** 0.5)
    assert t.ratio_a == pytest.approx(t.target_bpm / 100) and t.ratio_b == pytest.approx(t.target_bpm / 115)
    assert "both songs move" in t.note
    t = plan_tempo(100.0, 150.0)  # 200 (double) vs 150: 25% apart, refused
    assert t.multiple == 2.0 and not t.within_limit and "beyond the 20% limit" in t.note
    assert plan_tempo(100.0, 150.0, max_stretch=0.34).within_limit


def test_grid_fit_and_bars() -> None:
    period = 60 / 97.3
    beats = [0.311 + k * period + (0.004 if k % 2 else -0.004) for k in range(40)]
    downbeats = beats[2::4]
    g = grid_from_analysis(beats, downbeats, 4, 26.0, 97.3)
    assert g.period == pytest.approx(period, abs=1e-4) and g.bpm == pytest.approx(97.3, abs=0.02)
    assert g.bar_time(0) == pytest.approx(beats[2], abs=0.005)
    assert g.bar_time(3) == pytest.approx(beats[14], abs=0.005)
    assert g.bar_of(beats[14] + 0.1) == 3
    assert g.n_bars() == int((26.0 - g.bar_time(0)) // (4 * period))


def test_phrase_starts() -> None:
    levels = np.array([-80, -80, -20, -18, -22, -75, -80, -19, -20, -21, -20, -80], dtype=float)
    assert vocal_phrase_starts(levels) == [2, 7]
    from audio_engine.captions.doc import CaptionDoc, Segment

    g = Grid(period=0.5, phase=0.0, beats_per_bar=4, downbeat_index=0, duration=30.0)
    doc = CaptionDoc([Segment(2.05, 3.0, "on the one"), Segment(5.6, 7.0, "pickup into bar 3"),
                      Segment(6.2, 6.9, "same bar")])
    assert caption_phrase_starts(doc, g) == [1, 3]


def _write(path: Path, audio: Audio) -> Path:
    io.save(audio, path)
    return path


@pytest.fixture(scope="module")
def library(songs: list[Any], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Song 2, and a library with: an exact copy, the same song a semitone
    up (pitch only), the same song 35% faster (beyond any stretch limit), and
    an unreadable file."""
    d = tmp_path_factory.mktemp("library")
    query = d / "query.flac"
    shutil.copy(songs[2].mix, query)
    lib = d / "lib"
    lib.mkdir()
    shutil.copy(songs[2].mix, lib / "copy.flac")
    a = io.load(songs[2].mix)
    _write(lib / "up1.flac", time_stretch(a, ratio=1.0, semitones=1.0, quality="fast"))
    _write(lib / "fast.flac", time_stretch(a, ratio=1.35, quality="fast"))
    (lib / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    return query, lib


def test_what_fits_ranks_and_suggests_shift(library: tuple[Path, Path], magic_caches: Caches) -> None:
    query, lib = library
    fits, skipped = what_fits(query, library=lib, caches=magic_caches)
    names = [f.path.name for f in fits]
    assert names[0] == "copy.flac" and names[-1] == "fast.flac"
    by = {f.path.name: f for f in fits}
    assert by["copy.flac"].score.shift_a == 0 and by["copy.flac"].score.relation == "same"
    assert by["copy.flac"].score.total > 0.9
    # The query (F# minor) must go up a semitone to sit on the G minor copy.
    assert by["up1.flac"].key == "G minor"
    assert by["up1.flac"].score.shift_a == 1 and by["up1.flac"].score.relation == "same"
    assert by["up1.flac"].score.ratio_a == pytest.approx(1.0, abs=0.005)
    assert not by["fast.flac"].score.within_limit
    assert len(skipped) == 1 and "broken.wav" in skipped[0]
    d = by["up1.flac"].to_dict()
    assert json.loads(json.dumps(d))["shift_semitones"] == 1
