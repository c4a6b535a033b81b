"""Soak test (issue 19): the studio on a real X server (Xvfb + a window
manager, not Qt's offscreen platform, no sound card) opens a project and plays
it for over a minute with the editor visible, while the person zooms and
scrolls the timeline. With the leaking Qt binding this aborted within ~10 s
(``Fatal Python error: none_dealloc``); it must stay alive, keep playing and
quit cleanly."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from audio_engine.project import Clip, MediaStore, Project, Track, save_project
from audio_engine.project.media import add_song
from studio.resources import demo_songs
from tests.studio.xvfb import studio_process, xserver

SOAK_SECONDS = 65.0


def _long_project(tmp: Path) -> Path:
    """Both demo songs, three times each on two tracks: 72 s of timeline at 120 BPM."""
    store = MediaStore(tmp / "store")
    songs = demo_songs()
    refs = [add_song(store, s, bpm=120.0, title=f"Demo {i + 1}") for i, s in enumerate(songs)]
    p = Project(title="Soak", tempo=120.0)
    for i, ref in enumerate(refs):
        p.media[ref.hash] = ref
        t = Track(id=f"t{i}", name=f"Demo {i + 1} — a long track name to see the header elide it")
        for k in range(3):
            t.clips.append(Clip(id=f"c{i}{k}", media=ref.hash, source_in=0.0, source_out=24.0,
                                position=48.0 * k, source_bpm=120.0, name=f"Demo {i + 1}"))
        p.tracks.append(t)
    return save_project(p, tmp / "soak.mashup", media_sources=store)


def _region(png: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    img = QImage(str(png)).convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
    return arr.reshape(img.height(), img.bytesPerLine()).copy()


@pytest.mark.timeout(420)
def test_studio_plays_a_project_for_a_minute_on_a_real_x_server(tmp_path: Path) -> None:
    project = _long_project(tmp_path)
    with xserver() as x:
        proc = studio_process(x, tmp_path / "home", str(project))
        try:
            win = x.find_window("Soak", timeout=90)
            x.run("xdotool", "windowactivate", "--sync", win, check=False)
            time.sleep(1.0)
            # the project opens in the editor; Space plays
            x.run("xdotool", "key", "--window", win, "space")
            time.sleep(2.0)
            shots = [x.screenshot(tmp_path / "soak-0.png")]
            geo = x.run("xdotool", "getwindowgeometry", "--shell", win)
            g = dict(line.split("=", 1) for line in geo.split() if "=" in line)
            cx, cy = int(g["X"]) + int(g["WIDTH"]) // 2, int(g["Y"]) + int(g["HEIGHT"]) // 2
            start = time.monotonic()
            step = 0
            while time.monotonic() - start < SOAK_SECONDS:
                assert proc.poll() is None, f"the studio died after {time.monotonic() - start:.1f} s of playback"
                action = step % 5
                if action == 0:
                    x.run("xdotool", "key", "--window", win, "ctrl+plus", check=False)
                elif action == 1:
                    x.run("xdotool", "mousemove", str(cx), str(cy), "click", "--repeat", "3", "5", check=False)
                elif action == 2:
                    x.run("xdotool", "key", "--window", win, "ctrl+minus", check=False)
                elif action == 3:
                    x.run("xdotool", "mousemove", str(cx), str(cy), "click", "--repeat", "3", "4", check=False)
                else:
                    x.run("xdotool", "key", "--window", win, "ctrl+0", check=False)
                if step == 10:
                    shots.append(x.screenshot(tmp_path / "soak-1.png"))
                step += 1
                time.sleep(1.5)
            assert proc.poll() is None, "the studio died during the soak"
            shots.append(x.screenshot(tmp_path / "soak-2.png"))
            # playback moved the playhead/time display: the screen is not frozen
            a, b = _region(shots[0]), _region(shots[1])
            assert np.count_nonzero(a != b) > 100, "nothing on screen changed while playing"
            # quit like a person (Ctrl+Q): the studio exits cleanly
            x.run("xdotool", "windowactivate", "--sync", win, check=False)
            x.run("xdotool", "key", "--window", win, "ctrl+q", check=False)
            try:
                code = proc.wait(30)
            except Exception:
                code = None
            log = (tmp_path / "home" / "studio-stderr.txt").read_text(errors="replace")
            assert "Fatal Python error" not in log, log[-4000:]
            assert code == 0, f"exit code {code}; log:\n{log[-4000:]}"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
