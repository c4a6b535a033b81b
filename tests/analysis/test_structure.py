"""Sections on phrase boundaries and the downbeat-phase check, on a song
assembled from a corpus song's true stems with a known form:
intro (drums) | verse (drums+bass+vocals) | chorus (all, louder) | verse | chorus | outro (other)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from audio_engine import io
from audio_engine.analysis.features import SR
from audio_engine.analysis.structure import (
    beat_chroma,
    beat_values,
    downbeat_phase,
    find_structure,
)

FORM = [("intro", ("drums",), 1.0), ("verse", ("drums", "bass", "vocals"), 1.0),
        ("chorus", ("drums", "bass", "other", "vocals"), 1.6), ("verse", ("drums", "bass", "vocals"), 1.0),
        ("chorus", ("drums", "bass", "other", "vocals"), 1.6), ("outro", ("other",), 0.7)]
BARS = 8


@pytest.fixture(scope="module")
def built(songs: list[Any]) -> tuple[np.ndarray, list[float], Any]:
    song = next(s for s in songs if s.truth["bpm"] >= 90)
    bar = 4 * 60.0 / song.truth["bpm"]
    start = song.truth["downbeats"][1]
    stems = {n: io.load(song.stem(n), sample_rate=SR, channels=1).samples[0] for n in ("drums", "bass", "other", "vocals")}
    a, n = int(round(start * SR)), int(round(BARS * bar * SR))
    parts = []
    for _name, use, gain in FORM:
        parts.append(gain * sum(stems[s][a : a + n] for s in use))
    y = np.concatenate(parts).astype(np.float32)
    edges = [i * n / BARS / SR for i in range(len(FORM) * BARS + 1)]
    return y, edges, song


def test_sections_follow_the_form(built: tuple[np.ndarray, list[float], Any]) -> None:
    y, edges, _ = built
    st = find_structure(y, edges)
    bounds = [s.start_bar for s in st.sections]
    assert bounds == [0, 8, 16, 24, 32, 40], st.sections
    assert [s.name for s in st.sections] == [f[0] for f in FORM]
    lab = [s.label for s in st.sections]
    assert lab[1] == lab[3] and lab[2] == lab[4] and len({lab[0], lab[1], lab[2], lab[5]}) == 4
    assert st.section_at(20) == st.sections[2]
    assert all(s.start_bar % 4 == st.phrase_phase for s in st.sections)
    back = type(st).from_dict(st.to_dict())
    assert back.sections == st.sections


def test_downbeat_phase_from_drums_and_harmony(songs: list[Any]) -> None:
    from audio_engine.analysis.features import chroma_features
    from audio_engine.analysis.structure import low_band_onsets

    for song in songs[:3]:
        beats = song.truth["beats"]
        drums = io.load(song.stem("drums"), sample_rate=SR, channels=1).samples[0]
        harm = (io.load(song.stem("bass"), sample_rate=SR, channels=1).samples[0]
                + io.load(song.stem("other"), sample_rate=SR, channels=1).samples[0])
        low, rate = low_band_onsets(drums)
        kick = beat_values(low, rate, beats)
        ch = chroma_features(harm.astype(np.float32))
        change = beat_chroma(ch.chroma.astype(np.float64), ch.times, beats)
        true_phase = beats.index(song.truth["downbeats"][0]) % 4
        for shift in (0, 1, 2, 3):  # start counting at another beat: the phase follows the music
            p, scores = downbeat_phase(kick[shift:], change[:, shift:], 4)
            assert p == (true_phase - shift) % 4, (song.name, shift, scores)


def test_magic_grid_bar_lines_follow_the_stems(songs: list[Any]) -> None:
    """A grid put one beat off is moved back by the drum + harmonic stems."""
    from dataclasses import replace

    from audio_engine.audio import Audio
    from audio_engine.magic.features import check_downbeat, grid_from_analysis

    song = songs[2]
    t = song.truth
    grid = grid_from_analysis(t["beats"], t["downbeats"], 4, float(t["seconds"]), float(t["bpm"]))
    drums = io.load(song.stem("drums"))
    harm = Audio(io.load(song.stem("bass")).samples + io.load(song.stem("other")).samples, drums.sample_rate)
    same, note = check_downbeat(grid, drums, harm)
    assert same == grid and note is None
    for off in (1, 2, 3):
        wrong = replace(grid, downbeat_index=(grid.downbeat_index + off) % 4)
        fixed, note = check_downbeat(wrong, drums, harm)
        assert fixed.downbeat_index == grid.downbeat_index and note and "moved" in note
