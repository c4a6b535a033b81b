"""Playback memory: streaming blocks vs today's whole-track pre-render.

A 20-minute, 8-track project (each track: one 30-second source clip, tempo-
stretched, repeated back to back) is prepared for playback two ways, each in
its own process so peak memory is its own:

* ``pre-render`` -- the reference: ``studio.render_ahead.render_tracks`` as the
  transport used it until now (one whole stereo buffer per track).
* ``blocks`` -- ``audio_engine.app.render.BlockRenderer``: the same samples
  rendered block by block (8192 frames), as a streaming transport reads them.

The table gives the peak resident memory each process added while preparing
and playing the whole project through, and the CPU time per second of audio.

    .venv/bin/python bench/bench_playback_memory.py [--minutes 20] [--tracks 8]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, table

BLOCK = 8192


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def _reset_peak() -> None:
    """Start the peak-RSS counter (VmHWM) from the current RSS (Linux: clear_refs 5)."""
    import gc

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")


def build(folder: Path, minutes: float, tracks: int) -> tuple[object, object]:
    import numpy as np

    from audio_engine.audio import Audio
    from audio_engine.io import save
    from audio_engine.project import AddClip, AddTrack, CommandStack, Macro, MediaStore, Project
    from audio_engine.project.media import add_song

    store = MediaStore(folder / "media")
    p = Project(title="bench", tempo=120.0)
    stack = CommandStack(p)
    clip_s = 30.0
    for t in range(tracks):
        rate = 44100
        n = int(clip_s * rate)
        x = np.arange(n) / rate
        sig = (0.1 * np.sin(2 * np.pi * (110 * (t + 1)) * x) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * x))).astype(np.float32)
        src = save(Audio(np.stack([sig, sig]), rate), folder / f"src{t}.flac")
        ref = add_song(store, src, bpm=110.0)
        p.media[ref.hash] = ref
        tid = f"t{t}"
        cmds: list[object] = [AddTrack(track={"id": tid, "name": f"track {t}"})]
        beats_per_clip = clip_s / (60.0 / 110.0)  # the clip's length in beats at the project tempo
        k = 0
        while p.beats_to_seconds(k * beats_per_clip) < minutes * 60.0:
            cmds.append(AddClip(track_id=tid, clip={"id": f"c{t}-{k}", "media": ref.hash, "source_in": 0.0,
                                                    "source_out": clip_s, "position": k * beats_per_clip,
                                                    "stretch_mode": "tempo", "source_bpm": 110.0}))
            k += 1
        stack.push(Macro(commands=cmds, name="build"))  # type: ignore[arg-type]
    return p, store


def child(mode: str, folder: str, minutes: float, tracks: int) -> None:
    import numpy as np

    from audio_engine.app.render import BlockRenderer, ClipMemo
    from audio_engine.project.media import MediaResolver

    p, store = build(Path(folder), minutes, tracks)
    resolver = MediaResolver([store])  # type: ignore[list-item]
    _reset_peak()
    base = _status_mb("VmRSS")
    t0 = time.process_time()
    if mode == "pre-render":
        from studio.render_ahead import render_tracks

        buffers, _ = render_tracks(p, resolver, sample_rate=44100, cache=ClipMemo())
        frames = buffers[0].shape[1]
        mix = np.zeros((2, BLOCK), np.float32)
        for start in range(0, frames, BLOCK):  # what the callback reads: copies from the whole buffers
            n = min(BLOCK, frames - start)
            mix[:, :n] = 0
            for b in buffers:
                mix[:, :n] += b[:, start : start + n]
    else:
        r = BlockRenderer(p, resolver, sample_rate=44100, memo=ClipMemo())  # type: ignore[arg-type]
        frames = r.length
        out = np.zeros((r.tracks, 2, BLOCK), np.float32)
        for start in range(0, frames, BLOCK):
            r.render(start, BLOCK, out)
    cpu = time.process_time() - t0
    print(json.dumps({"mode": mode, "added_mb": _status_mb("VmHWM") - base, "cpu_s": cpu, "audio_s": frames / 44100}))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--tracks", type=int, default=8)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.folder, a.minutes, a.tracks)
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for mode in ("pre-render", "blocks"):
            out = subprocess.run([sys.executable, __file__, "--child", mode, "--folder", str(Path(d) / mode),
                                  "--minutes", str(a.minutes), "--tracks", str(a.tracks)],
                                 capture_output=True, text=True, cwd=REPO, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append([r["mode"], f"{a.minutes:g} min x {a.tracks}", round(r["added_mb"]), round(r["cpu_s"], 1),
                         round(r["cpu_s"] / r["audio_s"] * 1000, 1)])
    print(table(["playback preparation", "project", "peak memory added (MB)", "CPU s (prepare + play through)",
                 "CPU ms per s of audio"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
