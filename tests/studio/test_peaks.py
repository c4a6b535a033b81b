from __future__ import annotations

from pathlib import Path

import numpy as np

from audio_engine import io as audio_io
from studio.peaks import BASE, PeakStore, compute_peaks
from studio.resources import demo_songs


def test_levels_match_the_audio_at_every_zoom(tmp_path: Path) -> None:
    path = demo_songs()[0]
    audio = audio_io.load(path)
    mono = audio.samples.mean(axis=0)
    peaks = compute_peaks(path)
    assert peaks.frames == audio.frames and len(peaks.levels) >= 4
    # level 0 bins are exact min/max of BASE frames
    assert np.isclose(peaks.levels[0][1, 10], mono[10 * BASE:11 * BASE].max())
    for pixels, (a, b) in ((400, (0.0, 24.0)), (800, (3.0, 3.5)), (50, (10.0, 20.0))):
        mins, maxs = peaks.slice(a, b, pixels)
        assert mins.shape == (pixels,) and np.all(mins <= maxs)
        seg = mono[int(a * audio.sample_rate):int(b * audio.sample_rate)]
        # the envelope covers the true extremes (bins may reach slightly past the edges)
        assert maxs.max() >= seg.max() - 1e-6 and mins.min() <= seg.min() + 1e-6
        assert maxs.max() <= mono.max() + 1e-6
    # a coarse view uses a coarse level: cost is per pixel, not per sample
    assert peaks.level_for(24.0 / 400) > peaks.level_for(0.5 / 800)


def test_store_round_trip(tmp_path: Path) -> None:
    store = PeakStore(tmp_path)
    p = store.build("abc123", demo_songs()[1])
    again = PeakStore(tmp_path).cached("abc123")
    assert again is not None and again.frames == p.frames
    assert all(np.array_equal(x, y) for x, y in zip(p.levels, again.levels, strict=True))
