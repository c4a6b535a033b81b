"""Level meters: CPU per 30 Hz tick (33 ms of audio) for 8 tracks and the
master, against two references run in the same process:

- the audio callback's own mixing of the same 33 ms (``PlaybackEngine.fill``
  in 512-frame callbacks: what the meters must stay small next to, and never
  run inside);
- the same meter math over the playback layout ``(tracks, frames, channels)``
  as it comes from the ring (reductions along the strided middle axis).

    .venv/bin/python bench/bench_meter.py
"""

from __future__ import annotations

import time

import common  # noqa: F401  (puts the repository on sys.path)
import numpy as np

from audio_engine.meter import MixMeter
from studio.playback import PlaybackEngine, TrackMix

SR, TRACKS, TICK = 44100, 8, 1470  # one 30 Hz tick of audio
REPEAT = 2000


def cpu_ms(fn: object, n: int = REPEAT) -> float:
    t = time.process_time()
    for _ in range(n):
        fn()  # type: ignore[operator]
    return (time.process_time() - t) / n * 1e3


def main() -> None:
    rng = np.random.default_rng(1)
    blocks = (rng.standard_normal((TRACKS, TICK, 2)) * 0.1).astype(np.float32)
    gains = np.full((TRACKS, 2), 0.8, np.float32)
    meter = MixMeter(TRACKS, SR)

    def ours() -> None:
        meter.feed(blocks, gains)

    def strided() -> None:
        post = blocks * gains[:, None, :]
        np.max(np.abs(post), axis=1)
        np.mean(np.square(post, dtype=np.float64), axis=1)
        bus = post.sum(axis=0)
        float(np.max(np.abs(bus)))
        float(np.max(np.mean(np.square(bus, dtype=np.float64), axis=0)))

    engine = PlaybackEngine(sample_rate=SR)
    engine.set_tracks([np.tile(blocks[t].T, (1, 2)) for t in range(TRACKS)], [TrackMix(-2.0) for _ in range(TRACKS)])
    out = np.zeros((512, 2), np.float32)

    def callback_33ms() -> None:
        engine.position, engine.playing = 0, True
        for n in (512, 512, TICK - 1024):
            engine.fill(out, n)

    rows = []
    for _ in range(2):  # alternate, so that load from other processes hits all alike
        rows.append((cpu_ms(callback_33ms), cpu_ms(strided), cpu_ms(ours)))
    cb, st, me = (min(r[i] for r in rows) for i in range(3))
    print(f"{TRACKS} tracks + master, one tick = {TICK} frames ({TICK / SR * 1e3:.0f} ms of audio), CPU ms per tick\n")
    print("| work | CPU ms per tick | vs the callback's mixing |")
    print("|---|---|---|")
    print(f"| reference: audio callback mixing the same audio (`PlaybackEngine.fill`, 512-frame calls) | {cb:.3f} | 1.00x |")
    print(f"| reference: meter math over `(tracks, frames, channels)` | {st:.3f} | {st / cb:.2f}x |")
    print(f"| `MixMeter.feed` (channels-first, einsum), on the UI timer | {me:.3f} | {me / cb:.2f}x |")
    print(f"\nmeters at 30 Hz: {me * 30 / 10:.2f} % of one core")


if __name__ == "__main__":
    main()
