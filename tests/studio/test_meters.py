"""Level meters through the real playback path: a project holding a real
-6 dBFS sine file plays (null output, real time) and the track and master
meters read -6 dB peak and -9 dB RMS; a clipping file lights the clip light,
which a click on the meter resets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt

from tests.studio.conftest import wait_jobs

SR = 44100


def _write(path: Path, x: np.ndarray) -> Path:
    sf.write(str(path), np.stack([x, x], axis=1), SR, subtype="PCM_16")
    return path


def test_meters_read_a_real_sine_as_it_plays_and_a_clipping_file_lights_the_clip_light(
        window: Any, qtbot: Any, tmp_path: Path) -> None:
    t = np.arange(int(4.0 * SR)) / SR
    sine = _write(tmp_path / "a sine at -6 dBFS.wav", (10 ** (-6 / 20) * np.sin(2 * np.pi * 997.0 * t)).astype(np.float32))
    hot = _write(tmp_path / "b clipping.wav", np.clip(2.0 * np.sin(2 * np.pi * 220.0 * t), -1.0, 1.0).astype(np.float32))
    window.actions_ctl.import_paths([sine, hot], analyse=False)
    wait_jobs(qtbot, window.s.jobs, 60)
    ids = [x.id for x in sorted(window.s.library.all(), key=lambda s: s.path.name)]
    window.library_page.open_in_editor.emit(ids)
    wait_jobs(qtbot, window.s.jobs, 120)
    ed = window.editor_page
    tr = window.s.transport
    assert len(ed.doc.project.tracks) == 2
    qtbot.mouseClick(ed.track_headers[1].mute, Qt.MouseButton.LeftButton)  # the clipping track muted
    assert ed.doc.project.tracks[1].mute
    qtbot.waitUntil(lambda: tr.source == f"project:{ed.doc.project.id}", timeout=30000)
    tr.seek(0.5)
    tr.play()
    qtbot.waitUntil(lambda: tr.seconds > 2.2, timeout=20000)  # the null output plays in real time
    sine_meter, hot_meter = (h.meter for h in ed.track_headers)
    master = ed.meters.master.meter
    for w in (sine_meter, master):
        assert w.reading.peak_db == pytest.approx(-6.0, abs=0.25)
        assert w.reading.rms_db == pytest.approx(-9.0, abs=0.3)
        assert not w.reading.clipped
    assert hot_meter.reading.peak_db < -60 and not hot_meter.reading.clipped  # muted: post-fader silence
    assert "Peak −6." in sine_meter.toolTip()
    # unmuted, the clipping file lights its light and the master's
    qtbot.mouseClick(ed.track_headers[1].mute, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hot_meter.reading.clipped and master.reading.clipped, timeout=5000)
    assert hot_meter.reading.peak_db > -0.1
    tr.pause()
    qtbot.mouseClick(hot_meter, Qt.MouseButton.LeftButton)  # a click resets the light
    assert not hot_meter.reading.clipped and hot_meter.source is not None and not hot_meter.source.clipped
    assert master.reading.clipped  # the others keep theirs
