"""The editor's transport streams the project (studio/stream_playback.py):
playing holds a ring, not whole tracks, and an edit made while playing is
in the audio right after the playhead."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from audio_engine.project import SetClipProperty
from studio.stream_playback import EDIT_LATENCY_S, StreamMaterial
from tests.studio.conftest import wait_jobs
from tests.studio.helpers import demo_project


def test_playing_streams_and_an_edit_is_heard_after_the_playhead(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    tr = window.s.transport
    qtbot.waitUntil(lambda: tr.source == f"project:{ed.doc.project.id}", timeout=30000)
    mat = tr.engine.material
    assert isinstance(mat, StreamMaterial)
    whole_bytes = mat.tracks * mat.frames * 2 * 4
    assert mat.ring.nbytes < whole_bytes  # a few seconds per track, not the whole project
    tr.seek(2.0)
    tr.play()
    qtbot.waitUntil(lambda: tr.seconds > 2.3, timeout=20000)  # the null output pulls in real time
    clip = ed.doc.project.tracks[0].clips[0]
    probe = lambda: int(tr.engine.position) + int(0.3 * 44100)  # noqa: E731 - 300 ms ahead of the playhead
    qtbot.waitUntil(lambda: mat.ready(probe()) > 0, timeout=5000)
    assert float(np.abs(mat.slice(0, probe(), 2048)).max()) > 0.1  # the song sounds there before the edit
    t0 = time.monotonic()
    assert ed.push(SetClipProperty(clip_id=clip.id, name="gain_db", value=clip.gain_db - 30.0))

    def quieter() -> bool:
        at = probe()
        return mat.ready(at) > 0 and float(np.abs(mat.slice(0, at, 2048)).max()) < 0.05

    qtbot.waitUntil(quieter, timeout=5000)
    waited = time.monotonic() - t0
    assert tr.engine.material is mat  # the same ring: only what lies ahead was rendered again
    assert waited < 2.0, waited  # job dispatch included; the ring itself switches EDIT_LATENCY_S after the playhead
    assert EDIT_LATENCY_S <= 0.1
    tr.pause()
    wait_jobs(qtbot, window.s.jobs, 60)
