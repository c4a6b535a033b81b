"""Level metering math (audio_engine.meter): a -6 dBFS sine reads -6 dB
peak and -9 dB RMS, full scale latches the clip light until reset, the
post-fader track levels and the master sum follow the mixer's gains."""

from __future__ import annotations

import numpy as np
import pytest

from audio_engine.meter import FLOOR_DB, LevelMeter, MixMeter

SR = 44100


def _sine(seconds: float, db: float, freq: float = 1000.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = (10 ** (db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x, x])


def _feed_blocks(m: LevelMeter, x: np.ndarray, block: int = 1470) -> None:
    for a in range(0, x.shape[1], block):
        m.feed(x[:, a : a + block])


def test_a_minus_6_dbfs_sine_reads_minus_6_peak_and_minus_9_rms() -> None:
    m = LevelMeter(SR)
    _feed_blocks(m, _sine(2.0, -6.0))
    r = m.reading()
    assert r.peak_db == pytest.approx(-6.0, abs=0.05)
    assert r.rms_db == pytest.approx(-9.01, abs=0.05)
    assert not r.clipped


def test_peak_holds_then_falls_and_silence_reaches_the_floor() -> None:
    m = LevelMeter(SR)
    _feed_blocks(m, _sine(0.5, -6.0))
    m.feed_stats(0.0, 0.0, int(0.3 * SR))
    assert m.reading().peak_db == pytest.approx(-6.0, abs=0.05)  # held
    m.feed_stats(0.0, 0.0, int(1.0 * SR))
    assert m.reading().peak_db < -20.0  # falling
    for _ in range(20):
        m.feed_stats(0.0, 0.0, SR)
    assert m.reading().peak_db == FLOOR_DB and m.reading().rms_db < -80.0


def test_full_scale_latches_the_clip_light_until_reset() -> None:
    m = LevelMeter(SR)
    x = np.clip(_sine(0.2, 3.0), -1.0, 1.0)  # a hard-clipped sine
    _feed_blocks(m, x)
    _feed_blocks(m, _sine(1.0, -20.0))  # quieter afterwards: the light stays on
    assert m.reading().clipped
    m.reset_clip()
    assert not m.reading().clipped
    _feed_blocks(m, _sine(0.2, -0.5))  # just under full scale: no clip
    assert not m.reading().clipped


def test_mix_meter_is_post_fader_and_the_master_sums_the_tracks() -> None:
    x = _sine(1.5, -12.0).T  # (frames, channels)
    blocks = np.stack([x, x])  # two identical tracks
    gains = np.array([[1.0, 1.0], [0.5, 0.5]], dtype=np.float32)  # track 2 at -6 dB
    mm = MixMeter(2, SR)
    for a in range(0, x.shape[0], 2048):
        mm.feed(blocks[:, a : a + 2048], gains)
    t1, t2, master = mm.tracks[0].reading(), mm.tracks[1].reading(), mm.master.reading()
    assert t1.peak_db == pytest.approx(-12.0, abs=0.05)
    assert t2.peak_db == pytest.approx(-12.0 - 6.02, abs=0.05)
    assert master.peak_db == pytest.approx(-12.0 + 20 * np.log10(1.5), abs=0.05)  # in phase: amplitudes add
    assert master.rms_db == pytest.approx(master.peak_db - 3.01, abs=0.05)
    mm.resize(3)
    assert len(mm.tracks) == 3 and mm.tracks[0] is not None


def test_bad_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="sample rate"):
        LevelMeter(0)
