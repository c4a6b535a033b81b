"""Time-stretch throughput (Rubber Band HQ and fast) through
audio_engine.transform against calling pedalboard.time_stretch directly,
same input, same process; plus the master stage. Run:

    .venv/bin/python bench/bench_transform.py [--seconds 60]
"""

from __future__ import annotations

import argparse

import common  # noqa: F401  (puts the repo on sys.path)
import numpy as np
import pedalboard

from audio_engine import io
from audio_engine.audio import Audio
from audio_engine.master import master
from audio_engine.transform import time_stretch
from tests.corpus import corpus


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    song = corpus(songs=2, seed=7, seconds=args.seconds)[0]
    audio = io.load(song.mix)
    sr = audio.sample_rate
    rows = []
    for quality in ("high", "fast"):
        for ratio, semis in ((1.06, 0.0), (0.94, 2.0)):
            ours, ref = common.best_of_pair(
                lambda: time_stretch(audio, ratio=ratio, semitones=semis, quality=quality),
                lambda: pedalboard.time_stretch(
                    audio.samples, float(sr), stretch_factor=ratio, pitch_shift_in_semitones=semis,
                    high_quality=quality == "high",
                ),
                repeat=3,
            )
            rows.append([
                f"stretch {quality} x{ratio} {semis:+g} st", f"{audio.duration / ours:.1f}x",
                f"{audio.duration / ref:.1f}x", f"{ref / ours:.2f}",
            ])
    loud = Audio(np.clip(audio.samples * 3.0, -4, 4), sr)
    t = common.best_of(lambda: master(loud, target_lufs=-14.0, ceiling_db=-1.0), repeat=2)
    rows.append(["master (-14 LUFS, -1 dBTP)", f"{audio.duration / t:.1f}x", "-", "-"])
    print(f"Input: {audio.duration:.0f} s stereo {sr} Hz corpus song; best of 3 alternating runs.\n")
    print(common.table(["operation", "ours (x realtime)", "pedalboard direct", "ratio ours/ref speed"], rows))


if __name__ == "__main__":
    main()
