"""The audio callback, tested directly (no sound card needed)."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from studio.playback import NullOutput, PlaybackEngine, TrackMix, open_output


def _engine() -> tuple[PlaybackEngine, np.ndarray, np.ndarray]:
    eng = PlaybackEngine(sample_rate=8000, channels=2)
    a = np.full((2, 8000), 0.25, dtype=np.float32)
    b = np.full((2, 8000), 0.5, dtype=np.float32)
    eng.set_tracks([a, b])
    return eng, a, b


def test_fill_sums_tracks_and_advances() -> None:
    eng, _, _ = _engine()
    out = np.zeros((256, 2), dtype=np.float32)
    eng.fill(out, 256)
    assert np.all(out == 0) and eng.position == 0  # not playing: silence, no movement
    eng.playing = True
    eng.fill(out, 256)
    assert np.allclose(out, 0.75) and eng.position == 256


def test_mute_solo_gain_pan_apply_on_the_next_block() -> None:
    eng, _, _ = _engine()
    eng.playing = True
    out = np.zeros((128, 2), dtype=np.float32)
    eng.set_mix([TrackMix(mute=True), TrackMix()])
    eng.fill(out, 128)
    assert np.allclose(out, 0.5)
    eng.set_mix([TrackMix(solo=True), TrackMix()])
    eng.fill(out, 128)
    assert np.allclose(out, 0.25)
    eng.set_mix([TrackMix(gain_db=-6.0206), TrackMix(mute=True)])
    eng.fill(out, 128)
    assert np.allclose(out, 0.125, atol=1e-4)
    eng.set_mix([TrackMix(pan=-1.0), TrackMix(mute=True)])
    eng.fill(out, 128)
    assert out[:, 1].max() < 1e-6 and out[:, 0].min() > 0.3  # hard left, constant power


def test_loop_wraps_and_end_stops() -> None:
    eng = PlaybackEngine(sample_rate=1000, channels=2)
    ramp = np.tile(np.arange(1000, dtype=np.float32) / 1000, (2, 1))
    eng.set_tracks([ramp])
    eng.set_loop(0.1, 0.2)
    eng.seek(0.15)
    eng.playing = True
    out = np.zeros((100, 2), dtype=np.float32)
    eng.fill(out, 100)
    # 50 frames to the loop end, then back to 0.1 s
    assert np.isclose(out[49, 0], 0.199) and np.isclose(out[50, 0], 0.1)
    assert eng.position == 150
    eng.set_loop(None, None)
    eng.seek(0.95)
    eng.fill(out, 100)
    assert not eng.playing and eng.position == 1000 and np.all(out[50:] == 0)


def test_callback_allocates_no_buffers() -> None:
    eng, _, _ = _engine()
    eng.playing = True
    eng.set_loop(0.0, 0.9)
    out = np.zeros((512, 2), dtype=np.float32)
    eng.fill(out, 512)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(200):
        eng.fill(out, 512)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename") if s.size_diff > 0)
    # a block of audio is 4 KB; 200 blocks with per-block buffers would be ~800 KB
    assert grown < 16_000, f"callback allocated {grown} bytes over 200 blocks"


def test_null_output_advances_the_playhead_in_real_time() -> None:
    eng = PlaybackEngine(sample_rate=8000, channels=2)
    eng.set_tracks([np.zeros((2, 80000), dtype=np.float32)])
    out, problem = open_output(eng, "null", block=256)
    assert isinstance(out, NullOutput) and problem == ""
    eng.playing = True
    out.start()
    time.sleep(0.5)
    out.stop()
    assert 0.3 < eng.seconds < 0.9, eng.seconds


def test_missing_device_falls_back_with_a_message() -> None:
    eng = PlaybackEngine()
    out, problem = open_output(eng, "")
    # This machine and CI have no sound card: a silent output and words for the UI.
    from studio.playback import list_output_devices

    devices, _ = list_output_devices()
    if not devices:
        assert isinstance(out, NullOutput)
        assert "device" in problem.lower() or "unavailable" in problem.lower()
    else:
        assert problem == "" or isinstance(out, NullOutput)
